// Alertmanager output: the golden /api/v2/alerts body, severity mapping, labels from fields, annotations,
// endsAt and generatorURL; the HA set against local servers (delivered when one instance accepts); config keys.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "outputs/alertmanager/alertmanager_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/http_server.h"

using namespace peregrine;
using namespace peregrine::outputs;
using peregrine::testing::SeenRequest;
using peregrine::testing::TestHttpServer;
using nlohmann::json;

namespace {

std::unique_ptr<Output> build(const std::string& keys) { return test::build_output("alertmanager", keys); }

std::string error_of(const std::string& keys) { return test::output_error("alertmanager", keys); }

}  // namespace

TEST_CASE("alertmanager: golden body - one array per batch, labels, annotations, startsAt") {
  auto out = build("      url: http://127.0.0.1:9093/am/\n");
  auto f = out->format(std::vector<Alert>{test::sample_alert(), test::small_alert("u2", Priority::kNotice)});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  const auto& p = f->payloads[0];
  const std::string golden =
      R"J([{"labels":{"alertname":"Write below binary dir","hostname":"node-1","priority":"Error","severity":"warning","source":"syscall"},)J"
      R"J("annotations":{"description":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)",)J"
      R"J("summary":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)"},)J"
      R"J("startsAt":"2019-05-17T15:31:56.746609046Z"},)J"
      R"J({"labels":{"alertname":"R","hostname":"h","priority":"Notice","severity":"info","source":"syscall"},)J"
      R"J("annotations":{"description":"out u2","summary":"out u2"},"startsAt":"2023-11-14T22:13:20.000000001Z"}])J";
  CHECK(p.body == golden);
  CHECK(p.items == std::vector<size_t>{0, 1});
  CHECK(p.url == "http://127.0.0.1:9093/am/api/v2/alerts");
  CHECK(p.target == "http://127.0.0.1:9093/am/api/v2/alerts");
  CHECK(p.content_type == "application/json");
  CHECK(out->common().delivery.batch_max_alerts == 1000);
  CHECK(out->format(std::vector<Alert>{})->payloads.empty());
}

TEST_CASE("alertmanager: severity from the priority") {
  CHECK(alertmanager_severity(Priority::kEmergency) == "critical");
  CHECK(alertmanager_severity(Priority::kAlert) == "critical");
  CHECK(alertmanager_severity(Priority::kCritical) == "critical");
  CHECK(alertmanager_severity(Priority::kError) == "warning");
  CHECK(alertmanager_severity(Priority::kWarning) == "warning");
  CHECK(alertmanager_severity(Priority::kNotice) == "info");
  CHECK(alertmanager_severity(Priority::kInformational) == "info");
  CHECK(alertmanager_severity(Priority::kDebug) == "info");
}

TEST_CASE("alertmanager: labels from fields, custom annotations, endsAt and generatorURL") {
  auto out = build("      url: http://am:9093\n"
                   "      labels: {team: secops, env: prod}\n"
                   "      labels_from_fields: [container.name, \"proc.aname[2]\", k8s.ns.name]\n"
                   "      description: \"{{rule}} in {{container.name}}\"\n"
                   "      annotations: {runbook_url: \"https://wiki/{{rule}}\", pid: \"{{proc.pid}}\"}\n"
                   "      generator_url: \"https://siem/alerts?uuid={{uuid}}&r={{rule}}\"\n"
                   "      resolve_after: 5m\n");
  Alert a = test::small_alert("u1", Priority::kCritical, "Shell in container");
  a.output_fields["container.name"] = std::string("web");
  a.output_fields["proc.aname[2]"] = std::string("containerd");
  a.output_fields["k8s.ns.name"] = std::monostate{};  // null: no label
  a.output_fields["proc.pid"] = int64_t{42};
  const auto j = json::parse(out->format(std::vector<Alert>{a})->payloads[0].body)[0];
  CHECK(j["labels"] == json{{"alertname", "Shell in container"}, {"container_name", "web"}, {"env", "prod"},
                            {"team", "secops"}, {"hostname", "h"},
                            {"priority", "Critical"}, {"proc_aname_2_", "containerd"}, {"severity", "critical"},
                            {"source", "syscall"}});
  CHECK(j["annotations"] == json{{"description", "Shell in container in web"}, {"pid", "42"},
                                 {"runbook_url", "https://wiki/Shell in container"}, {"summary", "out u1"}});
  CHECK(j["startsAt"] == "2023-11-14T22:13:20.000000001Z");
  CHECK(j["endsAt"] == "2023-11-14T22:18:20.000000001Z");
  CHECK(j["generatorURL"] == "https://siem/alerts?uuid=u1&r=Shell%20in%20container");
  CHECK(prometheus_label_name("9lives.x") == "_9lives_x");
  auto never = build("      url: http://am:9093\n      resolve_after: 0s\n");  // Sidekick's expiresafter: 0
  CHECK_FALSE(json::parse(never->format(std::vector<Alert>{a})->payloads[0].body)[0].contains("endsAt"));
}

TEST_CASE("alertmanager: an HA set - each instance gets the batch, delivered when one accepts") {
  TestHttpServer up, down;
  std::atomic<int> status_down{400};
  up.handle("POST", "/api/v2/alerts", {});
  down.handle("POST", "/api/v2/alerts", [&](const SeenRequest&, httplib::Response& res) {
    res.status = status_down.load();
    res.set_content("{\"code\":400,\"message\":\"bad alert\"}", "application/json");
  });
  up.start();
  down.start();
  auto both = build("      urls: [" + down.url() + ", " + up.url() + "]\n");
  auto f = both->format(std::vector<Alert>{test::small_alert("u1")});
  REQUIRE(f.ok());
  CHECK(f->payloads[0].target == down.url() + "/api/v2/alerts, " + up.url() + "/api/v2/alerts");
  CHECK(both->send(f->payloads[0]).ok());  // one 200 is enough
  REQUIRE(up.count() == 1);
  REQUIRE(down.count() == 1);
  CHECK(up.requests()[0].body == down.requests()[0].body);

  // None accepts: the instance that answered speaks (400: permanent), with every instance's failure.
  auto refused = build("      urls: [http://127.0.0.1:1, " + down.url() + "]\n      connect_timeout_ms: 500\n");
  auto r = refused->send(refused->format(std::vector<Alert>{test::small_alert("u2")})->payloads[0]);
  REQUIRE(r.failure);
  CHECK(r.failure->kind == SendFailure::Kind::kHttpStatus);
  CHECK(r.failure->http_status == 400);
  CHECK(r.failure->message.find("no instance accepted the alerts (http://127.0.0.1:1: ") == 0);
  CHECK(r.failure->message.find("HTTP 400: {\"code\":400,\"message\":\"bad alert\"}") != std::string::npos);
  auto alone = build("      url: http://127.0.0.1:1\n      connect_timeout_ms: 500\n");
  auto c = alone->send(alone->format(std::vector<Alert>{test::small_alert("u3")})->payloads[0]);
  REQUIRE(c.failure);
  CHECK(c.failure->kind == SendFailure::Kind::kConnect);
}

TEST_CASE("alertmanager: config keys and errors with file:line:col") {
  CHECK(error_of("      resolve_after: 5m\n").find("either url or urls") != std::string::npos);
  CHECK(error_of("      url: http://a\n      urls: [http://b]\n").find("either url or urls") != std::string::npos);
  CHECK(error_of("      urls: [http://a, http://a]\n").find("listed twice") != std::string::npos);
  CHECK(error_of("      urls: [http://a, \"mailto:x\"]\n").find("alertmanager.yaml:5:13") != std::string::npos);
  CHECK(error_of("      url: http://a\n      labels_from_fields: [priority]\n").find("already set") !=
        std::string::npos);
  CHECK(error_of("      url: http://a\n      labels: {severity: high}\n").find("alertmanager.yaml:6:16") !=
        std::string::npos);
  CHECK(error_of("      url: http://a\n      labels: {team: x}\n      labels_from_fields: [team]\n")
            .find("already set") != std::string::npos);
  CHECK(error_of("      url: http://a\n      labels: {\"my-team\": x}\n").find("not a label name") !=
        std::string::npos);
  CHECK(error_of("      url: http://a\n      labels: {team: \"\"}\n").find("non-empty value") != std::string::npos);
  CHECK(error_of("      url: http://a\n      labels_from_fields: [__name]\n").find("reserved") != std::string::npos);
  CHECK(error_of("      url: http://a\n      resolve_after: soon\n").find("alertmanager.yaml:6:22") != std::string::npos);
  CHECK(error_of("      url: http://a\n      annotations: {summary: x}\n").find("alertmanager.yaml:6:21") != std::string::npos);
  CHECK(error_of("      url: http://a\n      annotations: {run.book: x}\n").find("not a label name") !=
        std::string::npos);
  CHECK(error_of("      url: http://a\n      annotations: {runbook: \"{{rule\"}\n").find("alertmanager.yaml:6:") !=
        std::string::npos);
  CHECK(error_of("      url: http://a\n      severity: high\n").find("unknown key 'severity'") != std::string::npos);
}
