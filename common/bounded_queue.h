// A bounded, closable multi-producer / multi-consumer queue.
//
// Every stage between the kernel ring buffer and the network is one of these: producers never block
// (try_push fails and counts a drop when the queue is full), consumers wait with a timeout. A mutex and a
// condition variable are enough at the rates involved (batches, not single events, cross the queue).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace peregrine {

template <typename T>
class BoundedQueue {
 public:
  /// capacity 0 is treated as 1 so that a queue can always hold something.
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  /// Never blocks. Returns false and counts a drop when the queue is full or closed.
  bool try_push(T value) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      items_.push_back(std::move(value));
      pushed_.fetch_add(1, std::memory_order_relaxed);
    }
    not_empty_.notify_one();
    return true;
  }

  /// Waits up to `timeout` for room. Returns false (and counts a drop) on timeout or when closed.
  /// For producers that may block briefly (e.g. replay from a file); hot paths use try_push.
  bool push(T value, std::chrono::milliseconds timeout) {
    {
      std::unique_lock lock(mu_);
      bool room = not_full_.wait_for(lock, timeout, [&] { return closed_ || items_.size() < capacity_; });
      if (!room || closed_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      items_.push_back(std::move(value));
      pushed_.fetch_add(1, std::memory_order_relaxed);
    }
    not_empty_.notify_one();
    return true;
  }

  /// Waits up to `timeout` for an item. Returns nullopt on timeout, or once closed and drained.
  std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::optional<T> out;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
      if (items_.empty()) return std::nullopt;
      out.emplace(std::move(items_.front()));
      items_.pop_front();
    }
    not_full_.notify_one();
    return out;
  }

  /// Never blocks.
  std::optional<T> try_pop() { return pop(std::chrono::milliseconds(0)); }

  /// Waits up to `timeout` for at least one item, then moves up to `max` items into `out` (appending).
  /// Returns how many were moved.
  size_t pop_many(std::vector<T>& out, size_t max, std::chrono::milliseconds timeout) {
    size_t n = 0;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
      while (n < max && !items_.empty()) {
        out.push_back(std::move(items_.front()));
        items_.pop_front();
        ++n;
      }
    }
    if (n > 0) not_full_.notify_all();
    return n;
  }

  /// Rejects further pushes and wakes every waiter; items already queued can still be popped.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }
  /// Items accepted since construction.
  uint64_t pushed() const { return pushed_.load(std::memory_order_relaxed); }
  /// Items refused because the queue was full or closed.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
  std::atomic<uint64_t> pushed_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace peregrine
