#include "outputs/syslog/syslog_transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace peregrine::outputs {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = SendFailure::Kind;

SendFailure failure(Kind kind, std::string message) { return SendFailure{kind, 0, std::nullopt, std::move(message)}; }

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// 1 = ready, 0 = the deadline passed, -1 = poll failed.
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = remaining_ms(deadline);
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return 1;
    if (n == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

// The first queued OpenSSL error as text (and the queue emptied).
std::string ssl_error_text() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    if (text.empty()) {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      text = buf;
    }
  }
  return text.empty() ? "TLS error" : text;
}

bool is_ip_literal(const std::string& host) {
  in6_addr buf{};
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 || inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

// One non-blocking connect to `ai`, waited for until the deadline.
std::optional<SendFailure> connect_one(const addrinfo* ai, UniqueFd& out, Clock::time_point deadline) {
  UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
  if (!fd) return failure(Kind::kIo, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return failure(Kind::kConnect, std::string("connect: ") + std::strerror(errno));
    const int ready = wait_fd(fd.get(), POLLOUT, deadline);
    if (ready == 0) return failure(Kind::kTimeout, "connect: no answer within timeout_ms");
    int err = 0;
    socklen_t len = sizeof err;
    if (ready < 0 || ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return failure(Kind::kConnect, std::string("connect: ") + std::strerror(err));
  }
  if (ai->ai_socktype == SOCK_STREAM) {
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  out = std::move(fd);
  return std::nullopt;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void SslCtxFree::operator()(ssl_ctx_st* c) const { SSL_CTX_free(c); }
void SslFree::operator()(ssl_st* s) const { SSL_free(s); }

SslCtxPtr make_tls_client_context(const SyslogTls& tls) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("cannot create a TLS context: " + ssl_error_text());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!tls.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const int ok = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                       : SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr);
    if (ok != 1) throw std::runtime_error("cannot load CA certificates " + tls.ca_file + ": " + ssl_error_text());
  }
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
      throw std::runtime_error("cannot load the client certificate " + tls.cert_file + ": " + ssl_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      throw std::runtime_error("cannot use the client key " + tls.key_file + ": " + ssl_error_text());
  }
  return ctx;
}

SyslogConnection::SyslogConnection(SyslogProtocol protocol, std::string host, int port, SyslogTls tls,
                                   std::chrono::milliseconds timeout)
    : protocol_(protocol), host_(std::move(host)), port_(port), tls_(std::move(tls)), timeout_(timeout) {
  if (protocol_ == SyslogProtocol::kTls) ctx_ = make_tls_client_context(tls_);
}

SyslogConnection::~SyslogConnection() { close(); }

void SyslogConnection::close() {
  ssl_.reset();  // no close_notify: the peer may be gone, and the socket is dropped either way
  fd_.reset();
}

std::optional<SendFailure> SyslogConnection::connect(Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = protocol_ == SyslogProtocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0)
    return failure(Kind::kConnect, "resolve " + host_ + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(res, ::freeaddrinfo);
  std::optional<SendFailure> last;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    last = connect_one(ai, fd_, deadline);
    if (!last) break;
    if (last->kind == Kind::kTimeout) return last;
  }
  if (last) return last;
  if (protocol_ == SyslogProtocol::kTls) {
    if (auto f = handshake(deadline)) {
      close();
      return f;
    }
  }
  return std::nullopt;
}

std::optional<SendFailure> SyslogConnection::handshake(Deadline deadline) {
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) return failure(Kind::kIo, "SSL_new: " + ssl_error_text());
  const std::string name = tls_.server_name.empty() ? host_ : tls_.server_name;
  if (!tls_.insecure_skip_verify) {
    const int ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str())
                                       : SSL_set1_host(ssl_.get(), name.c_str());
    if (ok != 1) return failure(Kind::kIo, "cannot check the server name " + name + ": " + ssl_error_text());
  }
  if (!is_ip_literal(name)) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_.get());
    if (rc == 1) return std::nullopt;
    const int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      const int ready = wait_fd(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (ready == 0) return failure(Kind::kTimeout, "TLS handshake: no answer within timeout_ms");
      if (ready < 0) return failure(Kind::kIo, std::string("poll: ") + std::strerror(errno));
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK)
      return failure(Kind::kConnect, std::string("TLS handshake: certificate verify failed: ") +
                                         X509_verify_cert_error_string(verify) + " (server name " + name + ")");
    const std::string why = err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 ? "connection closed by the peer"
                                                                              : ssl_error_text();
    return failure(Kind::kConnect, "TLS handshake: " + why);
  }
}

// A stream receiver never talks back: readable means it closed (EOF, reset) — or, for TLS, sent a session
// ticket or a close_notify. Noticed before writing, since a write into a closed connection can still succeed
// locally and lose the message.
bool SyslogConnection::peer_closed() {
  if (protocol_ == SyslogProtocol::kUdp) return false;
  for (;;) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return true;
    char buf[4096];
    if (protocol_ == SyslogProtocol::kTcp) {
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
      continue;  // data from a syslog receiver: dropped
    }
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buf, sizeof buf);
    if (n > 0) continue;
    const int err = SSL_get_error(ssl_.get(), n);
    return err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE;
  }
}

std::optional<SendFailure> SyslogConnection::write_tls(std::string_view bytes, Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    const int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
    if (n > 0) return std::nullopt;  // without partial writes, SSL_write writes everything or nothing
    const int err = SSL_get_error(ssl_.get(), n);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      return failure(Kind::kIo, "TLS write: " + (err == SSL_ERROR_SYSCALL && errno != 0 ? std::string(std::strerror(errno))
                                                                                         : ssl_error_text()));
    const int ready = wait_fd(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
    if (ready == 0) return failure(Kind::kTimeout, "TLS write: the receiver took nothing within timeout_ms");
    if (ready < 0) return failure(Kind::kIo, std::string("poll: ") + std::strerror(errno));
  }
}

std::optional<SendFailure> SyslogConnection::write_all(std::string_view bytes, Deadline deadline) {
  if (protocol_ == SyslogProtocol::kTls) return write_tls(bytes, deadline);
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      // A datagram goes whole or not at all.
      bytes.remove_prefix(static_cast<size_t>(n));
      if (protocol_ == SyslogProtocol::kUdp) return std::nullopt;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNREFUSED)
      return failure(Kind::kConnect, "send: connection refused (nothing listens on the port)");
    if (errno != EAGAIN && errno != EWOULDBLOCK) return failure(Kind::kIo, std::string("send: ") + std::strerror(errno));
    const int ready = wait_fd(fd_.get(), POLLOUT, deadline);
    if (ready == 0) return failure(Kind::kTimeout, "send: the receiver took nothing within timeout_ms");
    if (ready < 0) return failure(Kind::kIo, std::string("poll: ") + std::strerror(errno));
  }
  return std::nullopt;
}

SendResult SyslogConnection::send(std::string_view bytes) {
  const Deadline deadline = Clock::now() + timeout_;
  SendResult r;
  if (fd_ && peer_closed()) close();
  if (!fd_) {
    if (auto f = connect(deadline)) {
      close();
      r.failure = std::move(f);
      return r;
    }
  }
  if (auto f = write_all(bytes, deadline)) {
    close();
    r.failure = std::move(f);
  }
  return r;
}

}  // namespace peregrine::outputs
