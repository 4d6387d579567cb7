// The real router and responder binaries: an alert accepted by the router's HTTP intake reaches the responder
// through the router's durable delivery; process:kill kills exactly the process it names; the outcome comes back
// as a `source: response` alert in the router's file output; a re-delivery (also after a responder restart) never
// acts twice; dry run kills nothing. Most cases post the alerts themselves, naming throwaway `sleep` processes the
// test spawned; the last one runs the real sensor and engine too (root, BTF, a build with the sensor), where a
// shell's own openat of a bait file is the suspicious action.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/integration/response_rig.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

namespace {

const char* kRules = R"(
- action: kill it
  actionner: process:kill
  parameters: {signal: SIGKILL, allow_host: true}
- rule: kill the suspicious sleeper
  match:
    rules: [Suspicious sleeper]
    priority: ">=Error"
    output_fields: ["proc.name=sleep"]
  actions: [{action: kill it}]
)";

}  // namespace

TEST_CASE("responder live: the named process is killed once, its sibling is not, the outcome reaches the file") {
  TempDir dir;
  ResponseRig rig(dir, kRules, "dry_run: false\n");
  Child target("/bin/sleep", {"600"}, dir / "target");
  Child sibling("/bin/sleep", {"600"}, dir / "sibling");
  const auto alert = alert_naming(target.pid(), "Suspicious sleeper");
  const std::string uuid = alert["uuid"];
  REQUIRE(rig.post_to_router(alert) == 200);
  CHECK(target.wait_exit(10s) == 128 + SIGKILL);
  REQUIRE_MESSAGE(wait_until([&] { return rig.outcomes_for(uuid).size() == 1; }, 15s),
                  rig.responder().stderr_text());
  const auto outcome = rig.outcomes_for(uuid)[0];
  CHECK(outcome["rule"] == "Peregrine response done");
  CHECK(outcome["priority"] == "Notice");
  CHECK(outcome["output_fields"]["response.actionner"] == "process:kill");
  CHECK(outcome["output_fields"]["proc.pid"] == std::to_string(target.pid()));
  CHECK(sibling.running());

  // The same alert again: through the router (its dedup window) and straight to the responder (a re-delivery
  // after a lost answer), then again after the responder was SIGKILLed and restarted on its journal.
  CHECK(rig.post_to_router(alert) == 200);
  auto again = rig.post_to_responder(alert);
  CHECK(again.status == 200);
  CHECK(again.body.find("\"duplicate\":true") != std::string::npos);
  rig.restart_responder();
  auto after_restart = rig.post_to_responder(alert);
  CHECK(after_restart.body.find("\"duplicate\":true") != std::string::npos);
  CHECK(scrape(rig.responder().admin_port(), "peregrine_responder_alerts_total{result=\"duplicate\"}") == 1);
  CHECK(scrape(rig.responder().admin_port(), "peregrine_responder_alerts_total{result=\"accepted\"}") == 0);
  // The outcome alerts were not sent back to the responder (the router's output set them aside).
  CHECK(scrape(rig.router().admin_port(), "peregrine_router_output_set_aside_total{output=\"responder\",reason=\"response_loop\"}") >= 1);
  CHECK(rig.outcomes_for(uuid).size() == 1);
  CHECK(sibling.running());
  const std::string metrics = http_get(rig.responder().admin_port(), "/metrics").body;
  CHECK(metrics.find("peregrine_responder_action_latency_seconds_count{action=\"kill it\",actionner=\"process:kill\"}") !=
        std::string::npos);
  if (has_promtool()) CHECK(promtool_check(metrics) == "");
}

TEST_CASE("responder live: dry run kills nothing and reports what it would have done") {
  TempDir dir;
  ResponseRig rig(dir, kRules, "dry_run: true\n");
  Child target("/bin/sleep", {"600"}, dir / "target");
  const auto alert = alert_naming(target.pid(), "Suspicious sleeper");
  REQUIRE(rig.post_to_router(alert) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return rig.outcomes_for(alert["uuid"]).size() == 1; }, 15s),
                  rig.responder().stderr_text());
  const auto outcome = rig.outcomes_for(alert["uuid"])[0];
  CHECK(outcome["rule"] == "Peregrine response dry_run");
  CHECK(outcome["output_fields"]["response.reason"] ==
        "would send signal 9 to pid " + std::to_string(target.pid()) + " (sleep)");
  CHECK(target.running());
}

TEST_CASE("responder live: an alert naming a recycled or different process kills nothing") {
  TempDir dir;
  ResponseRig rig(dir, kRules, "dry_run: false\n");
  Child target("/bin/sleep", {"600"}, dir / "target");
  auto alert = alert_naming(target.pid(), "Suspicious sleeper");
  alert["output_fields"]["proc.start_ts"] = alert["output_fields"]["proc.start_ts"].get<uint64_t>() - 60'000'000'000ull;
  REQUIRE(rig.post_to_router(alert) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return rig.outcomes_for(alert["uuid"]).size() == 1; }, 15s),
                  rig.responder().stderr_text());
  const auto outcome = rig.outcomes_for(alert["uuid"])[0];
  CHECK(outcome["rule"] == "Peregrine response skipped");
  CHECK(outcome["output_fields"]["response.reason"].get<std::string>().find("not_same_process: proc.start_ts") == 0);
  CHECK(target.running());
}

TEST_CASE("responder live with sensor and engine: the process that opened the bait file is killed, its sibling not") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  if (binary("peregrine-sensor").empty()) PEREGRINE_SKIP("peregrine-sensor is not built (PEREGRINE_BUILD_SENSOR=OFF)");
  TempDir dir;
  const std::string bait = (dir / "bait.txt").string();
  write_file(bait, "bait\n");
  write_file(dir / "falco_rules.yaml",
             "- rule: Bait file opened\n"
             "  desc: the responder test's bait\n"
             "  condition: evt.type in (open, openat, openat2) and fd.name = \"" + bait + "\"\n"
             "  output: bait opened (proc.pid=%proc.pid proc.name=%proc.name proc.exepath=%proc.exepath "
             "proc.start_ts=%proc.start_ts)\n"
             "  priority: CRITICAL\n");
  ResponseRig rig(dir, R"(
- action: kill it
  actionner: process:kill
  parameters: {allow_host: true}
- rule: kill whoever opens the bait
  match: {rules: [Bait file opened]}
  actions: [{action: kill it}]
)", "dry_run: false\n", (dir / "falco_rules.yaml").string());
  // The shell opens the bait itself (a builtin's redirection, no child), then waits on a child sleep: the alert
  // names the shell, which must still be alive and the same process when the responder acts.
  SpawnOptions group;
  group.new_process_group = true;
  Child sibling("/bin/sh", {"-c", "sleep 600 & wait"}, dir / "sibling", group);
  Child actor("/bin/sh", {"-c", ": < " + bait + "; sleep 600 & wait"}, dir / "actor", group);
  CHECK(actor.wait_exit(20s) == 128 + SIGKILL);
  REQUIRE_MESSAGE(wait_until([&] {
    for (const auto& a : rig.alerts())
      if (a.value("source", "") == "response" && a["output_fields"].value("response.outcome", "") == "done") return true;
    return false;
  }, 15s), rig.responder().stderr_text());
  CHECK(sibling.running());
  // The engine's alert carried what the identity check compares: a numeric start time and the executed path.
  for (const auto& a : rig.alerts()) {
    if (a["rule"] != "Bait file opened") continue;
    CHECK(a["output_fields"]["proc.start_ts"].is_number_unsigned());
    CHECK(a["output_fields"]["proc.pid"] == actor.pid());
  }
}
