// The alertmanager output through the real router against real Alertmanagers (tests/receivers): the alerts
// listed by GET /api/v2/alerts with their labels and annotations, endsAt from resolve_after, and an HA set where
// every running instance gets every alert while a dead one is tolerated.
#include <doctest/doctest.h>

#include <chrono>

#include "common/alert.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Alert times near now: Alertmanager lists no alert whose endsAt has passed.
std::string now_rfc3339() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  return peregrine::format_rfc3339_ns(static_cast<uint64_t>(ns.count()));
}

// The alerts Alertmanager lists, by alertname.
std::map<std::string, json> listed(int port) {
  std::map<std::string, json> out;
  const auto r = http_get(port, "/api/v2/alerts");
  if (r.status != 200) return out;
  for (const auto& a : json::parse(r.body)) out[a["labels"]["alertname"]] = a;
  return out;
}

uint64_t ns_of(const json& t) { return *peregrine::parse_rfc3339_ns(t.get<std::string>()); }

}  // namespace

TEST_CASE("alertmanager: the real Alertmanager lists the alerts with their labels, annotations and endsAt") {
  if (auto why = Receiver::unavailable("alertmanager"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver am("alertmanager", dir / "am");
  RouterRig router(dir, "    - type: alertmanager\n"
                        "      name: am\n"
                        "      url: " + am.url() + "\n"
                        "      labels_from_fields: [container.name, proc.name]\n"
                        "      description: \"{{rule}} on {{hostname}} by {{proc.name}}\"\n"
                        "      annotations: {runbook_url: \"https://runbooks.example/{{rule}}\"}\n"
                        "      generator_url: \"https://siem.example/alerts/{{uuid}}\"\n"
                        "      resolve_after: 10m\n");
  auto shell = falco_alert(test_uuid("am", 1), "Terminal shell in container", now_rfc3339(), "Critical");
  shell["output_fields"]["container.name"] = "web";
  const auto file = falco_alert(test_uuid("am", 2), "Read sensitive file", now_rfc3339(), "Notice");
  REQUIRE(router.post({shell, file}) == 200);
  std::map<std::string, json> got;
  REQUIRE_MESSAGE(wait_until([&] { return (got = listed(am.port())).size() == 2; }, 30s), router.log());
  const auto& s = got["Terminal shell in container"];
  CHECK(s["labels"] == json{{"alertname", "Terminal shell in container"}, {"container_name", "web"},
                            {"hostname", "it-host"}, {"priority", "Critical"}, {"proc_name", "bash"},
                            {"severity", "critical"}, {"source", "syscall"}});
  CHECK(s["annotations"] == json{{"description", "Terminal shell in container on it-host by bash"},
                                 {"runbook_url", "https://runbooks.example/Terminal shell in container"},
                                 {"summary", shell["output"]}});
  CHECK(s["generatorURL"] == "https://siem.example/alerts/" + shell["uuid"].get<std::string>());
  CHECK(s["status"]["state"] == "active");
  // Alertmanager keeps milliseconds: endsAt is startsAt + 10 min within 1 ms.
  const int64_t span = static_cast<int64_t>(ns_of(s["endsAt"]) - ns_of(s["startsAt"]));
  CHECK(std::llabs(span - 600'000'000'000LL) < 1'000'000);
  CHECK(std::llabs(static_cast<int64_t>(ns_of(s["startsAt"]) - ns_of(shell["time"]))) < 1'000'000);
  CHECK(got["Read sensitive file"]["labels"]["severity"] == "info");
  CHECK_FALSE(got["Read sensitive file"]["labels"].contains("container_name"));  // absent field: no label
  CHECK(router.counter("peregrine_router_output_delivered_total", "am") == 2);
  CHECK(router.dead_letters().empty());
}

TEST_CASE("alertmanager: an HA set - both running instances list every alert, a dead third one is tolerated") {
  if (auto why = Receiver::unavailable("alertmanager"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver am0("alertmanager", dir / "am0");
  Receiver am1("alertmanager", dir / "am1");
  RouterRig router(dir, "    - type: alertmanager\n"
                        "      name: am\n"
                        "      urls: [" + am0.url() + ", http://127.0.0.1:1, " + am1.url() + "]\n"
                        "      connect_timeout_ms: 500\n");
  std::vector<json> alerts;
  for (int i = 0; i < 3; ++i)
    alerts.push_back(falco_alert(test_uuid("ha", i), "HA rule " + std::to_string(i), now_rfc3339(), "Warning"));
  REQUIRE(router.post(alerts) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "am") == 3; }, 20s),
                  router.log());
  for (int port : {am0.port(), am1.port()}) {
    std::map<std::string, json> got;
    CHECK(wait_until([&] { return (got = listed(port)).size() == 3; }, 10s));
    CHECK(got["HA rule 1"]["labels"]["severity"] == "warning");
    // No resolve_after: Alertmanager sets endsAt itself (now + its resolve_timeout).
    CHECK(ns_of(got["HA rule 1"]["endsAt"]) > ns_of(got["HA rule 1"]["startsAt"]));
  }
  CHECK(router.counter("peregrine_router_output_retried_total", "am") == 0);
  CHECK(router.dead_letters().empty());
}
