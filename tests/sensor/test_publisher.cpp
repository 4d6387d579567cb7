#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/codec.h"
#include "sensor/publisher.h"

using namespace peregrine;
using namespace peregrine::sensor;
using namespace std::chrono_literals;

namespace {

struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<uint8_t>> batches;
  bool accept = true;
  bool wait_batches(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, [&] { return batches.size() >= n; });
  }
};

BatchPublisher::SendFn sender(Received& r) {
  return [&r](std::span<const uint8_t> b) {
    std::lock_guard lk(r.mu);
    if (!r.accept) return false;
    r.batches.emplace_back(b.begin(), b.end());
    r.cv.notify_all();
    return true;
  };
}

Event sample(uint64_t num) {
  Event e;
  e.type = EventType::kOpenat;
  e.num = num;
  e.params.resize(event_spec(e.type).nparams);
  e.params[2].present = true;
  e.params[2].str = "/etc/passwd";
  e.proc.comm = "cat";
  return e;
}

size_t count_events(const std::vector<uint8_t>& batch) {
  auto d = wire::BatchDecoder::open(batch);
  REQUIRE(d.ok());
  Event e;
  size_t n = 0;
  while (true) {
    auto r = d->next(e);
    REQUIRE(r.ok());
    if (!*r) break;
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("batches close at batch_max_bytes") {
  Received r;
  BatchPublisher p({2048, 60'000'000, 16}, sender(r));
  for (uint64_t i = 1; i <= 100; ++i) p.on_event(sample(i));
  p.stop();
  REQUIRE(r.batches.size() > 1);
  size_t total = 0;
  for (auto& b : r.batches) {
    CHECK(b.size() < 2048 + 512);  // closed as soon as the threshold was crossed
    total += count_events(b);
  }
  CHECK(total == 100);
  CHECK(p.events_sent() == 100);
}

TEST_CASE("a partial batch is sent once batch_max_delay_us has passed (on idle)") {
  Received r;
  BatchPublisher p({1 << 20, 1000, 16}, sender(r));
  p.on_event(sample(1));
  p.on_event(sample(2));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (r.batches.empty() && std::chrono::steady_clock::now() < deadline) {
    p.on_idle();  // what the sensor's consumer does when the ring is empty
    std::this_thread::yield();
    std::lock_guard lk(r.mu);
    if (!r.batches.empty()) break;
  }
  REQUIRE(r.wait_batches(1, 5s));
  CHECK(count_events(r.batches[0]) == 2);
  p.stop();
}

TEST_CASE("refused sends are counted as dropped events never silent") {
  Received r;
  r.accept = false;
  BatchPublisher p({256, 60'000'000, 16}, sender(r));
  for (uint64_t i = 1; i <= 20; ++i) p.on_event(sample(i));
  p.stop();
  CHECK(p.events_sent() == 0);
  CHECK(p.events_dropped_send() + p.events_dropped_queue() == 20);
}

TEST_CASE("a full queue drops batches and counts their events") {
  std::mutex gate;
  gate.lock();  // the send function blocks until released: the queue fills up
  std::atomic<uint64_t> sent{0};
  BatchPublisher p({1, 60'000'000, 2}, [&](std::span<const uint8_t>) {
    std::lock_guard lk(gate);
    sent++;
    return true;
  });
  for (uint64_t i = 1; i <= 10; ++i) p.on_event(sample(i));  // batch_max_bytes 1: one batch per event
  CHECK(p.events_dropped_queue() >= 7);  // at most 1 in flight + 2 queued
  gate.unlock();
  p.stop();
  CHECK(p.events_sent() + p.events_dropped_queue() == 10);
}
