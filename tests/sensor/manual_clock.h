// Time for ContainerMetadata's retry schedule, moved by hand: no test waits for a backoff to pass.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "sensor/container_meta.h"

namespace peregrine::sensor::testing {

class ManualClock {
 public:
  ContainerMetadata::Clock::time_point now() const {
    return ContainerMetadata::Clock::time_point(std::chrono::nanoseconds(ns_.load()));
  }
  void advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  std::atomic<int64_t> ns_{int64_t{1000} * 1000 * 1000 * 1000};
};

/// Default options whose clock is `clock`.
inline ContainerMetaOptions manual_options(ManualClock& clock) {
  ContainerMetaOptions o;
  o.clock = [&clock] { return clock.now(); };
  return o;
}

}  // namespace peregrine::sensor::testing
