// Small pieces shared by the ZeroMQ links: binding with port 0, the actual endpoint, and a wake-up fd that
// lets another thread interrupt a zmq::poll without touching the socket (sockets stay single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include <zmq.hpp>

namespace peregrine::transport {

/// Thrown at construction (load time) when an endpoint cannot be bound or connected.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Binds `sock`. "tcp://host:0" is accepted (any free port); ipc:// parent directories are created.
/// Returns the actual endpoint (ZMQ_LAST_ENDPOINT). Throws TransportError.
std::string bind_socket(zmq::socket_t& sock, const std::string& endpoint);
/// Connects `sock`. Throws TransportError on a malformed endpoint.
void connect_socket(zmq::socket_t& sock, const std::string& endpoint);

/// A view of a message's bytes (valid while the message lives).
inline std::span<const uint8_t> view(const zmq::message_t& m) {
  return {static_cast<const uint8_t*>(m.data()), m.size()};
}

/// An eventfd: notify() from any thread, poll fd() in the socket's thread, drain() after waking.
class WakeFd {
 public:
  WakeFd();
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  void notify();
  void drain();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

/// Milliseconds from now until `deadline`, clamped to [0, cap] (for zmq::poll).
std::chrono::milliseconds until(std::chrono::steady_clock::time_point deadline,
                                std::chrono::milliseconds cap = std::chrono::hours(1));

}  // namespace peregrine::transport
