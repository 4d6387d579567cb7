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
  metrics::Registry metrics;

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
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(5, "a"));
  REQUIRE(out.wait_delivered(5));
  CHECK(out.delivered() == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"});
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(w.metrics().delivered.value() == 5);
  CHECK(rig.queue->cursor("fake") == 5);
  CHECK(testing::slurp(rig.tmp.path() / "queue" / "cursors" / "fake.cursor") == "5\n");
}

TEST_CASE("retryable failures are retried with backoff until delivered, exactly once each") {
  Rig rig;
  FakeOutput out;
  out.script({test::http_failure(503), {SendFailure::Kind::kTimeout, 0, std::nullopt, "slow"}, test::http_failure(429)});
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(3, "r"));
  REQUIRE(out.wait_delivered(3));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"r0", "r1", "r2"});
  CHECK(out.sends() == 4);
  CHECK(w.metrics().retried.value() == 9);  // 3 alerts x 3 failed attempts
  CHECK(w.metrics().failed.value() == 0);
  CHECK(rig.dead_lines().empty());
}

TEST_CASE("permanent failures go to the dead-letter file, never silently lost, and the cursor moves on") {
  Rig rig;
  FakeOutput out;
  out.script({test::http_failure(400)});
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(2, "p"));
  REQUIRE(testing::wait_until([&] { return w.metrics().failed.value() == 2; }));
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
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(4, "i"));
  REQUIRE(out.wait_delivered(3));
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  auto d = out.delivered();
  std::sort(d.begin(), d.end());
  CHECK(d == std::vector<std::string>{"i0", "i1", "i3"});
  CHECK(w.metrics().retried.value() == 1);
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
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(1, "m"));
  REQUIRE(testing::wait_until([&] { return w.metrics().failed.value() == 1; }));
  stop_now(w);
  CHECK(out.sends() == 3);
  auto dead = rig.dead_lines();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["reason"].get<std::string>().find("retries exhausted after 3 attempts") != std::string::npos);
}

TEST_CASE("filters skip alerts without sending them") {
  Rig rig;
  FakeOutput out;
  out.mutable_common().route.match.min_priority = Priority::kError;
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add({test::small_alert("low", Priority::kNotice), test::small_alert("high", Priority::kCritical)});
  REQUIRE(out.wait_delivered(1));
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"high"});
  CHECK(w.metrics().set_aside_count("filtered") == 1);
}

TEST_CASE("a restarted worker resumes from its persisted cursor") {
  Rig rig;
  {
    FakeOutput out;
    DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
    REQUIRE(w.start().ok());
    rig.add(alerts(3, "x"));
    REQUIRE(out.wait_delivered(3));
    REQUIRE(testing::wait_until([&] { return rig.queue->cursor("fake") == 3; }));
    stop_now(w);
  }
  rig.add(alerts(2, "y"));
  FakeOutput again;
  DeliveryWorker w(again, *rig.queue, rig.dead, rig.metrics);
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
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
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

TEST_CASE("an alert the output neither sends nor sets aside is dead-lettered with the reason, never counted delivered") {
  Rig rig;
  FakeOutput out;
  out.omit("o1");
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(3, "o"));
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"o0", "o2"});
  CHECK(w.metrics().delivered.value() == 2);
  CHECK(w.metrics().unaccounted.value() == 1);
  CHECK(w.metrics().failed.value() == 1);
  auto dead = rig.dead_lines();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["alert"]["uuid"] == "o1");
  CHECK(dead[0]["reason"] == "output did not account for this alert");
  const auto text = rig.metrics.render();
  CHECK(text.find("peregrine_router_output_unaccounted_total{output=\"fake\"} 1") != std::string::npos);
}

TEST_CASE("alerts an output sets aside are counted per reason and the cursor moves past them") {
  Rig rig;
  FakeOutput out;
  out.set_aside("s1", "no_recipient");
  out.mutable_common().route.match.min_priority = Priority::kWarning;
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  auto batch = alerts(3, "s");
  batch.push_back(test::small_alert("quiet", Priority::kDebug));
  rig.add(batch);
  REQUIRE(testing::wait_until([&] { return w.lag() == 0; }));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"s0", "s2"});
  CHECK(w.metrics().set_aside_count("no_recipient") == 1);
  CHECK(w.metrics().set_aside_count("filtered") == 1);
  CHECK(w.metrics().delivered.value() == 2);
  CHECK(w.metrics().unaccounted.value() == 0);
  CHECK(rig.dead_lines().empty());
  CHECK(rig.queue->cursor("fake") == 4);
  CHECK(rig.metrics.render().find("peregrine_router_output_set_aside_total{output=\"fake\",reason=\"no_recipient\"} 1") !=
        std::string::npos);
}

TEST_CASE("a retry re-sends only the payloads that failed, not the recipients already served") {
  Rig rig;
  FakeOutput out;
  out.keys({"alice", "bob"});
  out.fail_key_once("bob", test::http_failure(503));  // alice's SMS goes through, bob's fails once
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(1, "k"));
  REQUIRE(testing::wait_until([&] { return w.metrics().delivered.value() == 1; }));
  stop_now(w);
  CHECK(out.delivered() == std::vector<std::string>{"k0@alice", "k0@bob"});  // alice once, bob after the retry
  CHECK(out.sends() == 3);
  CHECK(w.metrics().retried.value() == 1);
}

TEST_CASE("concurrency: several batches in flight, the cursor only passes what is delivered in order") {
  Rig rig;
  auto opts = FakeOutput::fast_delivery();
  opts.batch_max_alerts = 1;
  FakeOutput out("wide", opts);
  out.set_concurrency(3);
  out.hold(true);
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  rig.add(alerts(5, "c"));
  REQUIRE(testing::wait_until([&] { return out.max_in_flight() == 3; }));
  CHECK(rig.queue->cursor("wide") == 0);  // nothing finished yet
  out.hold(false);
  REQUIRE(out.wait_delivered(5));
  REQUIRE(testing::wait_until([&] { return rig.queue->cursor("wide") == 5; }));
  stop_now(w);
  CHECK(out.max_in_flight() == 3);
  auto d = out.delivered();
  std::sort(d.begin(), d.end());
  CHECK(d == std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"});
}

TEST_CASE("linger: a lone alert still leaves within linger_ms, a burst leaves as full batches") {
  Rig rig;
  auto opts = FakeOutput::fast_delivery();
  opts.batch_max_alerts = 50;
  opts.linger = std::chrono::milliseconds(200);
  FakeOutput out("linger", opts);
  DeliveryWorker w(out, *rig.queue, rig.dead, rig.metrics);
  REQUIRE(w.start().ok());
  const auto t0 = std::chrono::steady_clock::now();
  rig.add(alerts(1, "lone"));
  REQUIRE(out.wait_delivered(1));
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(150));  // it did wait for company
  CHECK(waited < std::chrono::seconds(5));
  const size_t sends_before = out.sends();
  for (int i = 0; i < 100; ++i) rig.add(alerts(1, "burst" + std::to_string(i) + "-"));
  REQUIRE(out.wait_delivered(101));
  stop_now(w);
  CHECK(out.sends() - sends_before <= 3);  // 100 alerts in batches of up to 50, not one send each
}
