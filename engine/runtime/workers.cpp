#include "engine/runtime/workers.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/codec.h"
#include "common/log.h"

namespace peregrine::engine {
namespace {
constexpr auto kWait = std::chrono::milliseconds(200);
using Clock = std::chrono::steady_clock;

double ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}
}  // namespace

EvalWorkers::EvalWorkers(std::vector<std::shared_ptr<RuleEngine>> sets, const AlertSink& sink, metrics::Registry& m,
                         size_t queue_batches)
    : shares_(sets.size()),
      decode_errors_(&m.counter("peregrine_engine_decode_errors_total",
                                "Batches or events rejected by the wire decoder")),
      dispatcher_share_(&m.gauge("peregrine_engine_dispatcher_share",
                                 "Share of the processes evaluated by the receiving thread (it also splits)")),
      done_(sets.size(), 0) {
  if (sets.empty()) throw std::invalid_argument("EvalWorkers: at least one rule set is needed");
  if (sets.size() > 255) throw std::invalid_argument("EvalWorkers: at most 255 workers");
  for (size_t b = 0; b < kBuckets; ++b) owner_[b] = static_cast<uint8_t>(b % sets.size());  // = partition()
  dispatcher_share_->set(static_cast<double>(dispatcher_buckets()) / kBuckets);
  for (auto& s : sets) workers_.push_back(std::make_unique<Worker>(std::move(s), sink, m, queue_batches));
  // Worker 0 is the calling (receiving) thread itself: it evaluates its share after queueing the others', so N
  // workers use N threads in all, not N + 1 competing for N cores.
  for (size_t i = 1; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([this, w, i] { run(*w, i); });
  }
}

EvalWorkers::~EvalWorkers() {
  for (auto& w : workers_) w->queue.close();  // a closed queue still hands out what it holds
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void EvalWorkers::run(Worker& w, size_t index) {
  auto log = logger("engine.workers");
  while (true) {
    auto work = w.queue.pop(kWait);
    if (!work) {
      if (w.queue.closed() && w.queue.size() == 0) return;
      continue;
    }
    if (work->rules) {
      w.pipeline.set_rules(*work->rules);
      w.rules = std::move(work->rules);  // the previous set is released here, on this thread
    }
    if (!work->records.empty())
      if (auto r = w.pipeline.process_records(work->records); !r) log->warn("bad event record: {}", r.error().message);
    work.reset();  // release the batch before announcing it done
    {
      std::lock_guard lock(done_mu_);
      ++done_[index];
    }
    done_cv_.notify_all();
  }
}

void EvalWorkers::enqueue(Worker& w, Work&& work) {
  // Blocking on purpose: a full worker leaves the backlog upstream, where drops are counted (see the header).
  while (!w.queue.push(std::move(work), kWait)) {
    if (w.queue.closed()) return;
  }
  ++w.queued;
}

Result<void> EvalWorkers::dispatch(SharedBatch batch) {
  auto dec = wire::BatchDecoder::open(batch.bytes);
  if (!dec) {
    decode_errors_->inc();
    return dec.error();
  }
  const size_t n = workers_.size();
  Result<void> outcome;
  std::span<const uint8_t> record;
  uint32_t pid = 0;
  const auto split_start = Clock::now();
  size_t records = 0;
  while (true) {
    auto more = dec->next_record(record, pid);
    if (!more) {
      decode_errors_->inc();
      outcome = more.error();
      break;
    }
    if (!*more) break;
    shares_[owner_[bucket(pid)]].records.push_back(record);
    ++records;
  }
  split_ns_ += ns_between(split_start, Clock::now());
  split_records_ += records;
  for (size_t i = 1; i < n; ++i) {
    if (shares_[i].records.empty()) continue;
    shares_[i].owner = batch.owner;
    Work share = std::move(shares_[i]);
    shares_[i] = Work{};
    shares_[i].records.reserve(share.records.size());
    enqueue(*workers_[i], std::move(share));
  }
  // This thread's own share, while the others work on theirs.
  if (!shares_[0].records.empty()) {
    const auto eval_start = Clock::now();
    if (auto r = workers_[0]->pipeline.process_records(shares_[0].records); !r)
      logger("engine.workers")->warn("bad event record: {}", r.error().message);
    own_eval_ns_ += ns_between(eval_start, Clock::now());
    own_records_ += shares_[0].records.size();
    shares_[0].records.clear();
  }
  maybe_rebalance();
  return outcome;
}

size_t EvalWorkers::balanced_dispatcher_buckets(double split_ns, double eval_ns, size_t n) {
  if (n < 2 || eval_ns <= 0) return kBuckets / std::max<size_t>(n, 1);
  // Worker 0: split + s0 * eval; the others: s * eval each, s0 + (n - 1) s = 1. Equal when
  // s = (1 + split/eval) / n and s0 = s - split/eval. At least one bucket stays with worker 0.
  const double r = split_ns / eval_ns;
  const double s0 = (1.0 + r) / static_cast<double>(n) - r;
  const auto b = static_cast<long>(std::lround(s0 * static_cast<double>(kBuckets)));
  return static_cast<size_t>(std::clamp<long>(b, 1, static_cast<long>(kBuckets / n)));
}

size_t EvalWorkers::dispatcher_buckets() const {
  return static_cast<size_t>(std::count(owner_.begin(), owner_.end(), uint8_t{0}));
}

void EvalWorkers::assign_buckets(size_t dispatcher) {
  const size_t n = workers_.empty() ? 1 : workers_.size();
  // Buckets [0, dispatcher) to worker 0, the rest dealt to workers 1..n-1 in turn (a process's bucket is fixed
  // by its pid hash, so any set of buckets is an even sample of the processes).
  for (size_t b = 0; b < kBuckets; ++b)
    owner_[b] = static_cast<uint8_t>(n == 1 || b < dispatcher ? 0 : 1 + (b - dispatcher) % (n - 1));
  dispatcher_share_->set(static_cast<double>(dispatcher) / kBuckets);
}

void EvalWorkers::maybe_rebalance() {
  if (workers_.size() < 2 || ++batches_ < kBalanceEvery) return;
  const double split = split_records_ ? split_ns_ / static_cast<double>(split_records_) : 0;
  const double eval = own_records_ ? own_eval_ns_ / static_cast<double>(own_records_) : 0;
  const bool measured = own_records_ >= 1000;
  batches_ = split_records_ = own_records_ = 0;
  split_ns_ = own_eval_ns_ = 0;
  if (!measured) return;
  const size_t want = balanced_dispatcher_buckets(split, eval, workers_.size());
  const size_t have = dispatcher_buckets();
  // Small differences are noise; moving buckets costs a drain (the other workers finish their queues first).
  if (want + 2 > have && have + 2 > want) return;
  (void)move_buckets(want, std::chrono::seconds(10));
}

bool EvalWorkers::move_buckets(size_t buckets, std::chrono::milliseconds timeout) {
  // A bucket's processes may still have events queued on their old worker: those must be evaluated before the
  // new worker sees any later event of theirs.
  if (!drain(timeout)) return false;
  assign_buckets(std::min(buckets, kBuckets));
  return true;
}

void EvalWorkers::swap_rules(std::vector<std::shared_ptr<RuleEngine>> sets) {
  if (sets.size() != workers_.size()) throw std::invalid_argument("EvalWorkers::swap_rules: one set per worker");
  // Worker 0 has evaluated everything dispatched to it already (inline): it switches now.
  workers_[0]->pipeline.set_rules(*sets[0]);
  workers_[0]->rules = std::move(sets[0]);
  for (size_t i = 1; i < workers_.size(); ++i) {
    Work w;
    w.rules = std::move(sets[i]);
    enqueue(*workers_[i], std::move(w));
  }
}

bool EvalWorkers::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(done_mu_);
  return done_cv_.wait_for(lock, timeout, [&] {
    for (size_t i = 0; i < workers_.size(); ++i)
      if (done_[i] < workers_[i]->queued) return false;
    return true;
  });
}

}  // namespace peregrine::engine
