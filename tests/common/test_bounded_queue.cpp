#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "common/bounded_queue.h"

using peregrine::BoundedQueue;
using namespace std::chrono_literals;

TEST_CASE("bounded queue: try_push fails and counts a drop when full") {
  BoundedQueue<int> q(2);
  CHECK(q.try_push(1));
  CHECK(q.try_push(2));
  CHECK_FALSE(q.try_push(3));
  CHECK(q.pushed() == 2);
  CHECK(q.dropped() == 1);
  CHECK(q.size() == 2);
  CHECK(q.pop(0ms) == 1);
  CHECK(q.try_push(4));
  CHECK(q.pop(0ms) == 2);
  CHECK(q.pop(0ms) == 4);
  CHECK_FALSE(q.pop(0ms).has_value());
}

TEST_CASE("bounded queue: pop times out when empty") {
  BoundedQueue<int> q(1);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(q.pop(20ms).has_value());
  CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);
}

TEST_CASE("bounded queue: close wakes a waiting consumer and rejects pushes, keeps queued items") {
  BoundedQueue<int> q(4);
  REQUIRE(q.try_push(7));
  q.close();
  CHECK(q.closed());
  CHECK_FALSE(q.try_push(8));
  CHECK(q.dropped() == 1);
  CHECK(q.pop(0ms) == 7);
  std::thread waiter([&] { CHECK_FALSE(q.pop(10s).has_value()); });
  waiter.join();  // returns at once: closed and empty
}

TEST_CASE("bounded queue: close unblocks a consumer waiting in another thread") {
  BoundedQueue<int> q(4);
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    auto v = q.pop(30s);
    CHECK_FALSE(v.has_value());
    returned = true;
  });
  q.close();
  waiter.join();
  CHECK(returned);
}

TEST_CASE("bounded queue: blocking push waits for room and times out") {
  BoundedQueue<int> q(1);
  REQUIRE(q.try_push(1));
  CHECK_FALSE(q.push(2, 10ms));
  CHECK(q.dropped() == 1);
  std::thread consumer([&] { CHECK(q.pop(10s) == 1); });
  CHECK(q.push(3, 10s));
  consumer.join();
  CHECK(q.pop(0ms) == 3);
}

TEST_CASE("bounded queue: pop_many takes up to max items") {
  BoundedQueue<int> q(10);
  for (int i = 0; i < 5; ++i) REQUIRE(q.try_push(i));
  std::vector<int> out;
  CHECK(q.pop_many(out, 3, 0ms) == 3);
  CHECK(out == std::vector<int>{0, 1, 2});
  CHECK(q.pop_many(out, 10, 0ms) == 2);
  CHECK(out.size() == 5);
  CHECK(q.pop_many(out, 10, 0ms) == 0);
}

TEST_CASE("bounded queue: many producers, one consumer: every item is delivered or counted as dropped") {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  BoundedQueue<int> q(64);
  std::atomic<int> done{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) (void)q.try_push(p * kPerProducer + i);
      done++;
    });
  }
  std::set<int> seen;
  uint64_t received = 0;
  while (true) {
    auto v = q.pop(5ms);
    if (v) {
      CHECK(seen.insert(*v).second);  // no duplicates
      ++received;
    } else if (done == kProducers && q.size() == 0) {
      break;
    }
  }
  for (auto& t : producers) t.join();
  CHECK(received == q.pushed());
  CHECK(q.pushed() + q.dropped() == uint64_t(kProducers) * kPerProducer);
}

TEST_CASE("bounded queue: capacity 0 behaves as 1 - move-only items") {
  BoundedQueue<std::unique_ptr<int>> q(0);
  CHECK(q.capacity() == 1);
  CHECK(q.try_push(std::make_unique<int>(5)));
  CHECK_FALSE(q.try_push(std::make_unique<int>(6)));
  auto v = q.pop(0ms);
  REQUIRE(v.has_value());
  CHECK(**v == 5);
}
