// OpenSearch output without a network: golden _bulk bodies, index names from the alert's time, the index
// template, per-item result parsing, and the config keys (good, and bad with file:line:col).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/config/config.h"
#include "outputs/opensearch/opensearch_output.h"
#include "outputs/registry.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;
using nlohmann::json;

namespace {

std::unique_ptr<Output> build(const std::string& keys, const std::string& type = "opensearch") {
  std::string text = "router:\n  outputs:\n    - type: " + type + "\n      name: os\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "os.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  Registry reg;
  register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
  return std::move(out).value();
}

std::string error_of(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: opensearch\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "os.yaml");
  REQUIRE(cfg.ok());
  Registry reg;
  register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_FALSE(out.ok());
  return out.error().message;
}

const char* kGoldenDoc =
    R"J({"@timestamp":"2019-05-17T15:31:56.746609046Z","hostname":"node-1","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","output_fields":{"evt_time":"1558107116746609046","fd_name":"/bin/hack","k8s_ns_name":null,"user_name":"root"},"priority":"Error","rule":"Write below binary dir","source":"syscall","tags":["filesystem","mitre_persistence"],"time":"2019-05-17T15:31:56.746609046Z","uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"})J";

}  // namespace

TEST_CASE("opensearch: golden _bulk body, one create per alert with _id = uuid and a daily index") {
  auto out = build("      url: http://127.0.0.1:9200/prefix/\n");
  const std::vector<Alert> batch{test::sample_alert()};
  auto f = out->format(batch);
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  const auto& p = f->payloads[0];
  CHECK(p.body == std::string(R"({"create":{"_id":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f","_index":"peregrine-2019.05.17"}})") +
                      "\n" + kGoldenDoc + "\n");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(p.content_type == "application/x-ndjson");
  CHECK(p.url == "http://127.0.0.1:9200/prefix/_bulk?filter_path=errors%2citems.%2a.status%2citems.%2a.error");
  CHECK(p.target == "http://127.0.0.1:9200/prefix/_bulk");
  CHECK(f->set_aside.empty());
}

TEST_CASE("opensearch: op_type index, object fields, pipeline and refresh, a data stream") {
  auto a = test::sample_alert();
  auto idx = build("      url: http://h:9200\n      op_type: index\n      output_fields: object\n"
                   "      index: alerts-%Y.%m\n      pipeline: geo ip\n      refresh: wait_for\n");
  auto f = idx->format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  const auto body = f->payloads[0].body;
  CHECK(body.rfind(R"({"index":{"_id":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f","_index":"alerts-2019.05"}})", 0) == 0);
  auto doc = json::parse(body.substr(body.find('\n') + 1));
  CHECK(doc["output_fields"]["fd.name"] == "/bin/hack");
  CHECK(doc["output_fields"]["evt.time"] == 1558107116746609046);  // as sent
  CHECK(f->payloads[0].url.find("pipeline=geo+ip") != std::string::npos);
  CHECK(f->payloads[0].url.find("refresh=wait_for") != std::string::npos);

  auto ds = build("      url: http://h:9200\n      data_stream: peregrine-alerts\n");
  auto g = ds->format(std::vector<Alert>{a});
  REQUIRE(g.ok());
  CHECK(g->payloads[0].body.rfind(R"({"create":{"_id":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f","_index":"peregrine-alerts"}})", 0) == 0);
}

TEST_CASE("opensearch: index names from the alert's time, in UTC") {
  const uint64_t t = 1'764'892'800'000'000'000ull + 3'600'000'000'000ull * 7;  // 2025-12-05 07:00 UTC
  CHECK(index_for("peregrine-%Y.%m.%d", t) == "peregrine-2025.12.05");
  CHECK(index_for("peregrine-%Y.%m", t) == "peregrine-2025.12");
  CHECK(index_for("peregrine-%Y", t) == "peregrine-2025");
  CHECK(index_for("peregrine-%Y.%m.%d.%H", t) == "peregrine-2025.12.05.07");
  CHECK(index_for("peregrine", t) == "peregrine");
  CHECK(index_for("a%%b", t) == "a%b");
  CHECK(index_glob("peregrine-%Y.%m.%d") == "peregrine-*");
  CHECK(index_glob("peregrine") == "peregrine");
}

TEST_CASE("opensearch: large batches are split into several _bulk requests by max_bulk_bytes") {
  auto out = build("      url: http://h:9200\n      max_bulk_bytes: 4096\n");
  std::vector<Alert> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(test::small_alert("u" + std::to_string(i)));
  auto f = out->format(batch);
  REQUIRE(f.ok());
  CHECK(f->payloads.size() > 1);
  std::vector<size_t> all;
  for (const auto& p : f->payloads) {
    CHECK(p.body.size() <= 4096);
    all.insert(all.end(), p.items.begin(), p.items.end());
  }
  CHECK(all.size() == 20);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == i);
}

TEST_CASE("opensearch: the index template maps the alert keys and keeps output_fields conflict-free") {
  OpenSearchConfig c;
  c.template_replicas = 0;
  auto t = json::parse(index_template_json(c));
  CHECK(t["index_patterns"] == json::array({"peregrine-*"}));
  CHECK(t["template"]["settings"]["number_of_replicas"] == 0);
  const auto& props = t["template"]["mappings"]["properties"];
  CHECK(props["@timestamp"]["type"] == "date_nanos");
  CHECK(props["time"]["type"] == "date_nanos");
  for (const char* k : {"rule", "priority", "source", "hostname", "tags", "uuid"}) CHECK(props[k]["type"] == "keyword");
  CHECK(props["output"]["type"] == "text");
  const auto& dyn = t["template"]["mappings"]["dynamic_templates"][0]["output_fields_as_keywords"];
  CHECK(dyn["path_match"] == "output_fields.*");
  CHECK(dyn["mapping"]["type"] == "keyword");
  CHECK_FALSE(t.contains("data_stream"));
  c.data_stream = "peregrine-alerts";
  CHECK(json::parse(index_template_json(c))["data_stream"] == json::object());
}

TEST_CASE("opensearch: per-item results - 409 on create is delivered, 429/5xx retried, 4xx rejected with reason") {
  const std::string body = R"({"errors":true,"items":[
    {"create":{"status":201}},
    {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}},
    {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}},
    {"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [time]",
               "caused_by":{"type":"illegal_argument_exception","reason":"bad date"}}}},
    {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}]})";
  auto r = bulk_item_results(body, {10, 11, 12, 13, 14}, true);
  REQUIRE(r.ok());
  REQUIRE(r->item_failures.size() == 3);
  CHECK(r->item_failures[0].first == 12);
  CHECK(r->item_failures[0].second.http_status == 429);
  CHECK(r->item_failures[1].first == 13);
  CHECK(r->item_failures[1].second.http_status == 400);
  CHECK(r->item_failures[1].second.message ==
        "mapper_parsing_exception: failed to parse field [time] (caused by illegal_argument_exception: bad date)");
  CHECK(r->item_failures[2].first == 14);
  auto index_mode = bulk_item_results(body, {10, 11, 12, 13, 14}, false);
  CHECK(index_mode->item_failures.size() == 4);  // with op_type index a 409 is a real conflict
  CHECK(bulk_item_results(R"({"errors":false})", {1, 2}, true)->ok());
  CHECK_FALSE(bulk_item_results("<html>", {1}, true).ok());
  CHECK_FALSE(bulk_item_results(R"({"errors":true,"items":[]})", {1}, true).ok());
}

TEST_CASE("opensearch: config keys, the elasticsearch alias, and errors with positions") {
  auto es = build("      url: https://es:9243\n      auth: {api_key: abcdEFGH}\n", "elasticsearch");
  const auto& cfg = dynamic_cast<OpenSearchOutput&>(*es).config();
  CHECK(cfg.op_create);
  CHECK(cfg.http.auth.api_key == "abcdEFGH");
  CHECK(cfg.http.timeout == std::chrono::seconds(30));
  CHECK(es->common().delivery.batch_max_alerts == 1000);
  CHECK(es->common().delivery.linger == std::chrono::milliseconds(200));

  CHECK(error_of("      index: x\n").find("key 'url' in section") != std::string::npos);
  CHECK(error_of("      url: ftp://h\n").find("os.yaml:4:") != std::string::npos);
  CHECK(error_of("      url: http://h\n      index: Peregrine\n").find("lower case") != std::string::npos);
  CHECK(error_of("      url: http://h\n      index: p-%Q\n").find("only %Y") != std::string::npos);
  CHECK(error_of("      url: http://h\n      index: a\n      data_stream: b\n").find("either index or data_stream") !=
        std::string::npos);
  CHECK(error_of("      url: http://h\n      data_stream: b\n      op_type: index\n").find("only accept create") !=
        std::string::npos);
  CHECK(error_of("      url: http://h\n      op_type: upsert\n").find("create") != std::string::npos);
  CHECK(error_of("      url: http://h\n      template: {shards: 0}\n").find("shards") != std::string::npos);
  CHECK(error_of("      url: http://h\n      colour: red\n").find("unknown key 'colour'") != std::string::npos);
}
