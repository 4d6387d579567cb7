// One worker per output: reads the durable queue from the output's own persisted cursor, routes (the output's
// match/exclude), formats, sends, retries retryable failures with backoff, dead-letters permanent ones, and
// commits the cursor once every alert of a batch is accounted for. Nothing here knows which output it drives.
//
// Every alert of a batch ends in exactly one of: delivered (a successful payload carried it), set aside with a
// reason (routed out as "filtered", or the output's own reason), dead-lettered (permanent failure, retries
// exhausted, unreadable record, or an output that did not account for it — a bug, logged once and counted).
//
// Concurrency: the output's concurrency() lanes (threads) each claim the next batch in queue order and deliver
// it; the cursor moves over the contiguous prefix of finished batches only, so a crash or a drain deadline
// re-delivers every unfinished batch (at-least-once per output). With one lane (the default) batches go
// strictly in order. Linger: a lane waits up to delivery.linger_ms for batch_max_alerts records to queue up.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "outputs/output.h"
#include "router/delivery/output_metrics.h"
#include "router/delivery/throttle.h"

namespace peregrine::router {

class DeadLetterFile;
class DurableQueue;
struct QueueRecord;

class DeliveryWorker {
 public:
  DeliveryWorker(outputs::Output& output, DurableQueue& queue, DeadLetterFile& dead_letter,
                 metrics::Registry& metrics);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  /// Registers the output's cursor and starts the lanes.
  Result<void> start();
  /// Stops taking new work once the queue is drained or `deadline` passes; an unfinished batch stays queued.
  void stop(std::chrono::steady_clock::time_point deadline);
  /// Waits for the lanes (after stop()).
  void join();

  const OutputMetrics& metrics() const { return metrics_; }
  /// Seq of alerts that have no place in the queue (storm-control summaries).
  static constexpr uint64_t kNoSeq = UINT64_MAX;
  const std::string& name() const { return output_.common().name; }
  /// Next seq this output still has to deliver (its committed cursor).
  uint64_t cursor() const { return cursor_.load(); }
  /// Records accepted but not yet delivered by this output.
  uint64_t lag() const;

 private:
  /// A claimed range of the queue: [first, end), with the alerts the route let through; or (summaries) storm
  /// control's summary alerts, which have no place in the queue.
  struct Batch {
    uint64_t first = 0, end = 0;
    bool summaries = false;
    std::vector<Alert> alerts;
    std::vector<uint64_t> seqs;
    std::vector<uint64_t> appended_ns;  // intake time per alert (0 = unknown)
  };

  void lane(uint64_t seed);
  /// Runs the output's prepare() once (the first lane to get here), retrying with backoff until it succeeds.
  /// False when stopping past the drain deadline first.
  bool prepared(std::mt19937_64& rng);
  /// Waits for records (and lingers), claims the next range in queue order and routes it. nullopt = stop.
  std::optional<Batch> claim();
  /// Turns claimed records into alerts; unreadable ones are dead-lettered, routed-out and throttled ones set
  /// aside; custom and templated fields are added.
  void prepare(const std::vector<QueueRecord>& records, Batch& b);
  /// Storm control's due summaries as a batch (nullopt: none due).
  std::optional<Batch> due_summaries();
  void save_throttle();
  /// Returns false when the batch could not be finished before the drain deadline.
  bool deliver(Batch& b, std::mt19937_64& rng);
  outputs::SendResult timed_send(const outputs::Payload& p);
  /// Marks [first, end) finished and commits the cursor over the contiguous finished prefix.
  void complete(uint64_t first, uint64_t end);
  void dead_letter(const std::string& reason, uint64_t seq, const std::string& payload);
  /// Waits `delay` unless stopping past the drain deadline; false means give up now.
  bool backoff_wait(std::chrono::milliseconds delay);

  outputs::Output& output_;
  DurableQueue& queue_;
  DeadLetterFile& dead_letter_;
  OutputMetrics metrics_;
  std::vector<std::thread> lanes_;
  std::atomic<uint64_t> cursor_{0};
  std::unique_ptr<Throttle> throttle_;      // with `throttle:` (then one lane)
  std::filesystem::path throttle_file_;
  metrics::Counter* summaries_ = nullptr;
  std::atomic<bool> unaccounted_logged_{false};
  std::mutex dead_log_mu_;
  std::chrono::steady_clock::time_point dead_logged_at_{};
  uint64_t dead_since_log_ = 0;
  std::mutex prepare_mu_;
  bool prepared_ = false;  // guarded by prepare_mu_

  std::mutex claim_mu_;  // claims happen in queue order
  uint64_t read_pos_ = 0;

  std::mutex commit_mu_;
  std::map<uint64_t, uint64_t> finished_;  // first -> end of finished ranges beyond the cursor

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace peregrine::router
