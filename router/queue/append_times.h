// When each queued record was appended (wall clock), kept in memory for the delivery-latency histogram
// (intake → delivered). One entry per append call, not per record; records recovered from disk at start have
// no entry (their latency is not observed). Bounded: past kMaxEntries the oldest entries are forgotten.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

namespace peregrine::router {

class AppendTimes {
 public:
  static constexpr size_t kMaxEntries = 1 << 20;

  /// Records that the records from `first_seq` on were appended at `epoch_ns` (seqs only grow).
  void add(uint64_t first_seq, uint64_t epoch_ns) {
    entries_.emplace_back(first_seq, epoch_ns);
    if (entries_.size() > kMaxEntries) entries_.pop_front();
  }
  /// Append time of `seq`, or 0 when unknown (before the first entry).
  uint64_t at(uint64_t seq) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), seq,
                               [](uint64_t s, const std::pair<uint64_t, uint64_t>& e) { return s < e.first; });
    return it == entries_.begin() ? 0 : std::prev(it)->second;
  }
  /// Forgets entries wholly below `seq` (every reader has passed them).
  void trim_below(uint64_t seq) {
    while (entries_.size() > 1 && entries_[1].first <= seq) entries_.pop_front();
  }
  size_t size() const { return entries_.size(); }

 private:
  std::deque<std::pair<uint64_t, uint64_t>> entries_;  // (first seq of an append, epoch ns), ascending
};

}  // namespace peregrine::router
