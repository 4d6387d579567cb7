// The one place that decides whether a failed send is worth retrying, and how long to wait before it.
//
//   retryable: connect errors, timeouts, local I/O errors, HTTP 408, 425, 429 and 5xx except 501/505
//   permanent: HTTP 3xx/4xx otherwise (the same bytes will be refused again), 501, 505, kRejected
// Backoff: min(max_backoff, initial_backoff * 2^(attempt-1)) scaled by a random factor in [0.5, 1.0]
// ("equal jitter"), so many workers failing together do not retry in lock-step. A Retry-After from the
// destination wins when it asks for longer (capped at one hour).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "outputs/output.h"

namespace peregrine::router {

enum class Disposition { kRetry, kPermanent };

Disposition classify(const outputs::SendFailure& failure);

/// Delay before retry number `attempt` (1 = first retry).
std::chrono::milliseconds backoff_delay(const outputs::DeliveryOptions& opts, uint32_t attempt,
                                        const outputs::SendFailure* failure, std::mt19937_64& rng);

}  // namespace peregrine::router
