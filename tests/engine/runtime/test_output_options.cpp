// Falco's JSON output switches (json_include_*_property) and time_format_iso_8601 as engine keys: what the
// rule engine puts in the Alert, what the pipeline publishes to the router, and that the router's parser still
// accepts every combination.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/event_json.h"
#include "common/metrics.h"
#include "engine/rules/rule_engine.h"
#include "engine/runtime/internal_alerts.h"
#include "engine/runtime/pipeline.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

const char* kRules =
    "- rule: Shadow read\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n"
    "  output: read %fd.name by %proc.name\n  priority: NOTICE\n  tags: [zeta, alpha]\n";

const char* kOpenShadow =
    R"({"type":"openat","ts":1700000000123456789,"res":3,"args":{"name":"/etc/shadow","flags":"O_RDONLY"},)"
    R"("proc":{"name":"cat","args":["/etc/shadow"],"pid":42,"user":"root"},)"
    R"("fd":{"num":3,"type":"f","name":"/etc/shadow"}})";

struct Published {
  Alert alert;       // as the rule engine built it
  nlohmann::json j;  // as the pipeline hands it to the router link
};

// One event through a pipeline whose rules carry `opt`.
Published publish(const config::FalcoOutputOptions& opt, const char* event_json = kOpenShadow) {
  RuleEngine rules;
  rules.set_hostname("h1");
  rules.set_output_options(opt);
  REQUIRE(rules.load_string(kRules, "rules.yaml").successful());
  metrics::Registry reg;
  std::vector<Published> got;
  Pipeline p(
      rules,
      [&](const Alert& a, std::string&& json) {
        got.push_back({a, nlohmann::json::parse(json)});
        return true;
      },
      reg);
  Event e;
  REQUIRE(event_from_json_line(event_json, e).ok());
  p.process_event(e);
  REQUIRE(got.size() == 1);
  return got[0];
}

// One switch set to `value`, the others at Falco's defaults.
Published publish_with(bool config::FalcoOutputOptions::*sw, bool value) {
  config::FalcoOutputOptions opt;
  opt.*sw = value;
  return publish(opt);
}

// The router parses what the engine sends with alert_from_json_text: every combination must stay acceptable.
Alert as_router_sees(const nlohmann::json& j) {
  auto r = alert_from_json_text(j.dump());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return *r;
}

}  // namespace

TEST_CASE("output switches: Falco's defaults") {
  const auto p = publish({});
  CHECK(p.alert.output == "22:13:20.123456789: Notice read /etc/shadow by cat");
  CHECK_FALSE(p.alert.message.has_value());
  CHECK_FALSE(p.j.contains("message"));
  CHECK(p.j["tags"] == nlohmann::json{"alpha", "zeta"});
  CHECK(p.j["output_fields"]["proc.name"] == "cat");
  CHECK(p.j["output_fields"]["evt.time"] == 1700000000123456789ull);
  CHECK_FALSE(p.j["output_fields"].contains("evt.time.iso8601"));
  CHECK(as_router_sees(p.j) == p.alert);
}

TEST_CASE("output switches: json_include_output_property") {
  const auto p = publish_with(&config::FalcoOutputOptions::json_include_output_property, false);
  // The router requires the key, so the text is withheld and the key stays, empty.
  CHECK(p.alert.output.empty());
  CHECK(p.j["output"] == "");
  CHECK(p.j["output_fields"]["fd.name"] == "/etc/shadow");  // the rest is unchanged
  CHECK(as_router_sees(p.j).output.empty());
}

TEST_CASE("output switches: json_include_tags_property") {
  const auto p = publish_with(&config::FalcoOutputOptions::json_include_tags_property, false);
  CHECK(p.alert.tags.empty());
  CHECK_FALSE(p.j.contains("tags"));
  CHECK(p.j.contains("output_fields"));
  CHECK(as_router_sees(p.j).tags.empty());
}

TEST_CASE("output switches: json_include_output_fields_property") {
  const auto p = publish_with(&config::FalcoOutputOptions::json_include_output_fields_property, false);
  CHECK(p.alert.output_fields.empty());
  CHECK_FALSE(p.j.contains("output_fields"));
  CHECK(p.alert.output == "22:13:20.123456789: Notice read /etc/shadow by cat");  // the text still renders
  CHECK(p.j["tags"] == nlohmann::json{"alpha", "zeta"});
  CHECK(as_router_sees(p.j).output_fields.empty());
}

TEST_CASE("output switches: json_include_message_property") {
  config::FalcoOutputOptions opt;
  opt.json_include_message_property = true;
  const auto p = publish(opt);
  REQUIRE(p.alert.message.has_value());
  CHECK(*p.alert.message == "read /etc/shadow by cat");
  CHECK(p.j["message"] == "read /etc/shadow by cat");
  CHECK(p.j["output"] == "22:13:20.123456789: Notice read /etc/shadow by cat");
  // The router keeps it, so its JSON outputs carry it too.
  const Alert seen = as_router_sees(p.j);
  REQUIRE(seen.message.has_value());
  CHECK(*seen.message == "read /etc/shadow by cat");
  CHECK(nlohmann::json::parse(alert_json_text(seen))["message"] == "read /etc/shadow by cat");

  opt.json_include_output_property = false;  // the message does not depend on the output text
  CHECK(publish(opt).j["message"] == "read /etc/shadow by cat");
}

TEST_CASE("output switches: time_format_iso_8601") {
  const auto p = publish_with(&config::FalcoOutputOptions::time_format_iso_8601, true);
  CHECK(p.alert.output == "2023-11-14T22:13:20.123456789+0000: Notice read /etc/shadow by cat");
  // Falco's output_fields hold the prefix's field: evt.time.iso8601 instead of evt.time.
  CHECK(p.j["output_fields"]["evt.time.iso8601"] == "2023-11-14T22:13:20.123456789+0000");
  CHECK_FALSE(p.j["output_fields"].contains("evt.time"));
  CHECK(p.j["time"] == "2023-11-14T22:13:20.123456789Z");  // the JSON "time" keeps its RFC 3339 form
  CHECK(as_router_sees(p.j) == p.alert);
}

TEST_CASE("output switches: the time prefix pads every part") {
  std::string s;
  append_time_prefix(86400ull * 1000000000ull * 31 + 5, s, true);  // 1970-02-01 00:00:00.000000005
  CHECK(s == "1970-02-01T00:00:00.000000005+0000");
  s.clear();
  append_time_prefix(86400ull * 1000000000ull * 31 + 5, s);
  CHECK(s == "00:00:00.000000005");
}
