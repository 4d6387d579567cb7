// Loki output without a network: golden push bodies (streams by label set, entries sorted by time), labels and
// their cap, structured metadata, Loki's per-entry 400 answers, and the config keys.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/config/config.h"
#include "outputs/loki/loki_output.h"
#include "outputs/registry.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;
using nlohmann::json;

namespace {

std::unique_ptr<Output> build(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: loki\n      url: http://127.0.0.1:3100\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "loki.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  Registry reg;
  register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
  return std::move(out).value();
}

std::string error_of(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: loki\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "loki.yaml");
  REQUIRE(cfg.ok());
  Registry reg;
  register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_FALSE(out.ok());
  return out.error().message;
}

Alert at(const std::string& uuid, uint64_t t, const std::string& rule, Priority p = Priority::kWarning) {
  Alert a = test::small_alert(uuid, p, rule);
  a.time_ns = t;
  return a;
}

}  // namespace

TEST_CASE("loki: golden push - one stream per label set, entries sorted by time, the Falco JSON as the line") {
  auto out = build("");
  auto a = test::sample_alert();
  auto f = out->format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  const auto& p = f->payloads[0];
  const std::string line =
      R"J({"hostname":"node-1","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","k8s.ns.name":null,"user.name":"root"},"priority":"Error","rule":"Write below binary dir","source":"syscall","tags":["filesystem","mitre_persistence"],"time":"2019-05-17T15:31:56.746609046Z","uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"})J";
  CHECK(p.body ==
        std::string(R"({"streams":[{"stream":{"hostname":"node-1","priority":"Error","rule":"Write below binary dir","source":"syscall"},"values":[["1558107116746609046",)") +
            json(line).dump() + "]]}]}");
  auto j = json::parse(p.body);
  REQUIRE(j["streams"].size() == 1);
  CHECK(j["streams"][0]["stream"] == json{{"hostname", "node-1"}, {"priority", "Error"}, {"rule", "Write below binary dir"},
                                          {"source", "syscall"}});
  const auto& v = j["streams"][0]["values"][0];
  CHECK(v[0] == "1558107116746609046");
  CHECK(json::parse(v[1].get<std::string>()) == json(a));  // the Falco JSON alert, tags sorted
  CHECK(v.size() == 2);  // no structured metadata by default
  CHECK(p.url == "http://127.0.0.1:3100/loki/api/v1/push");
  CHECK(p.content_type == "application/json");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(p.item_ids == std::vector<std::string>{"1558107116746609046"});

  const std::string golden =
      R"({"streams":[{"stream":{"hostname":"h","priority":"Warning","rule":"A","source":"syscall"},"values":[["100","2026-12-04T00:00:00.000000100Z: Warning out u1"],["300","2026-12-04T00:00:00.000000300Z: Warning out u3"]]},{"stream":{"hostname":"h","priority":"Warning","rule":"B","source":"syscall"},"values":[["200","2026-12-04T00:00:00.000000200Z: Warning out u2"]]}]})";
  auto text = build("      line: text\n");
  const uint64_t base = *parse_rfc3339_ns("2026-12-04T00:00:00Z");
  auto g = text->format(std::vector<Alert>{at("u3", base + 300, "A"), at("u2", base + 200, "B"), at("u1", base + 100, "A")});
  REQUIRE(g.ok());
  auto body = json::parse(g->payloads[0].body);
  for (auto& s : body["streams"])
    for (auto& e : s["values"]) e[0] = std::to_string(std::stoull(e[0].get<std::string>()) - base);
  CHECK(body.dump() == golden);
  CHECK(g->payloads[0].items == std::vector<size_t>{2, 0, 1});
}

TEST_CASE("loki: k8s labels, extra labels from output fields, tenant header, structured metadata") {
  auto out = build("      tenant: team-a\n      labels: [rule, priority, tags]\n      extra_labels: [proc.name]\n"
                   "      structured_metadata: [uuid, fd.name]\n");
  auto a = test::sample_alert();
  a.output_fields["k8s.ns.name"] = std::string("payments");
  a.output_fields["k8s.pod.name"] = std::string("api-1");
  a.output_fields["proc.name"] = std::string("bash");
  auto f = out->format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  const auto& p = f->payloads[0];
  CHECK(p.headers == std::vector<std::pair<std::string, std::string>>{{"X-Scope-OrgID", "team-a"}});
  auto j = json::parse(p.body);
  CHECK(j["streams"][0]["stream"] == json{{"k8s_ns_name", "payments"}, {"k8s_pod_name", "api-1"},
                                          {"priority", "Error"}, {"proc_name", "bash"},
                                          {"rule", "Write below binary dir"}, {"tags", "filesystem,mitre_persistence"}});
  CHECK(j["streams"][0]["values"][0][2] == json{{"fd_name", "/bin/hack"}, {"uuid", a.uuid}});
}

TEST_CASE("loki: label names are made valid and the number of values per label is capped") {
  CHECK(loki_label_name("container.name") == "container_name");
  CHECK(loki_label_name("proc.aname[2]") == "proc_aname_2_");
  CHECK(loki_label_name("9lives") == "_9lives");
  auto out = build("      max_label_values: 2\n");
  std::vector<Alert> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(at("u" + std::to_string(i), 1000 + i, "rule-" + std::to_string(i)));
  auto f = out->format(batch);
  REQUIRE(f.ok());
  std::set<std::string> rules;
  const auto body = json::parse(f->payloads[0].body);
  for (const auto& s : body["streams"]) rules.insert(s["stream"]["rule"].get<std::string>());
  CHECK(rules == std::set<std::string>{"rule-0", "rule-1", "other"});
  metrics::Registry reg;
  out->register_metrics(reg);
  CHECK(reg.render().find("peregrine_router_loki_label_values_capped_total{output=\"loki\"} 2") != std::string::npos);
  // A value admitted once stays itself (a retry formats the same streams).
  auto again = out->format(std::vector<Alert>{at("u0", 1000, "rule-0")});
  CHECK(json::parse(again->payloads[0].body)["streams"][0]["stream"]["rule"] == "rule-0");
}

TEST_CASE("loki: pushes are split by max_push_bytes, every item kept once") {
  auto out = build("      max_push_bytes: 4096\n");
  std::vector<Alert> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(at("u" + std::to_string(i), 1000 + i, i % 2 ? "A" : "B"));
  auto f = out->format(batch);
  REQUIRE(f.ok());
  CHECK(f->payloads.size() > 1);
  std::multiset<size_t> all;
  for (const auto& p : f->payloads) {
    CHECK(p.body.size() <= 4096 + 1024);
    all.insert(p.items.begin(), p.items.end());
    size_t values = 0;
    const auto body = json::parse(p.body);
    for (const auto& s : body["streams"]) values += s["values"].size();
    CHECK(values == p.items.size());
  }
  CHECK(all.size() == 30);
  CHECK(std::set<size_t>(all.begin(), all.end()).size() == 30);
}

TEST_CASE("loki: a 400 naming entries fails exactly those, by their timestamps") {
  const uint64_t ten = *parse_rfc3339_ns("2026-12-04T10:00:00Z");
  CHECK(parse_go_time("2026-12-04 10:00:00 +0000 UTC") == ten);
  CHECK(parse_go_time("2026-12-04 10:00:00.5 +0000 UTC") == ten + 500'000'000);
  CHECK(parse_go_time("2026-12-04 11:00:00.000000007 +0100 CET") == ten + 7);
  CHECK(parse_go_time("yesterday") == 0);
  Payload p;
  p.items = {4, 5, 6};
  p.item_ids = {std::to_string(ten), std::to_string(ten + 500'000'000), std::to_string(ten + 1'000'000'000)};
  const std::string body =
      "entry with timestamp 2026-12-04 10:00:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp "
      "is: 2026-12-04T10:00:00Z, oldest acceptable timestamp is: 2026-12-04T11:00:00Z' for stream: {rule=\"x\"},\n"
      "entry with timestamp 2026-12-04 10:00:00.5 +0000 UTC ignored, reason: 'entry out of order' for stream: {},\n"
      "total ignored: 2 out of 3";
  auto f = loki_rejected_entries(body, p);
  REQUIRE(f.size() == 2);
  CHECK(f[0].first == 4);
  CHECK(f[0].second.http_status == 400);
  CHECK(f[0].second.message.find("entry too far behind") != std::string::npos);
  CHECK(f[1].first == 5);
  CHECK(loki_rejected_entries("error at least one label pair is required per stream", p).empty());
}

TEST_CASE("loki: config keys and errors with positions") {
  auto out = build("      path: /insert/loki/api/v1/push\n      compression: gzip\n");
  auto f = out->format(std::vector<Alert>{test::sample_alert()});
  CHECK(f->payloads[0].url == "http://127.0.0.1:3100/insert/loki/api/v1/push");
  CHECK(error_of("      labels: [rule]\n").find("key 'url' in section") != std::string::npos);
  CHECK(error_of("      url: http://h\n      labels: [proc.name]\n").find("extra_labels") != std::string::npos);
  CHECK(error_of("      url: http://h\n      path: push\n").find("loki.yaml:5:") != std::string::npos);
  CHECK(error_of("      url: http://h\n      line: xml\n").find("json") != std::string::npos);
  CHECK(error_of("      url: http://h\n      extra_labels: [a, b, c, d, e, f, g, h, i, j]\n").find("15 labels") !=
        std::string::npos);
}
