// The real router and responder binaries: an alert accepted by the router's HTTP intake reaches the responder
// through the router's durable delivery; process:kill kills exactly the process it names; the outcome comes back
// as a `source: response` alert in the router's file output; a re-delivery (also after a responder restart) never
// acts twice; dry run kills nothing. The alerts are posted by the test (a sensor+engine run is not part of this
// test), naming throwaway `sleep` processes the test spawned.
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
