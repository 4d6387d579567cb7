// Rules reload: a new set built off the evaluating thread is swapped in between batches under a steady event
// stream, with every event evaluated exactly once; a set that fails to load leaves the old rules in force.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>

#include "common/event_json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "engine/runtime/pipeline.h"
#include "engine/runtime/reload.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::engine;
using peregrine::testing::TempDir;
using peregrine::testing::write_file;

namespace {

std::string rule(const std::string& name) {
  return "- rule: " + name + "\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n"
         "  output: o %proc.name\n  priority: NOTICE\n";
}

Event shadow_open() {
  Event e;
  const auto r = event_from_json_line(
      R"({"type":"openat","ts":1,"res":3,"args":{"name":"/etc/shadow","flags":"O_RDONLY"},)"
      R"("proc":{"name":"cat","pid":4},"fd":{"num":3,"type":"f","name":"/etc/shadow"}})",
      e);
  REQUIRE(r.ok());
  return e;
}

// The daemon's loop in small: one event per "batch", a poll of the reloader between batches.
struct Rig {
  TempDir dir;
  config::EngineConfig ec;
  std::unique_ptr<RuleEngine> rules = std::make_unique<RuleEngine>();
  metrics::Registry reg;
  std::map<std::string, int> alerts_by_rule;
  Pipeline pipeline{*rules, [this](const Alert& a, std::string&&) { return ++alerts_by_rule[a.rule] > 0; }, reg};
  RulesReloader reloader{[this] { return build_rules(ec, *logger("engine")); }};
  const Event evt = shadow_open();
  int events = 0;

  Rig() {
    std::filesystem::create_directories(dir / "rules.d");
    write_file(dir / "rules.d" / "a.yaml", rule("Old"));
    ec.rules_files = {(dir / "rules.d").string()};
    ec.hostname = "h";
    configure_rules(*rules, ec, *logger("engine"));
  }
  void batch() {
    pipeline.process_event(evt);
    ++events;
  }
  // Streams events until the reload finishes (at most 30 s), then applies it as the daemon does.
  ReloadOutcome stream_until_reloaded() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      batch();
      if (auto done = reloader.poll()) {
        if (done->rules) {
          pipeline.set_rules(*done->rules);
          rules = std::move(done->rules);
        }
        return std::move(*done);
      }
    }
    FAIL("the reload did not finish in 30 s");
    return {};
  }
};

}  // namespace

TEST_CASE("reload: the new set replaces the old between batches - every event is evaluated exactly once") {
  Rig rig;
  for (int i = 0; i < 100; ++i) rig.batch();
  CHECK(rig.alerts_by_rule["Old"] == 100);
  write_file(rig.dir / "rules.d" / "a.yaml", rule("New"));
  write_file(rig.dir / "rules.d" / "b.yml", rule("Also new"));  // a file added to the directory is picked up
  REQUIRE(rig.reloader.start());
  CHECK_FALSE(rig.reloader.start());  // one build at a time
  const auto done = rig.stream_until_reloaded();
  CHECK(done.errors.empty());
  const int before_swap = rig.events;
  for (int i = 0; i < 100; ++i) rig.batch();
  // Old fired for every event up to the swap, New for every one after it; no event twice, none lost.
  CHECK(rig.alerts_by_rule["Old"] == before_swap);
  CHECK(rig.alerts_by_rule["New"] == 100);
  CHECK(rig.alerts_by_rule["Also new"] == 0);  // rule_matching first: one alert per event
  CHECK(rig.pipeline.events() == static_cast<uint64_t>(rig.events));
  CHECK(rig.pipeline.alerts() == static_cast<uint64_t>(rig.events));
}

TEST_CASE("reload: a file that fails to load keeps the old rules and reports the error with file:line") {
  Rig rig;
  write_file(rig.dir / "rules.d" / "b.yaml", "- rule: Broken\n  desc: d\n  condition: evt.type = \n"
                                             "  output: o\n  priority: NOTICE\n");
  REQUIRE(rig.reloader.start());
  const auto done = rig.stream_until_reloaded();
  CHECK(done.rules == nullptr);
  const std::string broken = (rig.dir / "rules.d" / "b.yaml").string();
  CHECK_MESSAGE(done.errors.find(broken + ":1:") != std::string::npos, done.errors);
  const int before = rig.events;
  for (int i = 0; i < 10; ++i) rig.batch();
  CHECK(rig.alerts_by_rule["Old"] == before + 10);
  // A later reload after the fix succeeds: the failure did not wedge the reloader.
  write_file(rig.dir / "rules.d" / "b.yaml", rule("Fixed"));
  write_file(rig.dir / "rules.d" / "a.yaml", "");
  REQUIRE(rig.reloader.start());
  CHECK(rig.stream_until_reloaded().errors.empty());
  rig.batch();
  CHECK(rig.alerts_by_rule["Fixed"] == 1);
}

TEST_CASE("reload: SIGHUP is a flag for the loop, not the end of the process") {
  HangupSignal hangup;
  CHECK_FALSE(hangup.take());
  REQUIRE(std::raise(SIGHUP) == 0);  // the default action would end this test process
  CHECK(hangup.take());
  CHECK_FALSE(hangup.take());  // taken once
}
