#include "router/delivery/delivery_worker.h"

#include <algorithm>
#include <cctype>

#include "common/alert_text.h"
#include "common/log.h"
#include "router/delivery/dead_letter.h"
#include "router/intake/test_alert.h"
#include "router/delivery/retry_policy.h"
#include "router/queue/durable_queue.h"

namespace peregrine::router {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kIdlePoll = std::chrono::milliseconds(500);

uint64_t epoch_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

DeliveryWorker::DeliveryWorker(outputs::Output& output, DurableQueue& queue, DeadLetterFile& dead_letter,
                               metrics::Registry& metrics)
    : output_(output), queue_(queue), dead_letter_(dead_letter), metrics_(metrics, output.common().name) {
  output_.register_metrics(metrics);
  if (output_.common().throttle.enabled) {
    throttle_ = std::make_unique<Throttle>(output_.common().throttle, name());
    std::string file = name();
    for (char& c : file)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    throttle_file_ = queue_.options().dir / "throttle" / (file + ".json");
    summaries_ = &metrics.counter("peregrine_router_output_throttle_summaries_total",
                                  "Storm-control summary alerts sent (one per throttled key and window)",
                                  {{"output", name()}});
  }
}

DeliveryWorker::~DeliveryWorker() {
  if (!lanes_.empty()) {
    stop(Clock::now());
    join();
  }
}

Result<void> DeliveryWorker::start() {
  if (throttle_) {
    std::error_code ec;
    std::filesystem::create_directories(throttle_file_.parent_path(), ec);
    if (ec) return make_error("cannot create " + throttle_file_.parent_path().string() + ": " + ec.message());
    if (auto r = throttle_->load_from(throttle_file_); !r) return r.error();
  }
  auto c = queue_.register_cursor(name());
  if (!c) return c.error();
  cursor_ = *c;
  read_pos_ = *c;
  std::random_device rd;
  // Storm control decides in queue order and saves its state with the cursor: one lane.
  const size_t n = throttle_ ? 1 : std::max<size_t>(1, output_.concurrency());
  for (size_t i = 0; i < n; ++i) {
    const uint64_t seed = (uint64_t{rd()} << 32) ^ rd() ^ i;
    lanes_.emplace_back([this, seed] { lane(seed); });
  }
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
  for (auto& t : lanes_)
    if (t.joinable()) t.join();
  lanes_.clear();
}

uint64_t DeliveryWorker::lag() const {
  const uint64_t next = queue_.next_seq();
  const uint64_t c = cursor_.load();
  return next > c ? next - c : 0;
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

bool DeliveryWorker::prepared(std::mt19937_64& rng) {
  std::lock_guard lk(prepare_mu_);
  auto log = logger("router." + output_.common().type + "#" + name());
  for (uint32_t attempt = 1; !prepared_; ++attempt) {
    auto r = output_.prepare();
    if (!r.failure) {
      if (attempt > 1) log->info("set-up at the destination done after {} attempts", attempt);
      prepared_ = true;
      break;
    }
    const auto delay = backoff_delay(output_.common().delivery, attempt, &*r.failure, rng);
    if (attempt == 1 || classify(*r.failure) == Disposition::kPermanent)
      log->warn("set-up at the destination failed (nothing is delivered before it succeeds), retrying in {} ms: {}",
                delay.count(), r.failure->message);
    if (!backoff_wait(delay)) return false;
  }
  return true;
}

void DeliveryWorker::lane(uint64_t seed) {
  std::mt19937_64 rng(seed);
  if (!prepared(rng)) return;
  while (auto b = claim()) {
    if (!b->alerts.empty() && !deliver(*b, rng)) break;  // drain deadline: the batch stays queued
    if (b->summaries) {
      if (summaries_) summaries_->inc(b->alerts.size());
      save_throttle();
      continue;
    }
    complete(b->first, b->end);
  }
  logger("router." + output_.common().type + "#" + name())->debug("lane stopped at cursor {} (lag {})", cursor(), lag());
}

std::optional<DeliveryWorker::Batch> DeliveryWorker::claim() {
  const auto& opts = output_.common().delivery;
  for (;;) {
    uint64_t pos = 0;
    {
      std::lock_guard lk(claim_mu_);
      pos = read_pos_;
    }
    if (auto s = due_summaries()) return s;
    Clock::time_point wait_until = Clock::now() + kIdlePoll;
    if (throttle_) {
      if (auto next = throttle_->next_due()) {
        const auto now_ns = epoch_ns();
        const auto in = std::chrono::nanoseconds(*next > now_ns ? *next - now_ns : 0);
        wait_until = std::min(wait_until, Clock::now() + std::chrono::duration_cast<Clock::duration>(in));
      }
    }
    bool stopping = false;
    {
      std::lock_guard lk(mu_);
      if (stopping_ && (pos >= queue_.next_seq() || Clock::now() >= deadline_)) return std::nullopt;
      stopping = stopping_;
      if (stopping_) wait_until = std::min(wait_until, deadline_);
    }
    if (!queue_.wait_for_records(pos, wait_until)) continue;
    // Linger: give a batch time to fill (not while draining: then whatever is queued goes now).
    if (opts.linger.count() > 0 && !stopping && opts.batch_max_alerts > 1)
      queue_.wait_for_records(pos + opts.batch_max_alerts - 1, Clock::now() + opts.linger);
    std::lock_guard lk(claim_mu_);
    if (read_pos_ != pos) continue;  // another lane claimed it meanwhile
    auto recs = queue_.read(pos, opts.batch_max_alerts, opts.batch_max_bytes);
    if (!recs) {
      logger("router." + output_.common().type + "#" + name())->warn("reading the queue failed: {}",
                                                                     recs.error().message);
      if (!backoff_wait(std::chrono::seconds(1))) return std::nullopt;
      continue;
    }
    Batch b;
    b.first = pos;
    // No records although some were expected: all skipped as corrupt (counted by the queue).
    b.end = recs->empty() ? std::min(pos + opts.batch_max_alerts, queue_.next_seq()) : recs->back().seq + 1;
    read_pos_ = b.end;
    prepare(*recs, b);
    return b;
  }
}

void DeliveryWorker::prepare(const std::vector<QueueRecord>& records, Batch& b) {
  const auto& common = output_.common();
  uint64_t filtered = 0, throttled = 0;
  const uint64_t now_ns = epoch_ns();
  for (const auto& rec : records) {
    auto a = alert_from_json_text(rec.payload);
    if (!a) {
      dead_letter("unreadable queue record: " + a.error().message, rec.seq, rec.payload);
      continue;
    }
    // POST /test reaches every output, whatever its route or storm control (as Falcosidekick's /test).
    const bool test = is_test_alert(*a);
    if (!test && !outputs::route_matches(common.route, *a)) {
      ++filtered;
      continue;
    }
    for (const auto& [k, v] : common.custom_fields) a->output_fields[k] = v;
    for (const auto& [k, t] : common.templated_fields) a->output_fields[k] = t.render(*a);
    if (!test && throttle_ && !throttle_->admit(*a, now_ns)) {
      ++throttled;
      continue;
    }
    b.alerts.push_back(std::move(a).value());
    b.seqs.push_back(rec.seq);
    b.appended_ns.push_back(rec.appended_ns);
  }
  if (filtered) metrics_.set_aside("filtered", filtered);
  if (throttled) metrics_.set_aside("throttled", throttled);
}

std::optional<DeliveryWorker::Batch> DeliveryWorker::due_summaries() {
  if (!throttle_) return std::nullopt;
  auto alerts = throttle_->due(epoch_ns());
  if (alerts.empty()) return std::nullopt;
  Batch b;
  b.summaries = true;
  b.seqs.assign(alerts.size(), kNoSeq);
  b.appended_ns.assign(alerts.size(), 0);
  b.alerts = std::move(alerts);
  return b;
}

void DeliveryWorker::save_throttle() {
  if (!throttle_) return;
  if (auto r = throttle_->save_to(throttle_file_); !r)
    logger("router." + output_.common().type + "#" + name())->warn("saving the throttle state failed: {}",
                                                                   r.error().message);
}

void DeliveryWorker::complete(uint64_t first, uint64_t end) {
  std::lock_guard lk(commit_mu_);
  finished_[first] = end;
  uint64_t c = cursor_.load();
  for (auto it = finished_.find(c); it != finished_.end(); it = finished_.find(c)) {
    c = it->second;
    finished_.erase(it);
  }
  if (c == cursor_.load()) return;
  save_throttle();  // the state that goes with this cursor, before it: a restart never re-sends a storm
  if (auto r = queue_.commit_cursor(name(), c); !r) {
    // Delivery happened; a stale cursor only means re-delivery after a restart.
    logger("router." + output_.common().type + "#" + name())->warn("persisting cursor failed: {}", r.error().message);
  }
  cursor_ = c;
}

void DeliveryWorker::dead_letter(const std::string& reason, uint64_t seq, const std::string& payload) {
  {
    // A warning for the first dead letter, then at most one a minute with the count since (never one per alert).
    std::lock_guard lk(dead_log_mu_);
    ++dead_since_log_;
    const auto now = Clock::now();
    if (dead_logged_at_ == Clock::time_point{} || now - dead_logged_at_ >= std::chrono::minutes(1)) {
      logger("router." + output_.common().type + "#" + name())
          ->warn("{} alert(s) dead-lettered (see dead-letter.jsonl), e.g. seq {}: {}", dead_since_log_, seq, reason);
      dead_logged_at_ = now;
      dead_since_log_ = 0;
    }
  }
  const std::optional<uint64_t> where = seq == kNoSeq ? std::nullopt : std::optional<uint64_t>(seq);
  if (auto r = dead_letter_.write(name(), reason, where, payload); !r) {
    logger("router")->error("dead-letter write failed for output {} seq {}: {}", name(), seq, r.error().message);
  }
  // Counted once the letter is written: whoever sees the failed count can read the letter.
  metrics_.failed.inc();
}

}  // namespace peregrine::router
