// Delivery machinery against a scripted fake output: retry classification, dead-lettering, filters, cursors, drain.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/delivery/delivery_worker.h"
#include "router/intake/intake_pipeline.h"
#include "router/queue/durable_queue.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/router/fake_output.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;
using peregrine::outputs::SendFailure;
using peregrine::test::FakeOutput;
using peregrine::testing::TempDir;

namespace {

struct Rig {
  TempDir tmp;
  std::unique_ptr<DurableQueue> queue;
  DedupWindow window{1000};
  DeadLetterFile dead{tmp.path() / "dead.jsonl"};
  std::unique_ptr<IntakePipeline> intake;

  Rig() {
    QueueOptions o;
    o.dir = tmp.path() / "queue";
    o.segment_bytes = 4096;
    o.max_bytes = 1 << 20;
    auto q = DurableQueue::open(o);
    REQUIRE(q.ok());
    queue = std::move(q).value();
    intake = std::make_unique<IntakePipeline>(*queue, window, &dead);
  }
  void add(std::vector<Alert> alerts) { REQUIRE(intake->accept(std::move(alerts)).ok()); }
  std::vector<nlohmann::json> dead_lines() const {
    std::vector<nlohmann::json> v;
    std::ifstream in(tmp.path() / "dead.jsonl");
    std::string line;
    while (std::getline(in, line)) v.push_back(nlohmann::json::parse(line));
    return v;
  }
};

std::vector<Alert> alerts(int n, const std::string& prefix) {
  std::vector<Alert> v;
  for (int i = 0; i < n; ++i) v.push_back(test::small_alert(prefix + std::to_string(i)));
  return v;
}

void stop_now(DeliveryWorker& w) {
  w.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  w.join();
}

}  // namespace

TEST_CASE("delivers queued alerts in order and persists the cursor") {
  Rig rig;
  FakeOutput out;
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(5, "a"));
  REQUIRE(out.wait_delivered(5));
  CHECK(out.delivered() == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(w.stats().delivered == 5);
  CHECK(rig.queue->cursor("fake") == 5);
  CHECK(testing::slurp(rig.tmp.path() / "queue" / "cursors" / "fake.cursor") == "5\n");
}

TEST_CASE("retryable failures are retried with backoff until delivered, exactly once each") {
  Rig rig;
  FakeOutput out;
  out.script({test::http_failure(503), {SendFailure::Kind::kTimeout, 0, std::nullopt, "slow"}, test::http_failure(429)});
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(3, "r"));
  REQUIRE(out.wait_delivered(3));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"r0", "r1", "r2"});
  CHECK(out.sends() == 4);
  CHECK(w.stats().retried == 9);  // 3 alerts x 3 failed attempts
  CHECK(w.stats().failed == 0);
  CHECK(rig.dead_lines().empty());
}

TEST_CASE("permanent failures go to the dead-letter file, never silently lost, and the cursor moves on") {
  Rig rig;
  FakeOutput out;
  out.script({test::http_failure(400)});
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(2, "p"));
  REQUIRE(testing::wait_until([&] { return w.stats().failed == 2; }));
  rig.add(alerts(1, "q"));
  REQUIRE(out.wait_delivered(1));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"q0"});
  auto dead = rig.dead_lines();
  REQUIRE(dead.size() == 2);
  CHECK(dead[0]["output"] == "fake");
  CHECK(dead[0]["alert"]["uuid"] == "p0");
  CHECK(dead[0]["seq"] == 0);
  CHECK(dead[0]["reason"].get<std::string>().find("HTTP 400") != std::string::npos);
  CHECK(rig.queue->cursor("fake") == 3);
}

TEST_CASE("per-item failures: only the failed item is retried, permanent items dead-lettered") {
  Rig rig;
  FakeOutput out;
  out.fail_item_once("i1", test::http_failure(503));
  out.fail_item_once("i2", test::http_failure(422));
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(4, "i"));
  REQUIRE(out.wait_delivered(3));
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  auto d = out.delivered();
  std::sort(d.begin(), d.end());
  CHECK(d == std::vector<std::string>{"i0", "i1", "i3"});
  CHECK(w.stats().retried == 1);
  auto dead = rig.dead_lines();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["alert"]["uuid"] == "i2");
}

TEST_CASE("max_attempts bounds retries and dead-letters the rest") {
  Rig rig;
  auto opts = FakeOutput::fast_delivery();
  opts.max_attempts = 3;
  FakeOutput out("bounded", opts);
  out.script({test::http_failure(500), test::http_failure(500), test::http_failure(500), test::http_failure(500)});
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(1, "m"));
  REQUIRE(testing::wait_until([&] { return w.stats().failed == 1; }));
  stop_now(w);
  CHECK(out.sends() == 3);
  auto dead = rig.dead_lines();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["reason"].get<std::string>().find("retries exhausted after 3 attempts") != std::string::npos);
}

TEST_CASE("filters skip alerts without sending them") {
  Rig rig;
  FakeOutput out;
  out.mutable_common().filter.min_priority = Priority::kError;
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add({test::small_alert("low", Priority::kNotice), test::small_alert("high", Priority::kCritical)});
  REQUIRE(out.wait_delivered(1));
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"high"});
  CHECK(w.stats().filtered == 1);
}

TEST_CASE("a restarted worker resumes from its persisted cursor") {
  Rig rig;
  {
    FakeOutput out;
    DeliveryWorker w(out, *rig.queue, rig.dead);
    REQUIRE(w.start().ok());
    rig.add(alerts(3, "x"));
    REQUIRE(out.wait_delivered(3));
    REQUIRE(testing::wait_until([&] { return rig.queue->cursor("fake") == 3; }));
    stop_now(w);
  }
  rig.add(alerts(2, "y"));
  FakeOutput again;
  DeliveryWorker w(again, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  REQUIRE(again.wait_delivered(2));
  stop_now(w);
  CHECK(again.delivered() == std::vector<std::string>{"y0", "y1"});
}

TEST_CASE("stop with a deadline abandons an undeliverable batch but keeps it queued") {
  Rig rig;
  auto opts = FakeOutput::fast_delivery();
  opts.initial_backoff = std::chrono::milliseconds(20);
  opts.max_backoff = std::chrono::milliseconds(20);
  FakeOutput out("stuck", opts);
  std::vector<SendFailure> many(100000, test::http_failure(503));
  out.script(many);
  DeliveryWorker w(out, *rig.queue, rig.dead);
  REQUIRE(w.start().ok());
  rig.add(alerts(2, "s"));
  REQUIRE(out.wait_sends(2));
  const auto t0 = std::chrono::steady_clock::now();
  w.stop(t0 + std::chrono::milliseconds(100));
  w.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(rig.queue->cursor("stuck") == 0);  // nothing acknowledged: re-delivered after restart
  CHECK(rig.dead_lines().empty());
}
