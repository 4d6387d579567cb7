#include "router/delivery/delivery_worker.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "outputs/registry.h"
#include "router/delivery/dead_letter.h"
#include "router/delivery/retry_policy.h"
#include "router/queue/durable_queue.h"

namespace peregrine::router {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kIdlePoll = std::chrono::milliseconds(500);

std::string describe(const outputs::SendFailure& f) {
  std::string s = f.kind == outputs::SendFailure::Kind::kHttpStatus ? "HTTP " + std::to_string(f.http_status) + ": "
                                                                    : std::string();
  return s + f.message;
}

std::string alert_json(const Alert& a) {
  nlohmann::json j = a;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

DeliveryWorker::DeliveryWorker(outputs::Output& output, DurableQueue& queue, DeadLetterFile& dead_letter)
    : output_(output), queue_(queue), dead_letter_(dead_letter), rng_(std::random_device{}()) {}

DeliveryWorker::~DeliveryWorker() {
  if (thread_.joinable()) {
    stop(Clock::now());
    join();
  }
}

Result<void> DeliveryWorker::start() {
  auto c = queue_.register_cursor(name());
  if (!c) return c.error();
  stats_.cursor = *c;
  thread_ = std::thread([this] { run(); });
  return {};
}

void DeliveryWorker::stop(Clock::time_point deadline) {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    deadline_ = deadline;
  }
  cv_.notify_all();
  queue_.wake();
}

void DeliveryWorker::join() {
  if (thread_.joinable()) thread_.join();
}

uint64_t DeliveryWorker::lag() const {
  const uint64_t next = queue_.next_seq();
  const uint64_t c = stats_.cursor.load();
  return next > c ? next - c : 0;
}

bool DeliveryWorker::past_deadline() const {
  std::lock_guard lk(mu_);
  return stopping_ && Clock::now() >= deadline_;
}

bool DeliveryWorker::backoff_wait(std::chrono::milliseconds delay) {
  const auto until = Clock::now() + delay;
  std::unique_lock lk(mu_);
  for (;;) {
    const auto now = Clock::now();
    if (stopping_ && now >= deadline_) return false;
    if (now >= until) return true;
    cv_.wait_until(lk, stopping_ ? std::min(until, deadline_) : until);
  }
}

void DeliveryWorker::run() {
  auto log = logger("router." + output_.common().type + "#" + name());
  const auto& opts = output_.common().delivery;
  uint64_t c = stats_.cursor.load();
  for (;;) {
    Clock::time_point wait_until = Clock::now() + kIdlePoll;
    {
      std::lock_guard lk(mu_);
      if (stopping_ && (c >= queue_.next_seq() || Clock::now() >= deadline_)) break;
      if (stopping_) wait_until = std::min(wait_until, deadline_);
    }
    if (!queue_.wait_for_records(c, wait_until)) continue;
    auto recs = queue_.read(c, opts.batch_max_alerts, opts.batch_max_bytes);
    if (!recs) {
      log->warn("reading the queue failed: {}", recs.error().message);
      if (!backoff_wait(std::chrono::seconds(1))) break;
      continue;
    }
    uint64_t next = recs->empty() ? std::min(c + opts.batch_max_alerts, queue_.next_seq())  // all skipped as corrupt
                                  : recs->back().seq + 1;
    if (!recs->empty() && !process_batch(*recs)) break;  // drain deadline: the batch stays queued
    if (auto r = queue_.commit_cursor(name(), next); !r) {
      // Delivery happened; a stale cursor only means re-delivery after a restart.
      log->warn("persisting cursor failed: {}", r.error().message);
    }
    c = next;
    stats_.cursor = c;
  }
  log->debug("worker stopped at cursor {} (lag {})", c, lag());
}

bool DeliveryWorker::process_batch(const std::vector<QueueRecord>& records) {
  std::vector<Alert> alerts;
  std::vector<uint64_t> seqs;
  for (const auto& rec : records) {
    auto j = nlohmann::json::parse(rec.payload, nullptr, false);
    auto a = j.is_discarded() ? Result<Alert>(make_error("record is not JSON")) : alert_from_json(j);
    if (!a) {
      dead_letter("unreadable queue record: " + a.error().message, rec.seq, rec.payload);
      continue;
    }
    if (!outputs::filter_matches(output_.common().filter, *a)) {
      ++stats_.filtered;
      continue;
    }
    alerts.push_back(std::move(a).value());
    seqs.push_back(rec.seq);
  }
  return alerts.empty() || deliver(alerts, seqs);
}

bool DeliveryWorker::deliver(std::vector<Alert>& alerts, std::vector<uint64_t>& seqs) {
  auto log = logger("router." + output_.common().type + "#" + name());
  const auto& opts = output_.common().delivery;
  for (uint32_t attempt = 1;; ++attempt) {
    auto payloads = output_.format(alerts);
    if (!payloads) {
      for (size_t i = 0; i < alerts.size(); ++i)
        dead_letter("format failed: " + payloads.error().message, seqs[i], alert_json(alerts[i]));
      return true;
    }
    std::vector<std::optional<outputs::SendFailure>> failed(alerts.size());
    for (const auto& p : *payloads) {
      auto r = output_.send(p);
      if (r.failure) {
        ++stats_.send_errors;
        for (size_t i : p.items)
          if (i < failed.size()) failed[i] = *r.failure;
      }
      for (const auto& [i, f] : r.item_failures)
        if (i < failed.size()) failed[i] = f;
    }
    if (auto fl = output_.flush(); fl.failure) {
      ++stats_.send_errors;
      for (auto& f : failed)
        if (!f) f = *fl.failure;
    }
    std::vector<Alert> retry;
    std::vector<uint64_t> retry_seqs;
    std::optional<outputs::SendFailure> last;
    for (size_t i = 0; i < alerts.size(); ++i) {
      if (!failed[i]) {
        ++stats_.delivered;
      } else if (classify(*failed[i]) == Disposition::kPermanent) {
        dead_letter("permanent failure: " + describe(*failed[i]), seqs[i], alert_json(alerts[i]));
      } else {
        last = failed[i];
        retry.push_back(std::move(alerts[i]));
        retry_seqs.push_back(seqs[i]);
      }
    }
    if (retry.empty()) return true;
    if (opts.max_attempts != 0 && attempt >= opts.max_attempts) {
      for (size_t i = 0; i < retry.size(); ++i)
        dead_letter("retries exhausted after " + std::to_string(attempt) + " attempts: " + describe(*last),
                    retry_seqs[i], alert_json(retry[i]));
      return true;
    }
    const auto delay = backoff_delay(opts, attempt, &*last, rng_);
    if (attempt == 1) log->warn("send failed, retrying {} alerts: {}", retry.size(), describe(*last));
    else log->debug("attempt {} failed, next in {} ms: {}", attempt, delay.count(), describe(*last));
    stats_.retried += retry.size();
    alerts.swap(retry);
    seqs.swap(retry_seqs);
    if (!backoff_wait(delay)) return false;
  }
}

void DeliveryWorker::dead_letter(const std::string& reason, uint64_t seq, const std::string& payload) {
  ++stats_.failed;
  if (auto r = dead_letter_.write(name(), reason, seq, payload); !r) {
    logger("router")->error("dead-letter write failed for output {} seq {}: {}", name(), seq, r.error().message);
  }
}

}  // namespace peregrine::router
