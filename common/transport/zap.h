// The ZAP handler (ZeroMQ RFC 27) that decides which CURVE clients a binding socket lets in.
//
// libzmq asks "inproc://zeromq.zap.01" of the socket's context about every CURVE handshake, naming the socket's
// ZAP domain (one per link: "alerts", "events", "control") and the client's public key. This handler answers 200
// only for keys in that domain's allow-list and 400 otherwise (an unknown domain included), and counts both.
// Why ZAP rather than a socket monitor: ZAP *decides* (the connection never completes and no message is read),
// while a monitor only observes after the fact. The handler binds before any server socket exists and lives until
// the last one is closed (declare it after the context and before the sockets), so no handshake is ever decided
// without it. A client holding the wrong *server* key fails the handshake before ZAP is asked; that is counted by
// the receiving socket's monitor where there is one (AlertReceiver::handshake_failures()).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/transport/socket.h"

namespace peregrine::transport {

/// Allow-list counters of one domain (read from any thread).
struct ZapCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
};

/// One pure decision, exposed for tests: is `public_key` (32 bytes) allowed in `domain`?
struct ZapDecision {
  bool allowed = false;
  std::string reason;  // "" when allowed; "unknown domain", "mechanism X", "key not allowed"
};

class ZapHandler {
 public:
  /// domain → allowed Z85 public keys. Binds inproc://zeromq.zap.01 in `ctx` (one handler per context) and
  /// answers on its own thread. Throws TransportError when the endpoint is taken or a key is not Z85.
  ZapHandler(zmq::context_t& ctx, const std::map<std::string, std::vector<std::string>>& allowed);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  ZapDecision decide(const std::string& domain, const std::string& mechanism, const std::string& key_bytes) const;
  /// Counters of `domain` (a domain not configured has none: nullptr).
  const ZapCounters* counters(const std::string& domain) const;
  /// Requests that were not valid ZAP (answered 500, never allowed).
  uint64_t malformed() const { return malformed_.load(std::memory_order_relaxed); }

 private:
  void run();
  void answer(std::vector<zmq::message_t>& request);

  zmq::socket_t sock_;
  WakeFd wake_;
  std::map<std::string, std::set<std::string>> allowed_;  // domain → 32-byte binary keys; immutable after start
  std::map<std::string, std::unique_ptr<ZapCounters>> counters_;
  std::atomic<uint64_t> malformed_{0};
  static constexpr size_t kMaxWarned = 64;
  std::set<std::string> warned_;  // (domain, key) pairs already logged at warn; owned by the thread
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace peregrine::transport
