#include <doctest/doctest.h>

#include <set>

#include "router/delivery/retry_policy.h"

using namespace peregrine::router;
using peregrine::outputs::DeliveryOptions;
using peregrine::outputs::SendFailure;
using Kind = SendFailure::Kind;

namespace {
SendFailure fail(Kind k, int status = 0) { return SendFailure{k, status, std::nullopt, "x"}; }
}  // namespace

TEST_CASE("transport and local failures are retryable") {
  CHECK(classify(fail(Kind::kConnect)) == Disposition::kRetry);
  CHECK(classify(fail(Kind::kTimeout)) == Disposition::kRetry);
  CHECK(classify(fail(Kind::kIo)) == Disposition::kRetry);
  CHECK(classify(fail(Kind::kRejected)) == Disposition::kPermanent);
}

TEST_CASE("HTTP statuses: 5xx/408/425/429 retry, other 4xx and 501/505 are permanent") {
  for (int s : {408, 425, 429, 500, 502, 503, 504, 599}) {
    CAPTURE(s);
    CHECK(classify(fail(Kind::kHttpStatus, s)) == Disposition::kRetry);
  }
  for (int s : {301, 400, 401, 403, 404, 413, 422, 501, 505}) {
    CAPTURE(s);
    CHECK(classify(fail(Kind::kHttpStatus, s)) == Disposition::kPermanent);
  }
}

TEST_CASE("backoff doubles up to the cap and jitter stays within [50%, 100%]") {
  DeliveryOptions o;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(1000);
  std::mt19937_64 rng(42);
  for (int round = 0; round < 50; ++round) {
    for (uint32_t attempt = 1; attempt <= 8; ++attempt) {
      const int64_t base = std::min<int64_t>(1000, 100ll << (attempt - 1));
      const auto d = backoff_delay(o, attempt, nullptr, rng).count();
      CAPTURE(attempt);
      CHECK(d >= base / 2);
      CHECK(d <= base);
    }
  }
  // Jitter actually varies.
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i) seen.insert(backoff_delay(o, 5, nullptr, rng).count());
  CHECK(seen.size() > 1);
}

TEST_CASE("Retry-After wins when longer, capped at one hour") {
  DeliveryOptions o;
  o.initial_backoff = std::chrono::milliseconds(10);
  o.max_backoff = std::chrono::milliseconds(20);
  std::mt19937_64 rng(1);
  SendFailure f = fail(Kind::kHttpStatus, 429);
  f.retry_after = std::chrono::milliseconds(5000);
  CHECK(backoff_delay(o, 1, &f, rng).count() == 5000);
  f.retry_after = std::chrono::hours(5);
  CHECK(backoff_delay(o, 1, &f, rng) == std::chrono::milliseconds(3'600'000));
}
