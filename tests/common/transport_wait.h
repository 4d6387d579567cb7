// Shared by the transport tests: retrying a bind until a just-closed socket has released its port (a router
// restarted on the port it read back from its first bind). Waits come from tests/support/wait.h.
//
// ZeroMQ offers no notification for "the old socket has released its port", so this polls; the polling step is
// the only pause and never stands in for synchronisation.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "common/transport/socket.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace peregrine::transport::testing {

using peregrine::testing::wait_until;
inline constexpr std::chrono::milliseconds kPollStep{1};

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

}  // namespace peregrine::transport::testing
