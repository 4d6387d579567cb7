// Batching and publishing: the EventSink the sensor binary uses.
//
// The consumer thread packs events into a wire::BatchEncoder; a batch is closed at batch_max_bytes or when
// its first event is batch_max_delay_us old, whichever comes first, and handed to a bounded queue. A separate
// publisher thread pops batches and calls the send function (transport::EventSender::try_send). Nothing
// blocks the consumer: a full queue or a refused send drops the batch and counts its events.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "common/config/config.h"

#include "common/bounded_queue.h"
#include "common/codec.h"
#include "sensor/sensor.h"

namespace peregrine::sensor {

/// Defaults are the sensor section's (config::SensorConfig): batch_max_bytes, batch_max_delay_us, queue_capacity.
struct PublisherOptions {
  size_t batch_max_bytes = static_cast<size_t>(config::SensorConfig{}.batch_max_bytes);
  uint64_t batch_max_delay_us = static_cast<uint64_t>(config::SensorConfig{}.batch_max_delay_us);
  size_t queue_capacity = static_cast<size_t>(config::SensorConfig{}.queue_capacity);  // batches
};

/// The sensor section's batching keys as publisher options.
PublisherOptions publisher_options(const config::SensorConfig& c);

class BatchPublisher : public EventSink {
 public:
  /// `send` returns false when the batch was refused (counted as dropped events).
  using SendFn = std::function<bool(std::span<const uint8_t>)>;

  BatchPublisher(PublisherOptions opts, SendFn send);
  ~BatchPublisher() override;
  BatchPublisher(const BatchPublisher&) = delete;
  BatchPublisher& operator=(const BatchPublisher&) = delete;

  void on_event(const Event& ev) override;
  void on_idle() override;
  /// Closes the current batch now (consumer thread).
  void flush();
  /// Flushes, then stops the publisher thread after it sent what is queued.
  void stop();

  uint64_t events_sent() const { return events_sent_.load(std::memory_order_relaxed); }
  uint64_t batches_sent() const { return batches_sent_.load(std::memory_order_relaxed); }
  uint64_t events_dropped_queue() const { return dropped_queue_.load(std::memory_order_relaxed); }
  uint64_t events_dropped_send() const { return dropped_send_.load(std::memory_order_relaxed); }
  size_t queue_depth() const { return queue_.size(); }

 private:
  struct Batch {
    std::vector<uint8_t> bytes;
    uint32_t events = 0;
  };
  void run();

  PublisherOptions opts_;
  SendFn send_;
  wire::BatchEncoder encoder_;
  std::chrono::steady_clock::time_point first_event_{};
  BoundedQueue<Batch> queue_;
  std::atomic<uint64_t> events_sent_{0}, batches_sent_{0}, dropped_queue_{0}, dropped_send_{0};
  std::thread thread_;
};

}  // namespace peregrine::sensor
