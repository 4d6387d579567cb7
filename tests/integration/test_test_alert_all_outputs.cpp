// POST /test through the real router with one output of every type, each behind a route the test alert would
// not pass (min_priority: critical; the test alert is Debug) or a throttle that lets nothing through: the test
// alert reaches every destination anyway, as Falcosidekick's /test does. Real receivers where they run here
// (OpenSearch, VictoriaLogs for Loki, Alertmanager, rsyslog, Kannel), the faithful fakes for Slack and Teams, and
// recording HTTP servers for Twilio and the webhook.
#include <doctest/doctest.h>

#include "tests/integration/fake_chat.h"
#include "tests/integration/router_rig.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/http_server.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Every output gets the same route, which an ordinary Debug alert does not pass.
constexpr const char* kRoute = "      min_priority: critical\n";

std::string output(const std::string& type, const std::string& keys) {
  return "    - type: " + type + "\n      name: " + type + "\n" + kRoute + keys;
}

}  // namespace

TEST_CASE("POST /test reaches an output of every type, whatever its route, each receiver sees the test alert") {
  for (const auto* r : {"opensearch", "victorialogs", "alertmanager", "rsyslog", "kannel"}) {
    if (auto why = Receiver::unavailable(r); !why.empty()) PEREGRINE_SKIP(why);
  }
  TempDir dir;
  Receiver os("opensearch", dir / "os");
  Receiver vl("victorialogs", dir / "vl");
  Receiver am("alertmanager", dir / "am");
  Receiver rsyslog("rsyslog", dir / "rsyslog", {"--no-tls"});
  Receiver kannel("kannel", dir / "kannel");
  SlackFake slack;
  TeamsFake teams;
  TestHttpServer twilio, hook;
  twilio.handle("POST", R"(/2010-04-01/Accounts/AC0+1/Messages\.json)", [](const SeenRequest&, httplib::Response& res) {
    res.status = 201;
    res.set_content(R"({"sid":"SM00000000000000000000000000000001","status":"queued"})", "application/json");
  });
  hook.handle("POST", "/falco", [](const SeenRequest&, httplib::Response& res) { res.status = 204; });
  twilio.start();
  hook.start();
  const auto file = dir / "alerts.jsonl";

  const std::vector<std::string> names{"file",   "stdout",  "opensearch", "loki",     "slack",  "teams",
                                       "webhook", "alertmanager", "twilio", "http_sms", "syslog"};
  RouterRig router(
      dir,
      output("file", "      path: " + file.string() + "\n") + output("stdout", "") +
          output("opensearch", "      url: " + os.url() + "\n      template: {replicas: 0}\n") +
          output("loki", "      url: " + vl.url() + "\n      path: /insert/loki/api/v1/push\n") +
          output("slack", "      webhook_url: " + slack.url() + "\n") +
          output("teams", "      webhook_url: \"" + teams.url() + "\"\n") +
          output("webhook", "      url: " + hook.url("/falco") + "\n      throttle: {key: [rule], window: 1h, max: 0}\n") +
          output("alertmanager", "      url: " + am.url() + "\n") +
          output("twilio", "      api_url: " + twilio.url() + "\n      account_sid: AC00000000000000000000000000000001\n"
                           "      auth_token: token\n      from: \"+15557654321\"\n      to: [\"+15550000001\"]\n") +
          output("http_sms", "      url: http://127.0.0.1:" + std::to_string(kannel.port("sendsms")) +
                                 "\n      username: tester\n      password: foobar\n      from: Falco\n"
                                 "      to: [\"+15550000001\"]\n") +
          output("syslog", "      protocol: tcp\n      port: " + std::to_string(rsyslog.port("tcp")) + "\n"));

  // An ordinary Debug alert is routed away from every output.
  auto debug = falco_alert(test_uuid("routed", 1), "Some rule", "2026-01-15T10:00:00Z", "Debug");
  REQUIRE(router.post({debug}) == 200);
  REQUIRE(wait_until([&] {
    return metric_value(router.metrics(),
                        "peregrine_router_output_set_aside_total{output=\"file\",reason=\"filtered\"}") == 1;
  }, 10s));

  const auto answer = http_post(router.process().intake_port(), "/test", "");
  REQUIRE(answer.status == 200);
  for (const auto& name : names) {
    INFO("output " << name);
    CHECK_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", name) == 1; }, 60s),
                  router.log());
  }
  CHECK(router.dead_letters().empty());

  // What each receiver holds: exactly the test alert.
  const auto lines = read_lines(file);
  REQUIRE(lines.size() == 1);
  const auto test_alert = json::parse(lines[0]);
  CHECK(test_alert["rule"] == "Test rule");
  CHECK(test_alert["priority"] == "Debug");
  CHECK(test_alert["source"] == "internal");
  const std::string uuid = test_alert["uuid"];
  CHECK(router.process().stdout_text().find(uuid) != std::string::npos);

  http_post(os.port(), "/peregrine-*/_refresh", "");
  const auto doc = json::parse(http_get(os.port(), "/peregrine-*/_search?q=uuid:" + uuid).body);
  CHECK(doc["hits"]["total"]["value"] == 1);

  http_get(vl.port(), "/internal/force_flush");
  const auto logs = http_post(vl.port(), "/select/logsql/query?query=" + std::string("%7Brule%3D%22Test%20rule%22%7D"), "");
  CHECK(logs.body.find(uuid) != std::string::npos);

  const auto listed = json::parse(http_get(am.port(), "/api/v2/alerts").body);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["labels"]["alertname"] == "Test rule");

  REQUIRE(slack.messages() == 1);
  CHECK(slack.bodies()[0]["blocks"][0]["text"]["text"] == "Test rule");
  CHECK(slack.rejections().empty());
  REQUIRE(teams.messages() == 1);
  CHECK(teams.rejections().empty());
  CHECK(teams.bodies()[0].dump().find("Test rule") != std::string::npos);

  REQUIRE(hook.count() == 1);
  CHECK(json::parse(hook.requests()[0].body)["uuid"] == uuid);
  REQUIRE(twilio.count() == 1);
  CHECK(twilio.requests()[0].params.find("Body")->second.find("Test rule") != std::string::npos);

  CHECK(wait_until([&] { return slurp(kannel.dir() / "fakesmsc.out").find("Got message") != std::string::npos; }, 10s));
  REQUIRE(wait_until([&] { return read_lines(rsyslog.dir() / "messages.log").size() == 1; }, 10s));
  CHECK(read_lines(rsyslog.dir() / "messages.log")[0].find(uuid) != std::string::npos);
}
