// An HTTP server on its own threads (cpp-httplib), used for each process's admin endpoints
// (/healthz, /metrics) and, as a separate instance, for the router's Falco-compatible intake.
//
// Routes are exact paths held in our own table, so they can be added before or after the server starts;
// cpp-httplib stays out of this header. Why cpp-httplib: docs/architecture-http.md.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/metrics.h"

namespace peregrine::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::string remote_addr;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Case-insensitive lookup; "" when absent.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  size_t threads = 4;                  // worker threads answering requests
  size_t max_body_bytes = 1 << 20;     // larger bodies get 413 (Content-Length or chunked)
  int read_timeout_s = 5;
  int write_timeout_s = 5;
  /// Builds the 413 reply (the request is passed without its body); default: 413 with a one-line text body.
  /// No route handler runs for such a request.
  Handler body_too_large;
  /// HTTPS (TLS 1.2 or later) when tls.cert_file is set; with tls.client_ca_file, a client certificate signed by
  /// that CA is required (mTLS). Files are loaded at construction (errors are load-time exceptions).
  config::TlsServerConfig tls;
};

/// Binds at construction (throws std::runtime_error if it cannot: that is load time) and serves on its
/// own threads until destroyed. With cfg.enabled == false nothing is bound and port() is 0.
class AdminServer {
 public:
  /// An admin server: GET /healthz (200 "ok" / 503 "unhealthy") and GET /metrics (Prometheus text).
  AdminServer(const config::HttpConfig& cfg, metrics::Registry& registry, std::function<bool()> healthy,
              ServerOptions opts = {});
  /// A bare server with no routes (e.g. the router's HTTP intake).
  AdminServer(const config::HttpConfig& cfg, ServerOptions opts);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void add_get(const std::string& path, Handler h);
  void add_post(const std::string& path, Handler h);
  /// Any of GET, POST, PUT, DELETE, PATCH. A request for a known path with another method gets 405 and "Allow".
  void add_route(const std::string& method, const std::string& path, Handler h);
  /// The bound port (the actual one when configured with port 0); 0 when disabled.
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  bool running() const;
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  struct Impl;
  void start(const config::HttpConfig& cfg);
  Response dispatch(const Request& req) const;

  ServerOptions opts_;
  std::unique_ptr<Impl> impl_;
  mutable std::shared_mutex routes_mu_;
  std::map<std::pair<std::string, std::string>, Handler> routes_;  // (method, path) → handler
  std::string host_;
  int port_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

}  // namespace peregrine::http
