// One worker thread per output: reads the durable queue from the output's own persisted cursor, filters,
// formats, sends, retries retryable failures with backoff, dead-letters permanent ones, and commits the cursor
// once every alert of the batch is delivered or dead-lettered. Nothing here knows which output it drives.
//
// Guarantee: at-least-once per output. The cursor only moves past a record after it was delivered (and the
// output flushed) or written to the dead-letter file; a crash or a drain deadline re-delivers the batch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "outputs/output.h"

namespace peregrine::router {

class DeadLetterFile;
class DurableQueue;
struct QueueRecord;

struct DeliveryStats {
  std::atomic<uint64_t> delivered{0};      // alerts the output accepted
  std::atomic<uint64_t> retried{0};        // alert re-sends after a retryable failure
  std::atomic<uint64_t> failed{0};         // alerts dead-lettered (permanent failure, retries exhausted, unreadable)
  std::atomic<uint64_t> filtered{0};       // alerts skipped by the output's filter
  std::atomic<uint64_t> send_errors{0};    // failed send()/flush() calls, retryable or not
  std::atomic<uint64_t> cursor{0};         // next seq to deliver
};

class DeliveryWorker {
 public:
  DeliveryWorker(outputs::Output& output, DurableQueue& queue, DeadLetterFile& dead_letter);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  /// Registers the output's cursor and starts the thread.
  Result<void> start();
  /// Stops taking new work once the queue is drained or `deadline` passes; an unfinished batch stays queued.
  void stop(std::chrono::steady_clock::time_point deadline);
  /// Waits for the thread (after stop()).
  void join();

  const DeliveryStats& stats() const { return stats_; }
  const std::string& name() const { return output_.common().name; }
  /// Records accepted but not yet delivered by this output.
  uint64_t lag() const;

 private:
  void run();
  /// Returns false when the batch could not be finished before the drain deadline.
  bool process_batch(const std::vector<QueueRecord>& records);
  bool deliver(std::vector<Alert>& alerts, std::vector<uint64_t>& seqs);
  void dead_letter(const std::string& reason, uint64_t seq, const std::string& payload);
  /// Waits `delay` unless stopping past the drain deadline; false means give up now.
  bool backoff_wait(std::chrono::milliseconds delay);
  bool past_deadline() const;

  outputs::Output& output_;
  DurableQueue& queue_;
  DeadLetterFile& dead_letter_;
  DeliveryStats stats_;
  std::mt19937_64 rng_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace peregrine::router
