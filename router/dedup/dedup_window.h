// A bounded window of recently accepted alert uuids, so a resend (engine retry after a lost ack, Falco retry,
// router restart) is queued once. FIFO eviction: the oldest uuid leaves when the window is full.
//
// Crash safety: the window is rebuilt at start from a snapshot file plus every record still in the durable
// queue. The queue takes a snapshot before it deletes segments, so every uuid that left the queue is in the
// snapshot; every newer uuid is still in a segment.
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/result.h"

namespace peregrine::router {

class DurableQueue;

class DedupWindow {
 public:
  explicit DedupWindow(size_t capacity);

  bool contains(const std::string& uuid) const;
  /// Remembers `uuid` (no-op if already present); evicts the oldest beyond capacity.
  void insert(const std::string& uuid);
  size_t size() const;
  size_t capacity() const { return capacity_; }

  /// Writes all uuids oldest first (tmp + fsync + rename).
  Result<void> save(const std::filesystem::path& file) const;
  /// Adds the uuids of a snapshot (missing file = nothing). Returns how many were read.
  Result<size_t> load(const std::filesystem::path& file);

 private:
  void insert_locked(const std::string& uuid);

  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::mutex save_mu_;  // two workers may reclaim at once; one snapshot writer at a time
  std::deque<std::string> order_;             // oldest first; push_back/pop_front keep the others in place ...
  std::unordered_set<std::string_view> set_;  // ... so the set can point into them (one copy per uuid)
};

/// Loads `snapshot` then adds the uuid of every record retained in `queue`. Returns records scanned.
Result<size_t> rebuild_dedup(DedupWindow& window, const DurableQueue& queue, const std::filesystem::path& snapshot);

}  // namespace peregrine::router
