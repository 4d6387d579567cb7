// Multi-core evaluation: `engine.threads` evaluating threads, each with its own RuleEngine (rule engines are not
// thread-safe, and a replica per thread shares nothing on the hot path) and its own Pipeline. Worker 0 is the
// thread that receives the sensor's batches and calls dispatch(): it splits each batch, queues the other workers'
// shares and evaluates its own meanwhile, so N workers are N threads.
//
// Partition: the receiving thread walks each batch once without decoding it (wire::BatchDecoder::next_record
// reads as far as the process id) and gives every record to the worker chosen by its process id (thread group).
// All events of one process are therefore evaluated by one thread, in the order the sensor sent them, and that
// thread's alerts for the process reach the alert sender in that order: per-process order is kept, and no state
// a rule could need (everything is in the event itself) is split. Alerts of different processes may interleave
// differently than with one thread; Falco promises no order across processes either.
//
// Balance: the receiving thread splits every batch besides evaluating its share, so an even split would make it
// the bottleneck. Processes map to one of kBuckets hash buckets and buckets to workers; the receiving thread
// times its split and its own evaluation, and every kBalanceEvery batches moves buckets so that its split plus
// its share takes as long as another worker's share. A bucket changes worker only after every dispatched event
// has been evaluated (drain), so a process's events are never evaluated out of order.
//
// Each worker's queue is bounded (in batches); when one is full the receiving thread waits, which leaves the
// events in ZeroMQ's queue and then in the sensor's bounded queue, where a drop is counted — nothing is dropped
// silently here. A reload hands every worker its new rule set through its queue, so each event is evaluated by
// exactly one set, and all events dispatched after the swap by the new one.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/bounded_queue.h"
#include "common/metrics.h"
#include "common/result.h"
#include "engine/rules/rule_engine.h"
#include "engine/runtime/pipeline.h"

namespace peregrine::engine {

/// One received wire batch: `owner` keeps `bytes` alive (e.g. the ZeroMQ message) until every worker is done.
struct SharedBatch {
  std::shared_ptr<const void> owner;
  std::span<const uint8_t> bytes;
};

class EvalWorkers {
 public:
  /// One rule set per worker, all configured alike; `queue_batches` bounds each worker's queue.
  EvalWorkers(std::vector<std::shared_ptr<RuleEngine>> sets, const AlertSink& sink, metrics::Registry& m,
              size_t queue_batches = 64);
  /// Evaluates what is still queued, then stops the threads.
  ~EvalWorkers();
  EvalWorkers(const EvalWorkers&) = delete;
  EvalWorkers& operator=(const EvalWorkers&) = delete;

  size_t size() const { return workers_.size(); }

  /// Splits `batch` by process, queues each share on its worker (waiting while that worker's queue is full) and
  /// evaluates worker 0's share on the calling thread. Call from one thread only.
  /// A malformed batch is counted and its error returned; the records before the malformed one are evaluated.
  Result<void> dispatch(SharedBatch batch);
  /// Every event dispatched after this call is evaluated by the worker's new set (`sets[i]` for worker i; the
  /// size must match). Events already queued are evaluated by the old sets, which are released afterwards.
  void swap_rules(std::vector<std::shared_ptr<RuleEngine>> sets);
  /// Waits until everything dispatched so far has been evaluated; false on timeout.
  /// Destroy (or drain) before the alert sink's target: the other workers may still be submitting alerts.
  bool drain(std::chrono::milliseconds timeout);

  uint64_t events() const { return workers_.front()->pipeline.events(); }
  uint64_t alerts() const { return workers_.front()->pipeline.alerts(); }

  static constexpr size_t kBuckets = 256;
  static constexpr uint64_t kBalanceEvery = 128;  // batches between two balance decisions
  /// The hash bucket of process `pid`.
  static size_t bucket(uint32_t pid) {
    return static_cast<size_t>((static_cast<uint64_t>(pid) * 0x9E3779B97F4A7C15ull >> 32) % kBuckets);
  }
  /// The worker of process `pid` among `n` before any balancing (buckets dealt round-robin).
  static size_t partition(uint32_t pid, size_t n) { return bucket(pid) % n; }
  /// The worker that evaluates process `pid` now.
  size_t worker_of(uint32_t pid) const { return owner_[bucket(pid)]; }
  /// Buckets (of kBuckets) evaluated by the receiving thread now.
  size_t dispatcher_buckets() const;
  /// Gives worker 0 `buckets` buckets (the rest dealt to the others) once everything dispatched so far has been
  /// evaluated; false (nothing moved) if that takes longer than `timeout`. Receiving thread only.
  bool move_buckets(size_t buckets, std::chrono::milliseconds timeout);
  /// Worker 0's bucket count for a split costing `split_ns` and an evaluation costing `eval_ns` per event, with
  /// `n` workers: its split plus its share equal another worker's share.
  static size_t balanced_dispatcher_buckets(double split_ns, double eval_ns, size_t n);

 private:
  struct Work {
    std::shared_ptr<const void> owner;
    std::vector<std::span<const uint8_t>> records;
    std::shared_ptr<RuleEngine> rules;  // set: switch to this rule set before the records
  };
  struct Worker {
    Worker(std::shared_ptr<RuleEngine> set, const AlertSink& sink, metrics::Registry& m, size_t queue)
        : rules(std::move(set)), pipeline(*rules, sink, m), queue(queue) {}
    std::shared_ptr<RuleEngine> rules;  // owned by the worker's thread once it runs
    Pipeline pipeline;
    BoundedQueue<Work> queue;
    uint64_t queued = 0;  // receiving thread only
    std::thread thread;
  };

  void run(Worker& w, size_t index);
  void enqueue(Worker& w, Work&& work);
  /// Every kBalanceEvery batches: moves buckets to or from worker 0 when the measured costs call for it.
  void maybe_rebalance();
  void assign_buckets(size_t dispatcher);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Work> shares_;  // receiving thread: per-worker share of the batch being split
  std::array<uint8_t, kBuckets> owner_{};  // bucket -> worker; changed by the receiving thread after a drain
  // Receiving thread: time spent splitting and evaluating its own share since the last balance decision.
  double split_ns_ = 0, own_eval_ns_ = 0;
  uint64_t split_records_ = 0, own_records_ = 0, batches_ = 0;

  metrics::Counter* decode_errors_;
  metrics::Gauge* dispatcher_share_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::vector<uint64_t> done_;  // per worker, guarded by done_mu_
};

}  // namespace peregrine::engine
