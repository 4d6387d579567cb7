// The router's durable queue: an append-only log of alert records split into segment files.
//
// On disk (queue.dir):
//   <first_seq, 20 digits>.seg   records, each framed as
//                                [u32 payload_len][u32 crc32c(seq_le64 ++ payload)][u64 seq][payload]  (little endian)
//   cursors/<name>.cursor        the next seq an output still has to deliver, written tmp+fsync+rename
//
// Every accepted record gets a sequence number; records in a segment are consecutive. A segment is deleted once
// every registered cursor is past its last record. On open the log is scanned: a truncated or corrupt tail of the
// newest segment (a crash mid-write) is cut off and counted; corruption inside an older segment ends that segment
// (counted). Appends are rejected, never silently dropped, when the disk budget (max_bytes) would be exceeded.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/result.h"
#include "router/queue/append_times.h"

namespace peregrine::router {

/// The queue's settings. Defaults are router.queue's (config::QueueConfig): one set of defaults, built from the
/// config in one place (queue_options_from in router_app.h).
struct QueueOptions {
  std::filesystem::path dir = config::QueueConfig{}.dir;  // created if missing
  uint64_t segment_bytes = static_cast<uint64_t>(config::QueueConfig{}.segment_bytes);  // roll-over size
  uint64_t max_bytes = static_cast<uint64_t>(config::QueueConfig{}.max_bytes);  // disk budget; beyond: rejected
  config::FsyncMode fsync = config::QueueConfig{}.fsync;  // batch: fdatasync before append() returns
  std::chrono::milliseconds fsync_interval{config::QueueConfig{}.fsync_interval_ms};  // interval: max sync gap
  uint32_t max_record_bytes = 16u << 20;  // larger frames are treated as corruption on recovery (not a config key)
};

struct QueueRecord {
  uint64_t seq = 0;
  std::string payload;
  uint64_t appended_ns = 0;  // wall-clock append time (epoch ns); 0 when unknown (recovered from disk at start)
};

struct QueueStats {
  uint64_t first_seq = 0;  // oldest retained record
  uint64_t next_seq = 0;   // seq the next append gets
  uint64_t bytes_on_disk = 0;
  uint64_t segments = 0;
  uint64_t appended = 0;
  uint64_t rejected_full = 0;       // records refused because of the disk budget
  uint64_t truncated_tail = 0;      // partial/corrupt records cut off the newest segment at open
  uint64_t corrupt_records = 0;     // crc/frame errors found at open (older segments) or on read
  uint64_t reclaimed_segments = 0;
  uint64_t fsyncs = 0;
};

class DurableQueue {
 public:
  /// Opens or creates the queue and recovers it. Fails on I/O errors (not on corrupt records: those are counted).
  static Result<std::unique_ptr<DurableQueue>> open(QueueOptions options);
  ~DurableQueue();
  DurableQueue(const DurableQueue&) = delete;
  DurableQueue& operator=(const DurableQueue&) = delete;

  /// Appends all payloads or none; returns the seq of the first. Durable per the fsync policy on return.
  /// Equivalent to write() followed by make_durable().
  Result<uint64_t> append(std::span<const std::string> payloads);
  /// Writes all payloads or none (readable at once) and returns the seq of the first; not yet fsynced under
  /// the batch policy. Lets callers release their own locks before waiting for the disk.
  Result<uint64_t> write(std::span<const std::string> payloads);
  /// Under the batch policy, returns once every record below `end_seq` is on disk. Concurrent callers share
  /// one fdatasync (group commit). A failed fdatasync poisons the queue: every later write fails, because
  /// after such an error Linux may have dropped the dirty pages and nothing written since can be trusted.
  Result<void> make_durable(uint64_t end_seq);
  /// True after an fdatasync failure (see make_durable); the process should be restarted.
  bool failed() const { return failed_.load(); }
  /// Up to max_records records with seq >= from_seq (skipping gaps); stops early past max_bytes (at least one).
  Result<std::vector<QueueRecord>> read(uint64_t from_seq, size_t max_records, size_t max_bytes) const;
  /// Waits until a record with seq >= from_seq exists, wake() is called, or the deadline passes.
  bool wait_for_records(uint64_t from_seq, std::chrono::steady_clock::time_point deadline) const;
  /// Wakes every waiter (shutdown).
  void wake();

  /// Registers a reader. A persisted cursor is reloaded; a new one starts at next_seq (only future records).
  Result<uint64_t> register_cursor(const std::string& name);
  /// Persists `next` as the cursor of `name` and reclaims segments every cursor has passed.
  Result<void> commit_cursor(const std::string& name, uint64_t next);
  uint64_t cursor(const std::string& name) const;

  /// Called (outside the queue lock) before segments are deleted, e.g. to snapshot the dedup window.
  void set_before_reclaim(std::function<void()> hook);

  /// fdatasync the active segment now / only if the interval policy says it is due.
  Result<void> sync();
  Result<void> sync_if_due();

  QueueStats stats() const;
  uint64_t next_seq() const;
  const QueueOptions& options() const { return options_; }

  /// File name of the segment whose first record is `first_seq`.
  static std::string segment_name(uint64_t first_seq);
  static constexpr size_t kHeaderBytes = 16;

 private:
  struct Segment;
  explicit DurableQueue(QueueOptions options);
  Result<void> recover();
  Result<void> recover_segment(Segment& seg, bool newest);
  Result<void> roll_segment_locked();
  Result<void> sync_locked();
  void mark_durable(uint64_t seq);
  Result<void> write_cursor_file(const std::string& name, uint64_t next) const;
  void reclaim();
  std::vector<std::unique_ptr<Segment>>::const_iterator find_segment_locked(uint64_t seq) const;

  QueueOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::unique_ptr<Segment>> segments_;  // ordered by first_seq; back() is active
  std::map<std::string, uint64_t> cursors_;
  std::function<void()> before_reclaim_;
  uint64_t next_seq_ = 0;
  uint64_t bytes_on_disk_ = 0;
  uint64_t wake_generation_ = 0;
  std::chrono::steady_clock::time_point last_sync_;
  bool dirty_ = false;
  std::mutex sync_mu_;                 // one group-commit fdatasync at a time
  std::atomic<uint64_t> durable_seq_{0};  // every record below this is on disk
  std::atomic<bool> failed_{false};
  std::string failure_;                // guarded by mu_
  mutable QueueStats counters_;
  AppendTimes append_times_;           // guarded by mu_
};

}  // namespace peregrine::router
