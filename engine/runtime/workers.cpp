#include "engine/runtime/workers.h"

#include <stdexcept>

#include "common/codec.h"
#include "common/log.h"

namespace peregrine::engine {
namespace {
constexpr auto kWait = std::chrono::milliseconds(200);
}

EvalWorkers::EvalWorkers(std::vector<std::shared_ptr<RuleEngine>> sets, const AlertSink& sink, metrics::Registry& m,
                         size_t queue_batches)
    : shares_(sets.size()),
      decode_errors_(&m.counter("peregrine_engine_decode_errors_total",
                                "Batches or events rejected by the wire decoder")),
      done_(sets.size(), 0) {
  if (sets.empty()) throw std::invalid_argument("EvalWorkers: at least one rule set is needed");
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
  while (true) {
    auto more = dec->next_record(record, pid);
    if (!more) {
      decode_errors_->inc();
      outcome = more.error();
      break;
    }
    if (!*more) break;
    shares_[partition(pid, n)].records.push_back(record);
  }
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
    if (auto r = workers_[0]->pipeline.process_records(shares_[0].records); !r)
      logger("engine.workers")->warn("bad event record: {}", r.error().message);
    shares_[0].records.clear();
  }
  return outcome;
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
