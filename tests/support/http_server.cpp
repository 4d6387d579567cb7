#include "tests/support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace peregrine::testing {
namespace fs = std::filesystem;

std::string SeenRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

TestHttpServer::TestHttpServer() : srv_(std::make_unique<httplib::Server>()) {}

TestHttpServer::TestHttpServer(const fs::path& cert, const fs::path& key, const fs::path& client_ca)
    : srv_(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str(),
                                                client_ca.empty() ? nullptr : client_ca.c_str())),
      tls_(true) {
  if (!srv_->is_valid()) throw std::runtime_error("TLS test server: bad certificate or key");
}

TestHttpServer::~TestHttpServer() {
  srv_->stop();
  if (thread_.joinable()) thread_.join();
}

void TestHttpServer::record(const httplib::Request& req, const Handler& h, httplib::Response& res) {
  SeenRequest s{req.method, req.path, req.body, req.headers, req.params, req.remote_port};
  if (h) h(s, res);
  std::lock_guard lk(mu_);
  seen_.push_back(std::move(s));
  cv_.notify_all();
}

void TestHttpServer::handle(const std::string& method, const std::string& pattern, Handler h) {
  auto fn = [this, h](const httplib::Request& req, httplib::Response& res) { record(req, h, res); };
  if (method == "GET") srv_->Get(pattern, fn);
  else if (method == "POST") srv_->Post(pattern, fn);
  else if (method == "PUT") srv_->Put(pattern, fn);
  else if (method == "DELETE") srv_->Delete(pattern, fn);
  else if (method == "PATCH") srv_->Patch(pattern, fn);
  else throw std::invalid_argument("method " + method);
}

void TestHttpServer::start() {
  srv_->set_tcp_nodelay(true);  // no Nagle wait between the response headers and body
  port_ = srv_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("test server: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { srv_->listen_after_bind(); });
  if (!wait_until([&] { return srv_->is_running(); }, std::chrono::seconds(10)))
    throw std::runtime_error("test server did not start");
}

std::string TestHttpServer::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<SeenRequest> TestHttpServer::requests() const {
  std::lock_guard lk(mu_);
  return seen_;
}

size_t TestHttpServer::count() const {
  std::lock_guard lk(mu_);
  return seen_.size();
}

bool TestHttpServer::wait_requests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return seen_.size() >= n; });
}

SilentServer::SilentServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
    throw std::runtime_error("silent server: bind/listen failed");
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        conns_.push_back(c);  // kept open, never read, never answered
        ++accepted_;
      }
    }
  });
}

SilentServer::~SilentServer() {
  stop_ = true;
  thread_.join();
  for (int c : conns_) ::close(c);
  ::close(fd_);
}

TestPki make_test_pki(const fs::path& dir) {
  fs::create_directories(dir);
  TestPki p{dir / "ca.pem", dir / "ca.key", dir / "server.pem", dir / "server.key", dir / "client.pem",
            dir / "client.key"};
  auto run = [](const std::vector<std::string>& args) {
    auto r = run_command("openssl", args);
    if (r.rc != 0) throw std::runtime_error("openssl " + args.front() + " failed: " + r.err);
  };
  run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Peregrine test CA", "-keyout",
       p.ca_key.string(), "-out", p.ca_cert.string(), "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  auto leaf = [&](const fs::path& cert, const fs::path& key, const std::string& cn, const std::string& ext) {
    const fs::path csr = cert.string() + ".csr", extfile = cert.string() + ".ext";
    {
      std::ofstream(extfile) << ext << "\n";
    }
    run({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn, "-keyout", key.string(), "-out", csr.string()});
    run({"x509", "-req", "-in", csr.string(), "-CA", p.ca_cert.string(), "-CAkey", p.ca_key.string(),
         "-CAcreateserial", "-days", "2", "-out", cert.string(), "-extfile", extfile.string()});
  };
  leaf(p.server_cert, p.server_key, "127.0.0.1",
       "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
  leaf(p.client_cert, p.client_key, "peregrine-router", "extendedKeyUsage=clientAuth");
  return p;
}

}  // namespace peregrine::testing
