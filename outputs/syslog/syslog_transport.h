// The syslog output's connection: one UDP socket, TCP connection or TLS session (OpenSSL) to the receiver,
// kept open between messages and made again after any failure. Nothing blocks past the deadline of a send():
// sockets are non-blocking, and connect, the TLS handshake and writes wait in poll() for what is left of it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/output.h"

// OpenSSL's handle types, without its headers here.
struct ssl_st;
struct ssl_ctx_st;

namespace peregrine::outputs {

enum class SyslogProtocol { kUdp, kTcp, kTls };

struct SyslogTls {
  std::string ca_file;        // "" = the system's CAs
  std::string cert_file;      // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::string server_name;    // checked against the certificate; "" = the host (an IP address checks the IP)
  bool insecure_skip_verify = false;
};

/// A file descriptor, closed when it goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release();
  void reset(int fd = -1);
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct SslCtxFree {
  void operator()(ssl_ctx_st* c) const;
};
struct SslFree {
  void operator()(ssl_st* s) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;
using SslPtr = std::unique_ptr<ssl_st, SslFree>;

/// A TLS client context for `tls` (TLS 1.2 or newer, peer verification unless insecure_skip_verify). Throws
/// std::runtime_error naming the file OpenSSL could not use.
SslCtxPtr make_tls_client_context(const SyslogTls& tls);

class SyslogConnection {
 public:
  /// Throws std::runtime_error when the TLS context cannot be built (load time).
  SyslogConnection(SyslogProtocol protocol, std::string host, int port, SyslogTls tls,
                   std::chrono::milliseconds timeout);
  ~SyslogConnection();
  SyslogConnection(const SyslogConnection&) = delete;
  SyslogConnection& operator=(const SyslogConnection&) = delete;

  /// Writes `bytes` (UDP: one datagram; TCP/TLS: whole frames), connecting first when there is no connection
  /// or the peer closed it. Within the timeout; failures as kConnect, kTimeout or kIo, and the connection is
  /// dropped (a frame may have been half written).
  SendResult send(std::string_view bytes);
  bool connected() const { return static_cast<bool>(fd_); }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  std::optional<SendFailure> connect(Deadline deadline);
  std::optional<SendFailure> handshake(Deadline deadline);
  std::optional<SendFailure> write_all(std::string_view bytes, Deadline deadline);
  std::optional<SendFailure> write_tls(std::string_view bytes, Deadline deadline);
  bool peer_closed();
  void close();

  SyslogProtocol protocol_;
  std::string host_;
  int port_;
  SyslogTls tls_;
  std::chrono::milliseconds timeout_;
  SslCtxPtr ctx_;
  UniqueFd fd_;
  SslPtr ssl_;
};

}  // namespace peregrine::outputs
