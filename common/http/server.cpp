#include "common/http/server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>
#include <stdexcept>

#include "common/log.h"

namespace peregrine::http {

std::string Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

namespace {

Request to_request(const httplib::Request& in, std::string body) {
  Request req{in.method, in.path, std::move(body), in.remote_addr, {}};
  for (const auto& [k, v] : in.headers) req.headers.emplace_back(k, v);
  return req;
}

void write_reply(const Response& r, httplib::Response& out) {
  out.status = r.status;
  for (const auto& [k, v] : r.headers) out.set_header(k.c_str(), v);
  out.set_content(r.body, r.content_type.c_str());
}

// Plain HTTP, or HTTPS with an optional client-certificate requirement (cpp-httplib's SSLServer sets
// SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT when given a client CA).
std::unique_ptr<httplib::Server> make_server(const config::TlsServerConfig& tls) {
  if (!tls.enabled()) return std::make_unique<httplib::Server>();
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  throw std::runtime_error("tls: this build's cpp-httplib has no OpenSSL support");
#else
  auto s = std::make_unique<httplib::SSLServer>(tls.cert_file.c_str(), tls.key_file.c_str(),
                                                tls.client_ca_file.empty() ? nullptr : tls.client_ca_file.c_str());
  if (!s->is_valid()) {
    throw std::runtime_error("tls: cannot load certificate " + tls.cert_file + " with key " + tls.key_file +
                             (tls.client_ca_file.empty() ? "" : " and client CA " + tls.client_ca_file) +
                             " (missing, unreadable, not PEM, or the key does not match the certificate)");
  }
  SSL_CTX_set_min_proto_version(s->ssl_context(), TLS1_2_VERSION);
  return s;
#endif
}

}  // namespace

struct AdminServer::Impl {
  std::unique_ptr<httplib::Server> server;  // an httplib::SSLServer with TLS
  /// POST/PUT/DELETE/PATCH: reads the body within max_body_bytes, then dispatches (or answers 413).
  static void handle_with_body(AdminServer& self, const httplib::Request& in, httplib::Response& out,
                               const httplib::ContentReader& read);
};

AdminServer::AdminServer(const config::HttpConfig& cfg, metrics::Registry& registry, std::function<bool()> healthy,
                         ServerOptions opts)
    : opts_(opts) {
  add_get("/healthz", [healthy = std::move(healthy)](const Request&) {
    bool ok = false;
    try {
      ok = !healthy || healthy();
    } catch (const std::exception&) {
      ok = false;
    }
    Response r;
    r.status = ok ? 200 : 503;
    r.body = ok ? "ok\n" : "unhealthy\n";
    return r;
  });
  add_get("/metrics", [&registry](const Request&) {
    Response r;
    r.body = registry.render();
    r.content_type = metrics::kContentType;
    return r;
  });
  start(cfg);
}

AdminServer::AdminServer(const config::HttpConfig& cfg, ServerOptions opts) : opts_(opts) { start(cfg); }

void AdminServer::start(const config::HttpConfig& cfg) {
  if (!cfg.enabled) return;
  auto hp = config::parse_host_port(cfg.listen);
  if (!hp) throw std::runtime_error("invalid listen address '" + cfg.listen + "': " + hp.error().message);
  impl_ = std::make_unique<Impl>();
  impl_->server = make_server(opts_.tls);
  auto& srv = *impl_->server;
  size_t threads = opts_.threads == 0 ? 1 : opts_.threads;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv.set_payload_max_length(opts_.max_body_bytes);
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second process silently share our
  // port; keep only SO_REUSEADDR (fast restarts).
  srv.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  srv.set_read_timeout(opts_.read_timeout_s, 0);
  srv.set_write_timeout(opts_.write_timeout_s, 0);
  srv.Get(R"(/.*)", [this](const httplib::Request& in, httplib::Response& out) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    write_reply(dispatch(to_request(in, {})), out);
  });
  const httplib::Server::HandlerWithContentReader with_body = [this](const httplib::Request& in, httplib::Response& out,
                                                                    const httplib::ContentReader& read) {
    Impl::handle_with_body(*this, in, out, read);
  };
  srv.Post(R"(/.*)", with_body);
  srv.Put(R"(/.*)", with_body);
  srv.Delete(R"(/.*)", with_body);
  srv.Patch(R"(/.*)", with_body);  // no route uses it; registered so its body is bounded too (then 404/405)
  host_ = hp->host;
  srv.set_tcp_nodelay(true);  // replies go out at once (no Nagle wait behind the headers)
  if (hp->port == 0) {
    port_ = srv.bind_to_any_port(host_.c_str());
  } else {
    port_ = srv.bind_to_port(host_.c_str(), hp->port) ? hp->port : -1;
  }
  if (port_ <= 0) {
    impl_.reset();
    port_ = 0;
    throw std::runtime_error("cannot listen on " + cfg.listen);
  }
  thread_ = std::thread([this] { impl_->server->listen_after_bind(); });
  // cpp-httplib's stop() is a no-op until the accept loop has started, so a server destroyed right after
  // construction would never stop: wait (briefly, at start-up only) for the loop to be running.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!srv.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  if (!srv.is_running()) {
    // Not expected; the accept thread is left behind rather than blocking or terminating here.
    thread_.detach();
    (void)impl_.release();
    port_ = 0;
    throw std::runtime_error("HTTP server on " + cfg.listen + " did not start");
  }
}

// cpp-httplib 0.11 applies set_payload_max_length only to a Content-Length body (refused before any route,
// with an empty 413) and buffers a chunked body whole. Reading through the ContentReader bounds
// every framing here, and lets one place build the 413 reply for all of them.
void AdminServer::Impl::handle_with_body(AdminServer& self, const httplib::Request& in, httplib::Response& out,
                                         const httplib::ContentReader& read) {
  const ServerOptions& opts = self.opts_;
  self.requests_.fetch_add(1, std::memory_order_relaxed);
  // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body (`curl -X POST /test`).
  if (!in.has_header("Content-Length") && !in.has_header("Transfer-Encoding")) {
    write_reply(self.dispatch(to_request(in, {})), out);
    return;
  }
  std::string body;
  bool too_large = false;
  const bool ok = read([&](const char* data, size_t n) {
    if (!too_large && body.size() + n <= opts.max_body_bytes) {
      body.append(data, n);
    } else {
      too_large = true;  // keep reading and discarding: the client then gets the 413 rather than a reset
      body.clear();
    }
    return true;
  });
  if (too_large || (!ok && out.status == 413)) {
    Response r;
    if (opts.body_too_large) {
      r = opts.body_too_large(to_request(in, {}));
    } else {
      r.status = 413;
      r.body = "request body larger than " + std::to_string(opts.max_body_bytes) + " bytes\n";
    }
    write_reply(r, out);
    return;
  }
  if (!ok) {  // broken framing or the client went away; nothing was dispatched
    Response r;
    r.status = 400;
    r.body = "could not read the request body\n";
    write_reply(r, out);
    return;
  }
  write_reply(self.dispatch(to_request(in, std::move(body))), out);
}

AdminServer::~AdminServer() {
  if (impl_) {
    impl_->server->stop();
    if (thread_.joinable()) thread_.join();
  }
}

bool AdminServer::running() const { return impl_ && impl_->server->is_running(); }

void AdminServer::add_get(const std::string& path, Handler h) { add_route("GET", path, std::move(h)); }

void AdminServer::add_post(const std::string& path, Handler h) { add_route("POST", path, std::move(h)); }

void AdminServer::add_route(const std::string& method, const std::string& path, Handler h) {
  std::unique_lock lock(routes_mu_);
  routes_[{method, path}] = std::move(h);
}

Response AdminServer::dispatch(const Request& req) const {
  Handler h;
  std::string allow;  // methods of a known path (RFC 9110: a 405 lists them)
  {
    std::shared_lock lock(routes_mu_);
    auto it = routes_.find({req.method, req.path});
    if (it != routes_.end()) {
      h = it->second;
    } else {
      for (const auto& [key, _] : routes_)
        if (key.second == req.path) allow += (allow.empty() ? "" : ", ") + key.first;
    }
  }
  if (!h) {
    Response r;
    r.status = allow.empty() ? 404 : 405;
    r.body = allow.empty() ? "not found\n" : "method not allowed\n";
    if (!allow.empty()) r.headers.emplace_back("Allow", allow);
    return r;
  }
  try {
    return h(req);
  } catch (const std::exception& e) {
    logger("http")->warn("handler for {} {} failed: {}", req.method, req.path, e.what());
    Response r;
    r.status = 500;
    r.body = "internal error\n";
    return r;
  }
}

}  // namespace peregrine::http
