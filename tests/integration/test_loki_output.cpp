// The loki output against VictoriaLogs' Loki push API (a real server, tests/receivers) for streams, labels and
// lines, and against a fake that answers as Loki does for what VictoriaLogs lacks: the per-entry 400
// ("entry too far behind") and 429 with Retry-After.
#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "outputs/http/http_client.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http_server.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// LogsQL query → one JSON object per matching entry.
std::vector<json> logsql(int port, const std::string& query) {
  http_get(port, "/internal/force_flush");
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/select/logsql/query", httplib::Params{{"query", query}});
  std::vector<json> out;
  if (!r || r->status != 200) return out;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("loki: alerts pushed to VictoriaLogs come back with their stream labels and the Falco JSON line") {
  if (auto why = Receiver::unavailable("victorialogs"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver vl("victorialogs", dir / "vl");
  RouterRig router(dir, "    - type: loki\n"
                        "      name: loki\n"
                        "      url: " + vl.url() + "\n"
                        "      path: /insert/loki/api/v1/push\n"
                        "      extra_labels: [proc.name]\n"
                        "      line: text\n"
                        "      structured_metadata: [uuid]\n"
                        "      compression: gzip\n"
                        "      delivery: {linger_ms: 20}\n");
  std::vector<json> batch;
  for (int i = 0; i < 6; ++i)
    batch.push_back(falco_alert(test_uuid("vl", i), i % 2 ? "Shell spawned" : "Read sensitive file",
                                "2026-01-15T10:00:0" + std::to_string(i) + ".000000001Z", i % 2 ? "Critical" : "Warning"));
  REQUIRE(router.post(batch) == 200);
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "loki") == 6; }, 30s));
  std::vector<json> got;
  REQUIRE(wait_until([&] { return (got = logsql(vl.port(), R"({rule="Shell spawned"})")).size() == 3; }, 10s));
  std::set<std::string> uuids;
  for (const auto& e : got) {
    INFO(e.dump());
    CHECK(e["_stream"] ==
          R"({hostname="it-host",priority="Critical",proc_name="bash",rule="Shell spawned",source="syscall"})");
    const std::string msg = e["_msg"];
    CHECK(msg.find(": Critical Shell spawned (proc.name=bash uuid=") != std::string::npos);
    uuids.insert(e["uuid"].get<std::string>());
  }
  CHECK(uuids == std::set<std::string>{batch[1]["uuid"], batch[3]["uuid"], batch[5]["uuid"]});
  CHECK(logsql(vl.port(), R"({rule="Read sensitive file",priority="Warning"})").size() == 3);
  CHECK(router.dead_letters().empty());
  REQUIRE(has_promtool());
  CHECK(promtool_check(router.metrics()) == "");  // the per-output histograms and the Loki label cap included
}

TEST_CASE("loki: the JSON line is the Falco alert") {
  if (auto why = Receiver::unavailable("victorialogs"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver vl("victorialogs", dir / "vl");
  RouterRig router(dir, "    - type: loki\n      name: loki\n      url: " + vl.url() +
                            "\n      path: /insert/loki/api/v1/push\n      delivery: {linger_ms: 0}\n");
  const auto a = falco_alert(test_uuid("json", 1), "Json line rule");
  REQUIRE(router.post({a}) == 200);
  std::vector<json> got;
  REQUIRE(wait_until([&] { return (got = logsql(vl.port(), R"({rule="Json line rule"})")).size() == 1; }, 30s));
  // VictoriaLogs splits a JSON line into fields: the alert's keys come back as fields of the entry.
  CHECK(got[0]["uuid"] == a["uuid"]);
  CHECK(got[0]["output"] == a["output"]);
  CHECK(got[0]["output_fields.proc.name"] == "bash");
}

TEST_CASE("loki: a 400 'entry too far behind' dead-letters that entry with Loki's reason, and 429 is retried") {
  TestHttpServer fake;  // answers as Loki does: 429 once, then 400 for entries before the cutoff, 204 otherwise
  const uint64_t cutoff = *peregrine::parse_rfc3339_ns("2026-01-15T09:00:00Z");
  std::mutex mu;
  std::vector<std::string> stored;
  int pushes = 0;
  fake.handle("POST", "/loki/api/v1/push", [&](const SeenRequest& req, httplib::Response& res) {
    std::lock_guard lk(mu);
    if (++pushes == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content("ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec)", "text/plain");
      return;
    }
    std::string errors;
    int ignored = 0, total = 0;
    const json push = json::parse(req.body);
    for (const auto& s : push["streams"])
      for (const auto& v : s["values"]) {
        ++total;
        const uint64_t ts = std::stoull(v[0].get<std::string>());
        if (ts < cutoff) {
          ++ignored;
          errors += "entry with timestamp 2026-01-15 08:00:00 +0000 UTC ignored, reason: 'entry too far behind, "
                    "entry timestamp is: 2026-01-15T08:00:00Z, oldest acceptable timestamp is: 2026-01-15T09:00:00Z'"
                    " for stream: {rule=\"Old\"},\n";
        } else {
          stored.push_back(v[1]);
        }
      }
    if (ignored) {
      res.status = 400;
      res.set_content(errors + "user 'fake', total ignored: " + std::to_string(ignored) + " out of " +
                          std::to_string(total),
                      "text/plain");
    } else {
      res.status = 204;
    }
  });
  fake.start();
  TempDir dir;
  RouterRig router(dir, "    - type: loki\n      name: loki\n      url: " + fake.url() +
                            "\n      delivery: {linger_ms: 50, initial_backoff_ms: 10}\n");
  const auto old_alert = falco_alert(test_uuid("old", 1), "Old", "2026-01-15T08:00:00Z");
  const auto new_alert = falco_alert(test_uuid("new", 1), "New", "2026-01-15T10:00:00Z");
  REQUIRE(router.post({old_alert, new_alert}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.counter("peregrine_router_output_failed_total", "loki") == 1; }, 20s),
                  router.log());
  CHECK(router.counter("peregrine_router_output_delivered_total", "loki") == 1);
  CHECK(router.counter("peregrine_router_output_retried_total", "loki") == 2);  // both, after the 429
  auto dead = router.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["alert"]["uuid"] == old_alert["uuid"]);
  CHECK(dead[0]["reason"].get<std::string>().find("entry too far behind") != std::string::npos);
  std::lock_guard lk(mu);
  CHECK(pushes == 2);
  REQUIRE(stored.size() == 1);
  CHECK(json::parse(stored[0])["uuid"] == new_alert["uuid"]);
}
