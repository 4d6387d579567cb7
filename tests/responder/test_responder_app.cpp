#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "responder/actions/process_kill.h"
#include "responder/responder_app.h"
#include "tests/responder/alert_fixture.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine;
using namespace peregrine::responder;
using peregrine::testing::response_alert;

namespace {

ResponderConfig config_in(const peregrine::testing::TempDir& dir, const std::string& rules, const std::string& outcomes) {
  { std::ofstream(dir / "rules.yaml") << rules; }
  ResponderConfig c;
  c.listen = "127.0.0.1:0";
  c.http.listen = "127.0.0.1:0";
  c.rules_files = {(dir / "rules.yaml").string()};
  c.dry_run = false;
  c.journal.path = (dir / "journal").string();
  c.outcomes.url = outcomes;
  return c;
}

const char* kKillRules = R"(
- action: kill
  actionner: process:kill
  parameters: {allow_host: true}
- rule: kill sleepers
  match: {output_fields: ["proc.name=sleep"]}
  actions: [{action: kill}]
)";

Alert sleeper_alert(pid_t pid) {
  auto id = read_proc_identity(pid);
  return response_alert({{"proc.pid", int64_t{pid}}, {"proc.name", std::string("sleep")},
                         {"proc.start_ts", id ? id->start_ns : uint64_t{0}}});
}

std::vector<nlohmann::json> outcomes_seen(const peregrine::testing::TestHttpServer& s) {
  std::vector<nlohmann::json> out;
  for (const auto& r : s.requests())
    for (const auto& a : nlohmann::json::parse(r.body)) out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("responder app: an alert acts once, even delivered again after a restart, and reports its outcome") {
  peregrine::testing::TempDir dir;
  peregrine::testing::TestHttpServer router;
  router.handle("POST", "/", [](const auto&, httplib::Response& res) { res.set_content("{}", "application/json"); });
  router.start();
  peregrine::testing::Child target("/bin/sleep", {"600"}, dir / "target");
  const Alert a = sleeper_alert(target.pid());
  const std::string body = alert_json_text(a);
  {
    ResponderApp app(config_in(dir, kKillRules, router.url("/")));
    auto r = app.take(body);
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["accepted"] == true);
    CHECK(target.wait_exit(std::chrono::seconds(10)) == 128 + SIGKILL);
    auto again = app.take(body);
    CHECK(again.status == 200);
    CHECK(nlohmann::json::parse(again.body)["duplicate"] == true);
    REQUIRE(peregrine::testing::wait_until([&] { return outcomes_seen(router).size() == 1; }));
    const auto o = outcomes_seen(router)[0];
    CHECK(o["source"] == "response");
    CHECK(o["rule"] == "Peregrine response done");
    CHECK(o["output_fields"]["response.alert.uuid"] == a.uuid);
    CHECK(o["output_fields"]["response.actionner"] == "process:kill");
    CHECK(o["output_fields"]["proc.pid"] == std::to_string(target.pid()));
    CHECK(app.take("not json").status == 400);
    auto no_uuid = nlohmann::json::parse(body);
    no_uuid.erase("uuid");
    CHECK(app.take(no_uuid.dump()).status == 400);
    no_uuid["uuid"] = "has a space";
    CHECK(app.take(no_uuid.dump()).status == 400);
    app.stop(std::chrono::seconds(5));
  }
  // A new process on the same journal: the uuid is known, nothing runs.
  peregrine::testing::Child other("/bin/sleep", {"600"}, dir / "other");
  Alert same = sleeper_alert(other.pid());
  same.uuid = a.uuid;
  ResponderApp app(config_in(dir, kKillRules, router.url("/")));
  auto r = app.take(alert_json_text(same));
  CHECK(nlohmann::json::parse(r.body)["duplicate"] == true);
  CHECK(app.metrics().render().find("peregrine_responder_alerts_total{result=\"duplicate\"} 1") != std::string::npos);
  app.stop(std::chrono::seconds(5));
  CHECK(other.running());
}

TEST_CASE("dispatcher: kill switch, guardrails, dry run, rate limit, and a failure stopping the rule") {
  peregrine::testing::TempDir dir;
  const std::string marker = (dir / "ran").string();
  auto cfg = config_in(dir, "", "");
  cfg.guardrails.namespaces.deny = {"kube-system"};
  RuleSet rules = parse_rules(R"(
- action: fail
  actionner: script
  parameters: {command: [/bin/false]}
- action: touch
  actionner: script
  parameters: {command: [/bin/sh, -c, "echo x >> )" + marker + R"("]}
  rate_limit: {max: 1, per: 1h}
- rule: first
  match: {rules: [stop]}
  actions: [{action: fail}, {action: touch}]
- rule: second
  match: {rules: [tolerant]}
  actions: [{action: touch}]
- rule: third
  match: {rules: [dry]}
  dry_run: true
  actions: [{action: touch}]
)");
  metrics::Registry reg;
  Dispatcher d(cfg, std::move(rules), reg, nullptr);
  auto stop = d.handle(response_alert({}, "stop"));
  REQUIRE(stop.size() == 1);  // the failure stops the rule's remaining actions
  CHECK(stop[0].result.outcome == Outcome::kFailed);
  auto dry = d.handle(response_alert({}, "dry"));
  REQUIRE(dry.size() == 1);
  CHECK(dry[0].result.outcome == Outcome::kDryRun);
  CHECK_FALSE(std::filesystem::exists(marker));
  auto denied = d.handle(response_alert({{"k8s.ns.name", std::string("kube-system")}}, "tolerant"));
  CHECK(denied[0].result.reason == "guardrail: namespace kube-system is denied");
  d.kill_switch().set(true);
  CHECK(d.handle(response_alert({}, "tolerant"))[0].result.reason.find("kill_switch") == 0);
  d.kill_switch().set(false);
  CHECK(d.handle(response_alert({}, "tolerant"))[0].result.outcome == Outcome::kDone);
  CHECK(d.handle(response_alert({}, "tolerant"))[0].result.reason.find("rate_limited") == 0);
  CHECK(d.handle(response_alert({}, "nothing")).empty());
  const std::string m = reg.render();
  CHECK(m.find("peregrine_responder_actions_total{action=\"touch\",actionner=\"script\",outcome=\"done\"} 1") !=
        std::string::npos);
  CHECK(m.find("peregrine_responder_actions_total{action=\"fail\",actionner=\"script\",outcome=\"failed\"} 1") !=
        std::string::npos);
  CHECK(m.find("peregrine_responder_alerts_unmatched_total 1") != std::string::npos);
}
