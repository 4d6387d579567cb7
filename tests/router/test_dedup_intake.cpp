// Dedup window (bounds, snapshot, rebuild after restart) and the intake pipeline (validation, dedup, ack rules).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/intake/intake_pipeline.h"
#include "router/queue/durable_queue.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;
using peregrine::testing::TempDir;

namespace {

QueueOptions queue_options(const TempDir& t, uint64_t max_bytes = 1 << 20) {
  QueueOptions o;
  o.dir = t.path() / "queue";
  o.segment_bytes = 4096;
  o.max_bytes = max_bytes;
  return o;
}

std::unique_ptr<DurableQueue> open_queue(const QueueOptions& o) {
  auto q = DurableQueue::open(o);
  REQUIRE_MESSAGE(q.ok(), (q.ok() ? "" : q.error().message));
  return std::move(q).value();
}

std::string falco_json(const std::string& priority = "Warning") {
  nlohmann::json j = nlohmann::json::parse(test::kFalcoExampleJson);
  j.erase("uuid");
  j["priority"] = priority;
  return j.dump();
}

}  // namespace

TEST_CASE("dedup window evicts the oldest uuid beyond capacity") {
  DedupWindow w(3);
  for (auto u : {"a", "b", "c"}) w.insert(u);
  CHECK(w.contains("a"));
  w.insert("b");  // already present: no reordering, no growth
  CHECK(w.size() == 3);
  w.insert("d");
  CHECK_FALSE(w.contains("a"));
  CHECK(w.contains("b"));
  CHECK(w.contains("d"));
  CHECK(w.size() == 3);
}

TEST_CASE("dedup snapshot round-trips in order") {
  TempDir t;
  DedupWindow w(10);
  for (auto u : {"x", "y", "z"}) w.insert(u);
  REQUIRE(w.save(t.path() / "dedup.snapshot").ok());
  DedupWindow back(2);
  auto n = back.load(t.path() / "dedup.snapshot");
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK_FALSE(back.contains("x"));  // capacity 2 keeps the newest
  CHECK(back.contains("y"));
  CHECK(back.contains("z"));
  DedupWindow none(2);
  CHECK(*none.load(t.path() / "missing") == 0);
}

TEST_CASE("validate_alert names the offending field") {
  auto field_of = [](nlohmann::json j) {
    auto v = validate_alert(j);
    REQUIRE(std::holds_alternative<ValidationError>(v));
    return std::get<ValidationError>(v).field;
  };
  auto base = nlohmann::json::parse(test::kFalcoExampleJson);
  auto j = base;
  j["priority"] = "Loud";
  CHECK(field_of(j) == "priority");
  j = base;
  j.erase("rule");
  CHECK(field_of(j) == "rule");
  j = base;
  j["rule"] = "";
  CHECK(field_of(j) == "rule");
  j = base;
  j["time"] = "yesterday";
  CHECK(field_of(j) == "time");
  j = base;
  j["output_fields"]["bad"] = nlohmann::json::object();  // arrays are accepted (kept as text), objects not
  CHECK(field_of(j) == "output_fields.bad");
  j = base;
  j["uuid"] = 42;
  CHECK(field_of(j) == "uuid");
  CHECK(field_of(nlohmann::json::array()) == "");
  CHECK(std::holds_alternative<Alert>(validate_alert(base)));
}

TEST_CASE("intake assigns uuids, appends once per uuid and remembers them") {
  TempDir t;
  auto q = open_queue(queue_options(t));
  DedupWindow w(100);
  IntakePipeline in(*q, w, nullptr);
  auto a = test::sample_alert();
  Alert no_uuid = a;
  no_uuid.uuid.clear();
  auto r = in.accept({a, a, no_uuid});
  REQUIRE(r.ok());
  CHECK(r->accepted == 2);
  CHECK(r->duplicates == 1);
  auto again = in.accept({a});
  REQUIRE(again.ok());
  CHECK(again->accepted == 0);
  CHECK(again->duplicates == 1);
  auto recs = q->read(0, 10, 1 << 20);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 2);
  auto assigned = nlohmann::json::parse((*recs)[1].payload)["uuid"].get<std::string>();
  CHECK(assigned.size() == 36);
  CHECK(w.contains(assigned));
}

TEST_CASE("a full queue refuses the batch, returns an error and remembers nothing") {
  TempDir t;
  auto q = open_queue(queue_options(t, 8192));
  DedupWindow w(100);
  IntakePipeline in(*q, w, nullptr);
  Result<IntakeResult> r = IntakeResult{};
  int i = 0;
  for (; i < 1000; ++i) {
    r = in.accept({test::small_alert("fill-" + std::to_string(i))});
    if (!r) break;
  }
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("queue full") != std::string::npos);
  CHECK_FALSE(w.contains("fill-" + std::to_string(i)));  // a later resend must not be taken for a duplicate
  CHECK(in.rejected() == 1);
}

TEST_CASE("raw engine alerts: invalid ones are dead-lettered and counted, valid ones appended") {
  TempDir t;
  auto q = open_queue(queue_options(t));
  DedupWindow w(100);
  DeadLetterFile dead(t.path() / "rejected.jsonl");
  IntakePipeline in(*q, w, &dead);
  auto r = in.accept_raw({{"u-1", falco_json()}, {"u-2", "{not json"}, {"u-3", falco_json("Loud")}});
  REQUIRE(r.ok());
  CHECK(r->accepted == 1);
  CHECK(r->invalid == 2);
  CHECK(in.invalid() == 2);
  CHECK(dead.written() == 2);
  CHECK(testing::slurp(t.path() / "rejected.jsonl").find("field 'priority'") != std::string::npos);
  // The envelope uuid is used when the JSON has none.
  CHECK(w.contains("u-1"));
}

TEST_CASE("after a restart the window is rebuilt from snapshot + queue, so a resend is not queued twice") {
  TempDir t;
  const auto snapshot = t.path() / "dedup.snapshot";
  {
    auto q = open_queue(queue_options(t));
    DedupWindow w(100);
    IntakePipeline in(*q, w, nullptr);
    q->set_before_reclaim([&] { REQUIRE(w.save(snapshot).ok()); });
    REQUIRE(q->register_cursor("out").ok());
    for (int i = 0; i < 40; ++i) REQUIRE(in.accept({test::small_alert("old-" + std::to_string(i))}).ok());
    REQUIRE(q->commit_cursor("out", q->next_seq()).ok());  // deletes early segments, after the snapshot
    CHECK(q->stats().reclaimed_segments > 0);
    REQUIRE(in.accept({test::small_alert("recent")}).ok());
  }
  auto q = open_queue(queue_options(t));
  DedupWindow w(100);
  auto scanned = rebuild_dedup(w, *q, snapshot);
  REQUIRE(scanned.ok());
  IntakePipeline in(*q, w, nullptr);
  auto r = in.accept({test::small_alert("old-0"), test::small_alert("recent"), test::small_alert("new")});
  REQUIRE(r.ok());
  CHECK(r->duplicates == 2);
  CHECK(r->accepted == 1);
}
