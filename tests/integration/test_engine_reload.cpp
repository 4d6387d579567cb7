// SIGHUP on the real engine binary, with the router behind it: a rule added to the rules directory is picked up
// (the reload counter moves), and a broken file keeps the old rules and raises the internal alert
// "Falco internal: rules reload failed" with the error's file:line, delivered like any alert.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/stack.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

namespace {

std::string rule_text(const std::string& name) {
  return "- rule: " + name + "\n  desc: d\n  condition: evt.type = openat and fd.name = /reload/" + name +
         "\n  output: opened %fd.name\n  priority: NOTICE\n";
}

double engine_metric(int port, const std::string& series) { return metric_value(http_get(port, "/metrics").body, series); }

}  // namespace

TEST_CASE("engine SIGHUP: a new rules file is loaded, a broken one keeps the old rules and raises an internal alert") {
  TempDir dir;
  const auto rules_d = dir / "rules.d";
  std::filesystem::create_directories(rules_d);
  write_file(rules_d / "10-first.yaml", rule_text("first"));
  auto cfg = write_stack_config(dir, rules_d.string());
  Process router(dir, "router", cfg);
  router.ready();
  Process engine(dir, "engine", cfg);
  const int port = engine.admin_port();
  const std::string ok = "peregrine_engine_rules_reloads_total{result=\"ok\"}";
  const std::string failed = "peregrine_engine_rules_reloads_total{result=\"failed\"}";
  CHECK(engine_metric(port, ok) == 0);
  CHECK(engine.stderr_text().find("loaded 1 rules from 1 file(s)") != std::string::npos);

  write_file(rules_d / "20-second.yaml", rule_text("second"));
  REQUIRE(::kill(engine.child().pid(), SIGHUP) == 0);
  REQUIRE(wait_until([&] { return engine_metric(port, ok) == 1; }, 20s));
  CHECK(wait_until([&] { return engine.stderr_text().find("loaded 2 rules from 2 file(s)") != std::string::npos; }));

  write_file(rules_d / "30-broken.yaml", "- rule: broken\n  desc: d\n  condition: evt.type = openat and\n"
                                         "  output: x\n  priority: NOTICE\n");
  REQUIRE(::kill(engine.child().pid(), SIGHUP) == 0);
  REQUIRE(wait_until([&] { return engine_metric(port, failed) == 1; }, 20s));
  CHECK(engine_metric(port, ok) == 1);
  const auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return !alerts_in(file).empty(); }, 20s));
  const auto alerts = alerts_in(file);
  REQUIRE(alerts.size() == 1);
  const auto& a = alerts[0];
  CHECK(a["rule"] == "Falco internal: rules reload failed");
  CHECK(a["priority"] == "Error");
  CHECK(a["tags"] == nlohmann::json::array({"peregrine_internal"}));
  const std::string errors = a["output_fields"]["errors"].get<std::string>();
  INFO(errors);
  CHECK(errors.find("30-broken.yaml:") != std::string::npos);  // the file (and line) of the error
  CHECK(a["output"].get<std::string>().find("Error Falco internal: rules reload failed, the previous rules stay in "
                                            "force.") != std::string::npos);
  CHECK(a["output"].get<std::string>().find("30-broken.yaml: Invalid LOAD_ERR_COMPILE_CONDITION") != std::string::npos);
  CHECK(engine.running());  // the old set is still in force
  CHECK(engine.stderr_text().find("rules reload failed; the previous rules stay in force") != std::string::npos);

  CHECK(engine.stop(SIGTERM, 10s) == 0);
  CHECK(router.stop(SIGTERM, 10s) == 0);
}

TEST_CASE("engine watch_rules: a file added to the rules directory is loaded without a signal") {
  TempDir dir;
  const auto rules_d = dir / "rules.d";
  std::filesystem::create_directories(rules_d);
  write_file(rules_d / "10-first.yaml", rule_text("first"));
  auto cfg = write_stack_config(dir, rules_d.string(), "watch_rules: true\n");
  Process router(dir, "router", cfg);
  router.ready();
  Process engine(dir, "engine", cfg);
  const int port = engine.admin_port();
  const std::string ok = "peregrine_engine_rules_reloads_total{result=\"ok\"}";
  CHECK(engine_metric(port, ok) == 0);
  write_file(rules_d / "20-second.yaml", rule_text("second"));
  REQUIRE(wait_until([&] { return engine_metric(port, ok) == 1; }, 20s));
  CHECK(wait_until([&] { return engine.stderr_text().find("loaded 2 rules from 2 file(s)") != std::string::npos; }));
  CHECK(engine.stderr_text().find("a rules file changed: reloading the rules") != std::string::npos);
  CHECK(engine.stop(SIGTERM, 10s) == 0);
  CHECK(router.stop(SIGTERM, 10s) == 0);
}
