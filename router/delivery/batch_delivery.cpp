// DeliveryWorker::deliver: one claimed batch, from format() to every alert accounted for. Runs on the lane that
// claimed the batch; several lanes run it at once when the output's concurrency() > 1.
#include <set>
#include <utility>

#include "common/alert_text.h"
#include "common/log.h"
#include "router/delivery/delivery_worker.h"
#include "router/delivery/retry_policy.h"

namespace peregrine::router {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const outputs::SendFailure& f) {
  std::string s = f.kind == outputs::SendFailure::Kind::kHttpStatus ? "HTTP " + std::to_string(f.http_status) + ": "
                                                                    : std::string();
  return s + f.message;
}

std::string alert_json(const Alert& a) { return alert_json_text(a); }

uint64_t epoch_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// What one attempt made of each alert of the batch.
struct Outcome {
  std::optional<outputs::SendFailure> failure;
  bool carried = false;             // some payload listed it
  const std::string* aside = nullptr;  // set aside by the output, with this reason
};

}  // namespace

outputs::SendResult DeliveryWorker::timed_send(const outputs::Payload& p) {
  metrics_.in_flight.add(1);
  const auto t0 = Clock::now();
  auto r = output_.send(p);
  metrics_.request_duration.observe(std::chrono::duration<double>(Clock::now() - t0).count());
  metrics_.in_flight.sub(1);
  metrics_.sent_bytes.inc(p.body.size());
  if (r.failure) metrics_.send_errors.inc();
  else metrics_.last_success.set(static_cast<double>(epoch_ns()) / 1e9);
  return r;
}

bool DeliveryWorker::deliver(Batch& b, std::mt19937_64& rng) {
  auto log = logger("router." + output_.common().type + "#" + name());
  const auto& opts = output_.common().delivery;
  // (uuid, payload key) pairs delivered by an earlier attempt: a retry does not send them again.
  std::set<std::pair<std::string, std::string>> done;
  for (uint32_t attempt = 1;; ++attempt) {
    auto formatted = output_.format(b.alerts);
    if (!formatted) {
      for (size_t i = 0; i < b.alerts.size(); ++i)
        dead_letter("format failed: " + formatted.error().message, b.seqs[i], alert_json(b.alerts[i]));
      return true;
    }
    const size_t n = b.alerts.size();
    std::vector<Outcome> out(n);
    for (const auto& sa : formatted->set_aside)
      if (sa.item < n) out[sa.item].aside = &sa.reason;
    std::vector<std::pair<std::string, std::string>> sent_now;
    for (const auto& p : formatted->payloads) {
      bool all_done = true;
      for (size_t i : p.items) {
        if (i >= n) continue;
        out[i].carried = true;
        if (!done.count({b.alerts[i].uuid, p.key})) all_done = false;
      }
      if (all_done) continue;
      auto r = timed_send(p);
      std::set<size_t> item_failed;
      for (const auto& [i, f] : r.item_failures)
        if (i < n) {
          out[i].failure = f;
          item_failed.insert(i);
        }
      for (size_t i : p.items) {
        if (i >= n) continue;
        if (r.failure) out[i].failure = *r.failure;
        else if (!item_failed.count(i)) sent_now.emplace_back(b.alerts[i].uuid, p.key);
      }
    }
    if (auto fl = output_.flush(); fl.failure) {
      metrics_.send_errors.inc();
      for (auto& o : out)
        if (o.carried && !o.failure) o.failure = *fl.failure;
      sent_now.clear();  // nothing of this attempt is known to be durable
    }
    done.insert(sent_now.begin(), sent_now.end());

    Batch retry;
    std::optional<outputs::SendFailure> last;
    const uint64_t now_ns = epoch_ns();
    for (size_t i = 0; i < n; ++i) {
      const Outcome& o = out[i];
      if (!o.carried && o.aside) {
        metrics_.set_aside(*o.aside);
      } else if (!o.carried) {
        metrics_.unaccounted.inc();
        if (!unaccounted_logged_.exchange(true))
          log->error("output {} did not account for an alert (neither sent nor set aside): a bug; dead-lettered",
                     name());
        dead_letter("output did not account for this alert", b.seqs[i], alert_json(b.alerts[i]));
      } else if (!o.failure) {
        metrics_.delivered.inc();
        if (b.appended_ns[i] != 0 && now_ns > b.appended_ns[i])
          metrics_.delivery_latency.observe(static_cast<double>(now_ns - b.appended_ns[i]) / 1e9);
      } else if (classify(*o.failure) == Disposition::kPermanent) {
        dead_letter("permanent failure: " + describe(*o.failure), b.seqs[i], alert_json(b.alerts[i]));
      } else {
        last = o.failure;
        retry.alerts.push_back(std::move(b.alerts[i]));
        retry.seqs.push_back(b.seqs[i]);
        retry.appended_ns.push_back(b.appended_ns[i]);
      }
    }
    if (retry.alerts.empty()) return true;
    if (opts.max_attempts != 0 && attempt >= opts.max_attempts) {
      for (size_t i = 0; i < retry.alerts.size(); ++i)
        dead_letter("retries exhausted after " + std::to_string(attempt) + " attempts: " + describe(*last),
                    retry.seqs[i], alert_json(retry.alerts[i]));
      return true;
    }
    const auto delay = backoff_delay(opts, attempt, &*last, rng);
    if (attempt == 1) log->warn("send failed, retrying {} alerts: {}", retry.alerts.size(), describe(*last));
    else log->debug("attempt {} failed, next in {} ms: {}", attempt, delay.count(), describe(*last));
    metrics_.retried.inc(retry.alerts.size());
    b.alerts.swap(retry.alerts);
    b.seqs.swap(retry.seqs);
    b.appended_ns.swap(retry.appended_ns);
    if (!backoff_wait(delay)) return false;
  }
}

}  // namespace peregrine::router
