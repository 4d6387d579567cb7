#include "sensor/publisher.h"

namespace peregrine::sensor {

PublisherOptions publisher_options(const config::SensorConfig& c) {
  PublisherOptions o;
  o.batch_max_bytes = static_cast<size_t>(c.batch_max_bytes);
  o.batch_max_delay_us = static_cast<uint64_t>(c.batch_max_delay_us);
  o.queue_capacity = static_cast<size_t>(c.queue_capacity);
  return o;
}

BatchPublisher::BatchPublisher(PublisherOptions opts, SendFn send)
    : opts_(opts), send_(std::move(send)), queue_(opts.queue_capacity) {
  thread_ = std::thread([this] { run(); });
}

BatchPublisher::~BatchPublisher() { stop(); }

void BatchPublisher::on_event(const Event& ev) {
  if (encoder_.count() == 0) first_event_ = std::chrono::steady_clock::now();
  encoder_.add(ev);
  if (encoder_.size_bytes() >= opts_.batch_max_bytes) {
    flush();
    return;
  }
  on_idle();  // the age limit also applies while events keep coming
}

void BatchPublisher::on_idle() {
  if (encoder_.count() == 0) return;
  auto age = std::chrono::steady_clock::now() - first_event_;
  if (age >= std::chrono::microseconds(opts_.batch_max_delay_us)) flush();
}

void BatchPublisher::flush() {
  if (encoder_.count() == 0) return;
  auto bytes = encoder_.bytes();
  Batch b{std::vector<uint8_t>(bytes.begin(), bytes.end()), static_cast<uint32_t>(encoder_.count())};
  encoder_.clear();
  const uint32_t n = b.events;
  if (!queue_.try_push(std::move(b))) dropped_queue_.fetch_add(n, std::memory_order_relaxed);
}

void BatchPublisher::stop() {
  if (!thread_.joinable()) return;
  flush();
  queue_.close();
  thread_.join();
}

void BatchPublisher::run() {
  while (true) {
    auto b = queue_.pop(std::chrono::milliseconds(100));
    if (!b) {
      if (queue_.closed()) return;
      continue;
    }
    if (send_(b->bytes)) {
      events_sent_.fetch_add(b->events, std::memory_order_relaxed);
      batches_sent_.fetch_add(1, std::memory_order_relaxed);
    } else {
      dropped_send_.fetch_add(b->events, std::memory_order_relaxed);
    }
  }
}

}  // namespace peregrine::sensor
