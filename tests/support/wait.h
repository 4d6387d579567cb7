// Waiting on a condition with a deadline: the only way tests synchronise with threads and processes.
// The poll interval (1 ms growing to 50 ms) is a polling step, never a stand-in for synchronisation.
#pragma once

#include <chrono>
#include <functional>

namespace peregrine::testing {

/// True as soon as `pred()` holds; false if it still does not after `timeout`.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace peregrine::testing
