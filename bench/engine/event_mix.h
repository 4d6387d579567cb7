// A deterministic, realistic syscall event mix for the engine benchmark (see docs/performance.md "## Engine").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/event.h"

namespace peregrine::bench {

/// Share of each kind of event in the mix, in events per 1000.
struct MixShare {
  const char* what;
  int per_mille;
};

/// The documented mix (printed by the benchmark).
const std::vector<MixShare>& mix_shares();

/// `n` events following mix_shares(), generated from `seed`. About 1 in 1000 events is a credential-file read
/// by `cat` that fires a rule in both rulesets, so the alert path is exercised but rare.
std::vector<Event> make_event_mix(size_t n, uint64_t seed);

}  // namespace peregrine::bench
