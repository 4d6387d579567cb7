#include "router/delivery/retry_policy.h"

#include <algorithm>

namespace peregrine::router {

Disposition classify(const outputs::SendFailure& f) {
  using Kind = outputs::SendFailure::Kind;
  switch (f.kind) {
    case Kind::kConnect:
    case Kind::kTimeout:
    case Kind::kIo:
      return Disposition::kRetry;
    case Kind::kRejected:
      return Disposition::kPermanent;
    case Kind::kHttpStatus: {
      const int s = f.http_status;
      if (s == 408 || s == 425 || s == 429) return Disposition::kRetry;
      if (s >= 500 && s <= 599 && s != 501 && s != 505) return Disposition::kRetry;
      return Disposition::kPermanent;
    }
  }
  return Disposition::kPermanent;
}

std::chrono::milliseconds backoff_delay(const outputs::DeliveryOptions& opts, uint32_t attempt,
                                        const outputs::SendFailure* failure, std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  const uint32_t shift = std::min<uint32_t>(attempt == 0 ? 0 : attempt - 1, 30);
  const double base = std::min<double>(static_cast<double>(opts.max_backoff.count()),
                                       static_cast<double>(opts.initial_backoff.count()) * double(1u << shift));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  auto delay = milliseconds(static_cast<int64_t>(base * jitter(rng)));
  if (delay.count() < 1) delay = milliseconds(1);
  if (failure && failure->retry_after) {
    delay = std::max(delay, std::min(*failure->retry_after, milliseconds(3'600'000)));
  }
  return delay;
}

}  // namespace peregrine::router
