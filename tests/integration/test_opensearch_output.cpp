// The opensearch output against a real OpenSearch 2.19 node (tests/receivers, started here on 127.0.0.1):
// documents by uuid, the index template in force, resends without duplicates, a rejected item dead-lettered
// alone, a 30 s outage, kill -9 of the router, a hung receiver beside a healthy output, and Retry-After.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "tests/integration/router_rig.h"
#include "tests/support/http_server.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A small client for the node's REST API.
struct Node {
  int port;
  json call(const std::string& method, const std::string& path, const std::string& body = "") const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30s);
    httplib::Result r = method == "GET"   ? c.Get(path)
                        : method == "PUT" ? c.Put(path, body, "application/json")
                                          : c.Post(path, body, "application/json");
    if (!r) return json{{"_transport_error", true}};
    return json::parse(r->body, nullptr, false);
  }
  int64_t count(const std::string& index = "peregrine-*") const {
    call("POST", "/" + index + "/_refresh");
    auto j = call("GET", "/" + index + "/_count");
    return j.is_object() && j.contains("count") ? j["count"].get<int64_t>() : -1;
  }
  /// uuid → number of documents with it (terms aggregation on the keyword field).
  std::map<std::string, int64_t> per_uuid(const std::string& index = "peregrine-*") const {
    call("POST", "/" + index + "/_refresh");
    auto j = call("POST", "/" + index + "/_search",
                  R"({"size":0,"aggs":{"u":{"terms":{"field":"uuid","size":10000}}}})");
    std::map<std::string, int64_t> out;
    for (const auto& b : j["aggregations"]["u"]["buckets"]) out[b["key"]] = b["doc_count"];
    return out;
  }
};

std::string os_output(int port, const std::string& extra = "") {
  return "    - type: opensearch\n"
         "      name: os\n"
         "      url: http://127.0.0.1:" + std::to_string(port) + "\n"
         "      template: {replicas: 0}\n"
         "      delivery: {linger_ms: 20, max_backoff_ms: 1000}\n" + extra;
}

std::vector<json> alerts(const std::string& prefix, int n, const std::string& rule = "Test rule") {
  std::vector<json> v;
  for (int i = 0; i < n; ++i) v.push_back(falco_alert(test_uuid(prefix, i), rule));
  return v;
}

}  // namespace

TEST_CASE("opensearch: alerts are searchable by uuid with the template's mappings, and a resent batch adds nothing") {
  if (auto why = Receiver::unavailable("opensearch"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver os("opensearch", dir / "os");
  Node node{os.port()};
  RouterRig router(dir, os_output(os.port()));
  auto batch = alerts("first", 50);
  batch[7]["output_fields"]["container.image"] = "nginx";
  batch[7]["output_fields"]["container.image.repository"] = "docker.io/nginx";  // object/leaf clash unflattened
  REQUIRE(router.post(batch) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return node.count() == 50; }, 30s), router.log());

  const std::string uuid = batch[3]["uuid"];
  auto doc = node.call("GET", "/peregrine-2026.01.15/_doc/" + uuid);
  REQUIRE(doc["found"] == true);
  CHECK(doc["_source"]["rule"] == "Test rule");
  CHECK(doc["_source"]["@timestamp"] == "2026-01-15T10:00:00.000000001Z");
  CHECK(doc["_source"]["output_fields"]["proc_name"] == "bash");
  CHECK(doc["_source"]["output_fields"]["proc_pid"] == "4242");
  auto hit = node.call("POST", "/peregrine-*/_search", R"({"query":{"term":{"uuid":")" + uuid + R"("}}})");
  CHECK(hit["hits"]["total"]["value"] == 1);

  auto mapping = node.call("GET", "/peregrine-2026.01.15/_mapping")["peregrine-2026.01.15"]["mappings"];
  CHECK(mapping["properties"]["@timestamp"]["type"] == "date_nanos");
  CHECK(mapping["properties"]["rule"]["type"] == "keyword");
  CHECK(mapping["properties"]["uuid"]["type"] == "keyword");
  CHECK(mapping["properties"]["output"]["type"] == "text");
  CHECK(mapping["properties"]["output_fields"]["properties"]["proc_pid"]["type"] == "keyword");
  CHECK(mapping["properties"]["output_fields"]["properties"]["container_image_repository"]["type"] == "keyword");
  CHECK(node.call("GET", "/_index_template/peregrine")["index_templates"][0]["name"] == "peregrine");

  // The same alerts through another router (its own queue, so no dedup): create answers 409, nothing is added.
  RouterRig again(dir, os_output(os.port()), "queue2");
  REQUIRE(again.post(batch) == 200);
  REQUIRE(wait_until([&] { return again.counter("peregrine_router_output_delivered_total", "os") == 50; }, 30s));
  CHECK(node.count() == 50);
  CHECK(again.dead_letters().empty());
  const auto per = node.per_uuid();
  CHECK(per.size() == 50);
  for (const auto& [u, n] : per) CHECK_MESSAGE(n == 1, u);
}

TEST_CASE("opensearch: an item the node rejects is dead-lettered with its reason while its neighbours are indexed") {
  if (auto why = Receiver::unavailable("opensearch"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver os("opensearch", dir / "os");
  Node node{os.port()};
  // The index exists with fd_name as a number: an alert whose fd.name is a path cannot be indexed there.
  auto created = node.call("PUT", "/peregrine-2026.01.15",
                           R"({"settings":{"number_of_replicas":0},
                               "mappings":{"properties":{"output_fields":{"properties":{"fd_name":{"type":"long"}}}}}})");
  REQUIRE_MESSAGE(created.value("acknowledged", false), created.dump());
  RouterRig router(dir, os_output(os.port()));
  auto batch = alerts("conflict", 3);
  batch[1]["output_fields"]["fd.name"] = "/etc/shadow";
  REQUIRE(router.post(batch) == 200);
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_failed_total", "os") == 1; }, 30s));
  REQUIRE(wait_until([&] { return node.count() == 2; }, 10s));
  CHECK(router.counter("peregrine_router_output_delivered_total", "os") == 2);
  auto dead = router.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["output"] == "os");
  CHECK(dead[0]["alert"]["uuid"] == batch[1]["uuid"]);
  const std::string reason = dead[0]["reason"];
  CHECK_MESSAGE(reason.find("HTTP 400") != std::string::npos, reason);
  CHECK_MESSAGE(reason.find("mapper_parsing_exception") != std::string::npos, reason);
  CHECK(node.call("GET", "/peregrine-2026.01.15/_doc/" + batch[0]["uuid"].get<std::string>())["found"] == true);
  CHECK(node.call("GET", "/peregrine-2026.01.15/_doc/" + batch[2]["uuid"].get<std::string>())["found"] == true);
}

TEST_CASE("opensearch: stopped for 30 s then restarted - every alert is indexed exactly once") {
  if (auto why = Receiver::unavailable("opensearch"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  auto os = std::make_unique<Receiver>("opensearch", dir / "os");
  const int port = os->port();
  RouterRig router(dir, os_output(port));
  REQUIRE(router.post(alerts("before", 20)) == 200);
  REQUIRE(wait_until([&] { return Node{port}.count() == 20; }, 30s));

  REQUIRE(os->stop() == 0);
  const auto down_at = std::chrono::steady_clock::now();
  for (int round = 0; round < 10; ++round) REQUIRE(router.post(alerts("during" + std::to_string(round), 10)) == 200);
  // The outage itself is the scenario (30 s, as an operator's restart of the node): the router keeps retrying.
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_retried_total", "os") > 0; }, 30s));
  std::this_thread::sleep_until(down_at + 30s);
  CHECK(router.counter("peregrine_router_output_delivered_total", "os") == 20);
  os = std::make_unique<Receiver>("opensearch", dir / "os", std::vector<std::string>{"--http-port", std::to_string(port)});
  Node node{port};
  REQUIRE_MESSAGE(wait_until([&] { return node.count() == 120; }, 60s), router.log());
  const auto per = node.per_uuid();
  CHECK(per.size() == 120);
  for (const auto& [u, n] : per) CHECK_MESSAGE(n == 1, u);
  CHECK(router.dead_letters().empty());
}

TEST_CASE("opensearch: kill -9 of the router mid-stream, restart: nothing lost, nothing duplicated") {
  if (auto why = Receiver::unavailable("opensearch"); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  Receiver os("opensearch", dir / "os");
  Node node{os.port()};
  RouterRig router(dir, os_output(os.port(), "      max_bulk_bytes: 16KiB\n"), "queue",
                   "");
  std::vector<json> all;
  for (int round = 0; round < 20; ++round) {
    auto b = alerts("kill" + std::to_string(round), 100);
    REQUIRE(router.post(b) == 200);  // acknowledged = on disk
    all.insert(all.end(), b.begin(), b.end());
  }
  // Mid-stream: some, not all, delivered.
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "os") > 0; }, 30s));
  const double at_kill = router.counter("peregrine_router_output_delivered_total", "os");
  REQUIRE(router.process().stop(SIGKILL, 10s) == 128 + SIGKILL);
  MESSAGE("killed with " << at_kill << " of 2000 delivered");
  router.restart();
  REQUIRE_MESSAGE(wait_until([&] { return node.count() == 2000; }, 60s), router.log());
  const auto per = node.per_uuid();
  CHECK(per.size() == 2000);
  for (const auto& a : all) CHECK(per.count(a["uuid"]) == 1);
  for (const auto& [u, n] : per) CHECK_MESSAGE(n == 1, u);
  CHECK(router.dead_letters().empty());
}

TEST_CASE("opensearch: a receiver that accepts TCP and never answers does not delay another output") {
  SilentServer hung;
  TempDir dir;
  const auto file = dir / "alerts.jsonl";
  RouterRig router(dir,
                   "    - type: opensearch\n"
                   "      name: hung\n"
                   "      url: http://127.0.0.1:" + std::to_string(hung.port()) + "\n"
                   "      timeout_ms: 10000\n"
                   "      template: {install: false}\n"
                   "      delivery: {linger_ms: 0}\n"
                   "    - type: file\n"
                   "      name: file\n"
                   "      path: " + file.string() + "\n");
  REQUIRE(router.post({falco_alert(test_uuid("hung", 1))}) == 200);
  const auto posted = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return read_lines(file).size() == 1; }, 5s));
  const auto took = std::chrono::steady_clock::now() - posted;
  CHECK(took < 1s);
  CHECK(wait_until([&] { return hung.accepted() >= 1; }, 5s));  // the hung output really was trying
  MESSAGE("file output got the alert "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
          << " ms after the POST while the other output's request hung");
}

TEST_CASE("opensearch: a 429 with Retry-After: 2 holds the next request for 2 s") {
  TestHttpServer fake;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> at;
  fake.handle("POST", "/_bulk", [&](const SeenRequest&, httplib::Response& res) {
    std::lock_guard lk(mu);
    at.push_back(std::chrono::steady_clock::now());
    if (at.size() == 1) {
      res.status = 429;
      res.set_header("Retry-After", "2");
      res.set_content(R"({"error":"too many requests"})", "application/json");
    } else {
      res.set_content(R"({"errors":false})", "application/json");
    }
  });
  fake.start();
  TempDir dir;
  RouterRig router(dir, "    - type: opensearch\n"
                        "      name: os\n"
                        "      url: " + fake.url() + "\n"
                        "      template: {install: false}\n"
                        "      delivery: {linger_ms: 0, initial_backoff_ms: 10}\n");
  REQUIRE(router.post({falco_alert(test_uuid("429", 1))}) == 200);
  REQUIRE(fake.wait_requests(2, 20s));
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "os") == 1; }, 10s));
  std::lock_guard lk(mu);
  const auto gap = at[1] - at[0];
  CHECK(gap >= 2s);
  CHECK(gap < 10s);
  MESSAGE("retry after " << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
}
