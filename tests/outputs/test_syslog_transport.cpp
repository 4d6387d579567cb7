// The syslog output's connection on 127.0.0.1: UDP datagrams, TCP reconnect after the receiver closed, a refused
// port, a TLS receiver that never answers (timeout), and the TLS certificate and server name checks.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "outputs/syslog/syslog_transport.h"
#include "tests/support/http_server.h"
#include "tests/support/temp_dir.h"

using namespace peregrine::outputs;
using namespace std::chrono_literals;

namespace {

// A socket bound to 127.0.0.1 on a free port (listening when it is a stream socket).
struct LocalSocket {
  UniqueFd fd;
  int port = 0;
  explicit LocalSocket(int type) : fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) REQUIRE(::listen(fd.get(), 4) == 0);
  }
};

// What arrives on `fd` within 5 s (until `want` bytes or EOF).
std::string receive(int fd, size_t want) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

UniqueFd accept_within(int listener) {
  pollfd p{listener, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  return UniqueFd(::accept(listener, nullptr, nullptr));
}

}  // namespace

TEST_CASE("syslog transport: UDP sends one datagram per message") {
  LocalSocket receiver(SOCK_DGRAM);
  SyslogConnection conn(SyslogProtocol::kUdp, "127.0.0.1", receiver.port, {}, 1s);
  REQUIRE(conn.send("<14>1 - - - - - first").ok());
  REQUIRE(conn.send("<14>1 - - - - - second").ok());
  CHECK(receive(receiver.fd.get(), 1) == "<14>1 - - - - - first");
  CHECK(receive(receiver.fd.get(), 1) == "<14>1 - - - - - second");
}

TEST_CASE("syslog transport: TCP keeps one connection and makes a new one after the receiver closed it") {
  LocalSocket listener(SOCK_STREAM);
  SyslogConnection conn(SyslogProtocol::kTcp, "127.0.0.1", listener.port, {}, 2s);
  REQUIRE(conn.send("5 first").ok());
  UniqueFd first = accept_within(listener.fd.get());
  REQUIRE(conn.send("6 second").ok());
  CHECK(receive(first.get(), 15) == "5 first6 second");
  first.reset();  // the receiver restarts; on loopback its FIN has arrived when close() returns
  // The closed connection is noticed before writing (a write into it could succeed locally and be lost).
  REQUIRE(conn.send("5 third").ok());
  UniqueFd second = accept_within(listener.fd.get());
  CHECK(receive(second.get(), 7) == "5 third");
}

TEST_CASE("syslog transport: a refused TCP port is a connect failure") {
  int port = 0;
  {
    LocalSocket gone(SOCK_STREAM);
    port = gone.port;
  }
  SyslogConnection conn(SyslogProtocol::kTcp, "127.0.0.1", port, {}, 1s);
  auto r = conn.send("1 x");
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kConnect);
  CHECK_MESSAGE(r.failure->message.find("refused") != std::string::npos, r.failure->message);
  CHECK_FALSE(conn.connected());
}

TEST_CASE("syslog transport: a TLS receiver that accepts and never answers costs timeout_ms, then kTimeout") {
  peregrine::testing::SilentServer hung;
  SyslogTls tls;
  tls.insecure_skip_verify = true;
  SyslogConnection conn(SyslogProtocol::kTls, "127.0.0.1", hung.port(), tls, 300ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = conn.send("1 x");
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kTimeout);
  CHECK(took >= 250ms);
  CHECK(took < 2s);
}

TEST_CASE("syslog transport: TLS checks the certificate against ca_file and the server name") {
  peregrine::testing::TempDir dir;
  const auto pki = peregrine::testing::make_test_pki(dir.path());
  peregrine::testing::TestHttpServer server(pki.server_cert, pki.server_key);
  server.start();
  SyslogTls tls;
  tls.ca_file = pki.ca_cert.string();
  SyslogConnection good(SyslogProtocol::kTls, "127.0.0.1", server.port(), tls, 3s);
  auto ok = good.send("1 x");
  CHECK_MESSAGE(ok.ok(), (ok.failure ? ok.failure->message : ""));

  tls.server_name = "wrong.example";
  SyslogConnection wrong_name(SyslogProtocol::kTls, "127.0.0.1", server.port(), tls, 3s);
  auto r = wrong_name.send("1 x");
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kConnect);
  CHECK_MESSAGE(r.failure->message.find("certificate verify failed") != std::string::npos, r.failure->message);

  SyslogConnection system_cas(SyslogProtocol::kTls, "127.0.0.1", server.port(), SyslogTls{}, 3s);
  auto untrusted = system_cas.send("1 x");
  REQUIRE(untrusted.failure);
  CHECK_MESSAGE(untrusted.failure->message.find("certificate verify failed") != std::string::npos,
                untrusted.failure->message);
}
