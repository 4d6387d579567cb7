// In-process HTTP(S) servers for tests: fakes of destinations (Slack, Teams, Twilio, Loki, a bulk sink) and
// receivers that misbehave on purpose. Bound to 127.0.0.1 on a kernel-chosen port; requests are recorded.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace peregrine::testing {

/// One request as the server saw it.
struct SeenRequest {
  std::string method, path, body;  // body as received (still gzip if the client compressed it)
  httplib::Headers headers;
  httplib::Params params;          // query (and form, for application/x-www-form-urlencoded) parameters
  int remote_port = 0;             // the client's port: equal across requests on a kept-alive connection
  std::string header(const std::string& name) const;
};

/// An httplib server on 127.0.0.1:<free port>, running on its own thread until destroyed. Routes are added with
/// handle() before start(); every request is recorded.
class TestHttpServer {
 public:
  using Handler = std::function<void(const SeenRequest&, httplib::Response&)>;
  /// Plain HTTP.
  TestHttpServer();
  /// HTTPS with this certificate and key; with `client_ca`, clients must present a certificate it signed.
  TestHttpServer(const std::filesystem::path& cert, const std::filesystem::path& key,
                 const std::filesystem::path& client_ca = {});
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  /// Answers `method` (GET, POST, PUT, DELETE, PATCH) on paths matching `pattern` (an httplib regex).
  void handle(const std::string& method, const std::string& pattern, Handler h);
  void start();
  int port() const { return port_; }
  std::string url(const std::string& path = "") const;

  std::vector<SeenRequest> requests() const;
  size_t count() const;
  /// Waits until at least `n` requests were recorded.
  bool wait_requests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  void record(const httplib::Request& req, const Handler& h, httplib::Response& res);
  std::unique_ptr<httplib::Server> srv_;
  bool tls_ = false;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<SeenRequest> seen_;
};

/// A TCP listener that accepts connections and never answers (a hung receiver): requests to it time out.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  int port() const { return port_; }
  /// Connections accepted so far.
  size_t accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> accepted_{0};
  std::vector<int> conns_;
  std::thread thread_;
};

/// Certificates for TLS tests, made with the openssl command: a CA, a server certificate for 127.0.0.1 /
/// localhost and a client certificate, all signed by the CA.
struct TestPki {
  std::filesystem::path ca_cert, ca_key, server_cert, server_key, client_cert, client_key;
};
/// Creates the files under `dir`; throws std::runtime_error with openssl's output on failure.
TestPki make_test_pki(const std::filesystem::path& dir);

}  // namespace peregrine::testing
