// The drop report's way to the alert outputs: the sensor turns an interval over the threshold into a
// kSensorDrops event, it crosses the wire codec, and the engine raises Falco's internal drop alert from it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/codec.h"
#include "common/metrics.h"
#include "engine/rules/rule_engine.h"
#include "engine/runtime/internal_alerts.h"
#include "engine/runtime/pipeline.h"
#include "sensor/drop_event.h"

using namespace peregrine;

TEST_CASE("drop report -> kSensorDrops event -> wire -> 'Falco internal: syscall event drop' alert") {
  sensor::DropReport r;
  r.events = 1000;
  r.drops = 250;
  r.ratio = 0.25;
  r.over_threshold = true;
  r.delta.ring_full[0] = 200;
  r.delta.ring_full[1] = 40;
  r.delta.oversize = 10;
  Event e = sensor::make_drop_event(r, 10, 5, 1700000000123456789ull);
  CHECK(e.type == EventType::kSensorDrops);

  wire::BatchEncoder enc;
  enc.add(e);
  // A rule that would match every event must not see the report.
  engine::RuleEngine rules;
  REQUIRE(rules.load_string("- rule: Everything\n  desc: d\n  condition: evt.num >= 0\n  output: x\n"
                            "  priority: INFO\n", "r.yaml").successful());
  rules.set_hostname("node-1");
  metrics::Registry reg;
  std::vector<Alert> got;
  engine::Pipeline p(rules, [&](const Alert& a, std::string&&) { got.push_back(a); return true; }, reg);
  REQUIRE(p.process_batch(enc.bytes()).ok());
  REQUIRE(got.size() == 1);
  const Alert& a = got[0];
  CHECK(a.rule == "Falco internal: syscall event drop");
  CHECK(a.priority == Priority::kDebug);
  CHECK(a.hostname == "node-1");
  CHECK(a.time_ns == 1700000000123456789ull);
  CHECK(a.output.ends_with(": Debug Falco internal: syscall event drop. 255 system calls dropped in last 10 s."));
  CHECK(a.output_fields.at("n_evts") == FieldValue{uint64_t{1000}});
  CHECK(a.output_fields.at("n_drops") == FieldValue{uint64_t{255}});
  CHECK(a.output_fields.at("n_drops_buffer_total") == FieldValue{uint64_t{240}});
  CHECK(a.output_fields.at("n_drops_max_event_size") == FieldValue{uint64_t{10}});
  CHECK(a.output_fields.at("n_drops_queue") == FieldValue{uint64_t{5}});
  CHECK(a.output_fields.at("n_drops_perc") == FieldValue{std::string("25.500000")});
  CHECK(p.events() == 0);  // not evaluated by the rules
}

TEST_CASE("a malformed drop report is not an alert") {
  Event e;
  e.type = EventType::kSensorDrops;  // no params
  Alert a;
  CHECK_FALSE(engine::make_internal_alert(e, "h", a));
  CHECK(engine::is_internal_event(e));
}

TEST_CASE("the drop alert counts user-space drops with the kernel's") {
  sensor::DropReport r;
  r.events = 1000;
  CHECK_FALSE(sensor::drop_alert_due(r, 0, 0.1));    // nothing lost
  CHECK(sensor::drop_alert_due(r, 200, 0.1));        // the ring kept up, the queue overflowed: 20% lost
  CHECK_FALSE(sensor::drop_alert_due(r, 100, 0.1));  // 10% is not above 10%
  r.drops = 60;
  CHECK(sensor::drop_alert_due(r, 50, 0.1));         // 6% kernel + 5% queue
  CHECK_FALSE(sensor::drop_alert_due(r, 0, 0.1));
  r = {};
  CHECK(sensor::drop_alert_due(r, 3, 0.1));          // events lost while none were counted as seen
}
