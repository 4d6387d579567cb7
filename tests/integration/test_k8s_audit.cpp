// The real engine with engine.k8s_audit on: EventLists posted the way kube-apiserver's webhook backend does
// (batched, gzip, bearer token) make the upstream k8s_audit_rules.yaml rules fire through the router; under a
// full queue batches get 503 and, retried, every accepted event is evaluated exactly once.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/engine/runtime/audit_samples.h"
#include "tests/integration/stack.h"

using namespace peregrine::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kUpstreamRules = fs::path(PEREGRINE_SOURCE_DIR) / "../shared/falco-rules/k8s_audit_rules.yaml";
const std::string kToken = "k8s-audit-test-token-0123456789";

json privileged_pod(const std::string& id, const std::string& name) {
  json pod{{"apiVersion", "v1"},
           {"kind", "Pod"},
           {"metadata", {{"name", name}, {"namespace", "default"}}},
           {"spec",
            {{"containers",
              {{{"name", "c"}, {"image", "docker.io/library/nginx:1.25"}, {"securityContext", {{"privileged", true}}}}}},
             {"hostNetwork", false}}}};
  json e = audit_event(id, "create", "pods", name, "default", "minikube", pod);
  e["responseObject"] = pod;
  return e;
}

// `kubectl exec`: the ResponseStarted stage of a create on the exec subresource.
json exec_event(const std::string& id, const std::string& pod) {
  json e = audit_event(id, "create", "pods", pod, "default", "alice@example.com");
  e["stage"] = "ResponseStarted";
  e["level"] = "Request";
  e["requestURI"] = "/api/v1/namespaces/default/pods/" + pod + "/exec?command=sh&container=web&stdin=true&tty=true";
  e["objectRef"]["subresource"] = "exec";
  e["responseStatus"]["code"] = 101;
  return e;
}

struct Engine {
  Process router, engine;
  Engine(const TempDir& dir, const std::string& cfg) : router(dir, "router", cfg), engine(dir, "engine", cfg) {
    router.ready();
    engine.ready();
  }
  int port() { return engine.ready().at("k8s_audit_port").get<int>(); }
};

// POSTs like the apiserver's webhook client: gzip EventList, bearer token; returns the status (0 = no answer).
int post_batch(httplib::Client& cli, std::vector<json> items, std::string* retry_after = nullptr) {
  auto r = cli.Post("/k8s-audit", {{"Authorization", "Bearer " + kToken}, {"Content-Encoding", "gzip"}},
                    gzip(event_list(std::move(items)).dump()), "application/json");
  if (!r) return 0;
  if (retry_after) *retry_after = r->get_header_value("Retry-After");
  return r->status;
}

std::string audit_config(const TempDir& dir, int queue_capacity) {
  return write_stack_config(dir, kUpstreamRules.string(),
                            "k8s_audit:\n  enabled: true\n  listen: \"127.0.0.1:0\"\n  bearer_token: \"" + kToken +
                                "\"\n  queue_capacity: " + std::to_string(queue_capacity) + "\n");
}

size_t count_rule(const std::vector<json>& alerts, const std::string& rule) {
  size_t n = 0;
  for (const auto& a : alerts) n += a.value("rule", "") == rule;
  return n;
}

}  // namespace

TEST_CASE("k8s audit webhook: upstream rules fire on gzip EventLists, with the ka.* output fields") {
  if (!fs::exists(kUpstreamRules)) PEREGRINE_SKIP(kUpstreamRules.string() << " is not present");
  TempDir dir;
  Engine e(dir, audit_config(dir, 1000));
  httplib::Client cli("127.0.0.1", e.port());
  // Without the token: 401, nothing evaluated.
  auto r = cli.Post("/k8s-audit", event_list({exec_event("x", "web-x")}).dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  REQUIRE(post_batch(cli, {privileged_pod("p-1", "priv-1"), exec_event("e-1", "web-0"),
                           audit_event("g-1", "get", "pods", "web-0", "default", "minikube")}) == 200);
  const auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return alerts_in(file).size() >= 2; }, std::chrono::seconds(20)));
  auto alerts = alerts_in(file);
  CHECK(count_rule(alerts, "Create Privileged Pod") == 1);
  CHECK(count_rule(alerts, "Attach/Exec Pod") == 1);
  for (const auto& a : alerts) {
    INFO(a.dump());
    CHECK(a["source"] == "k8s_audit");
    const auto& f = a["output_fields"];
    if (a["rule"] == "Create Privileged Pod") {
      CHECK(f["ka.user.name"] == "minikube");
      CHECK(f["ka.resp.name"] == "priv-1");
      CHECK(f["ka.target.namespace"] == "default");
      CHECK(f["ka.req.pod.containers.image"] == "(docker.io/library/nginx:1.25)");  // a list, as Falco prints it
    } else if (a["rule"] == "Attach/Exec Pod") {
      CHECK(f["ka.user.name"] == "alice@example.com");
      CHECK(f["ka.target.name"] == "web-0");
      CHECK(f["ka.target.subresource"] == "exec");
      CHECK(f["ka.uri.param[command]"] == "sh");
    }
  }
  CHECK(scrape(e.engine.admin_port(), R"(peregrine_engine_k8s_audit_requests_total{code="401"})") == 1);
  CHECK(scrape(e.engine.admin_port(), "peregrine_engine_k8s_audit_events_total") == 3);
}

TEST_CASE("k8s audit webhook: a full queue answers 503 + Retry-After, and retried each event is evaluated once") {
  if (!fs::exists(kUpstreamRules)) PEREGRINE_SKIP(kUpstreamRules.string() << " is not present");
  TempDir dir;
  Engine e(dir, audit_config(dir, 4));  // room for one batch of 3 at a time
  constexpr int kSenders = 3, kBatchesEach = 8, kPerBatch = 3;
  std::atomic<int> refused{0}, failed{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      httplib::Client cli("127.0.0.1", e.port());
      for (int b = 0; b < kBatchesEach; ++b) {
        std::vector<json> items;
        for (int i = 0; i < kPerBatch; ++i) {
          const std::string id = std::to_string(s) + "-" + std::to_string(b) + "-" + std::to_string(i);
          items.push_back(exec_event("id-" + id, "pod-" + id));
        }
        // The apiserver's webhook backend retries a refused batch with backoff; so does this sender, until an
        // overall deadline (a retry pause paces the client, it does not synchronise the test).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (;;) {
          std::string retry_after;
          const int status = post_batch(cli, items, &retry_after);
          if (status == 200) break;
          if (status != 503 || retry_after != "1" || std::chrono::steady_clock::now() > deadline) {
            ++failed;
            return;
          }
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  REQUIRE(failed == 0);
  CHECK(refused > 0);  // three senders into a queue of 4 evaluated every 200 ms: some batches must wait
  constexpr size_t kEvents = kSenders * kBatchesEach * kPerBatch;
  const auto file = dir / "alerts.jsonl";
  const int admin = e.engine.admin_port();
  REQUIRE(wait_until([&] { return scrape(admin, "peregrine_engine_events_total") >= kEvents; },
                     std::chrono::seconds(30)));
  REQUIRE(wait_until([&] { return alerts_in(file).size() >= kEvents; }, std::chrono::seconds(30)));
  CHECK(scrape(admin, "peregrine_engine_events_total") == kEvents);
  CHECK(scrape(admin, "peregrine_engine_k8s_audit_events_total") == kEvents);
  CHECK(scrape(admin, R"(peregrine_engine_k8s_audit_rejected_total{reason="queue_full"})") == refused * kPerBatch);
  CHECK(scrape(admin, R"(peregrine_engine_k8s_audit_requests_total{code="503"})") == refused);
  // Stop the engine (it flushes its alerts), then the router: nothing may arrive late or twice.
  CHECK(e.engine.stop(SIGTERM, std::chrono::seconds(20)) == 0);
  CHECK(e.router.stop(SIGTERM, std::chrono::seconds(20)) == 0);
  auto alerts = alerts_in(file);
  CHECK(alerts.size() == kEvents);
  std::set<std::string> pods;
  for (const auto& a : alerts) {
    CHECK(a["rule"] == "Attach/Exec Pod");
    pods.insert(a["output_fields"]["ka.target.name"].get<std::string>());
  }
  CHECK(pods.size() == kEvents);  // each event exactly once
}
