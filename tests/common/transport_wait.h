// Shared by the transport tests: waiting on a condition with a deadline, retrying a bind until a just-closed
// socket has released its port, and picking a free port below the ephemeral range.
//
// ZeroMQ offers no notification for "the peer has connected" or "the old socket has released its port", so
// these poll; the polling step is the only pause and never stands in for synchronisation.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common/transport/socket.h"

namespace peregrine::transport::testing {

inline constexpr std::chrono::milliseconds kPollStep{1};

/// True as soon as `pred()` holds; false if it still does not after `timeout`.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(kPollStep);
  }
  return true;
}

/// `make()` retried while it throws TransportError (a port the previous socket is still closing), up to 10 s.
template <typename Make>
auto construct_with_retry(Make make) -> decltype(make()) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      return make();
    } catch (const TransportError&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(kPollStep);
    }
  }
}

/// A port nobody listens on, below the kernel's ephemeral range (a retried connect() towards an ephemeral
/// port can end up connected to itself). Probed with a plain socket, whose close() is synchronous, unlike a
/// ZeroMQ socket's.
inline int free_low_port() {
  for (int port = 20000 + (::getpid() % 10000);; ++port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
}

}  // namespace peregrine::transport::testing
