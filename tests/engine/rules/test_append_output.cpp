// engine.append_output (falco.yaml append_output): which rules an entry selects, what it adds to the output
// line and to output_fields, and load-time errors for bad fields.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/event_json.h"
#include "engine/rules/rule_engine.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

constexpr const char* kRules = R"(
- rule: Read etc
  desc: d
  condition: evt.type = openat and fd.name startswith /etc/
  output: read %fd.name
  priority: WARNING
  tags: [filesystem, mitre_discovery]
- rule: Read tmp
  desc: d
  condition: evt.type = openat and fd.name startswith /tmp/
  output: tmp %fd.name
  priority: NOTICE
  tags: [filesystem]
)";

Alert alert_for(RuleEngine& eng, const std::string& file) {
  Event e;
  auto r = event_from_json_line(
      R"({"type":"openat","proc":{"name":"cat","pid":42},"fd":{"num":3,"type":"f","name":")" + file + R"("}})", e);
  REQUIRE(r.ok());
  std::vector<Alert> out;
  eng.process(e, out);
  REQUIRE(out.size() == 1);
  return out[0];
}

}  // namespace

TEST_CASE("append_output: extra_output goes on the line, extra_fields only into output_fields") {
  RuleEngine eng;
  AppendOutputSpec all;
  all.source = "syscall";
  all.extra_output = "pid=%proc.pid";
  all.extra_fields = {"proc.name"};
  all.static_fields = {{"cluster", "edge-7"}};
  REQUIRE(eng.set_append_output({all}).ok());
  REQUIRE(eng.load_string(kRules, "r.yaml").successful());
  auto a = alert_for(eng, "/etc/passwd");
  CHECK(a.output.ends_with(": Warning read /etc/passwd pid=42"));
  CHECK(a.output_fields.at("proc.pid") == FieldValue{int64_t{42}});
  CHECK(a.output_fields.at("proc.name") == FieldValue{std::string("cat")});
  CHECK(a.output_fields.at("cluster") == FieldValue{std::string("edge-7")});
  CHECK(a.output.find("cat") == std::string::npos);  // extra_fields are not on the line
}

TEST_CASE("append_output: match by tags (all required), rule name and source") {
  RuleEngine eng;
  AppendOutputSpec by_tags;
  by_tags.tags = {"filesystem", "mitre_discovery"};
  by_tags.extra_output = "[discovery]";
  AppendOutputSpec by_rule;
  by_rule.rule = "Read tmp";
  by_rule.extra_output = "[tmp]";
  AppendOutputSpec other_source;
  other_source.source = "k8s_audit";
  other_source.extra_output = "[k8s]";
  REQUIRE(eng.load_string(kRules, "r.yaml").successful());
  // Applies to rules already loaded, and again to every later load.
  REQUIRE(eng.set_append_output({by_tags, by_rule, other_source}).ok());
  CHECK(alert_for(eng, "/etc/x").output.ends_with("read /etc/x [discovery]"));
  CHECK(alert_for(eng, "/tmp/x").output.ends_with("tmp /tmp/x [tmp]"));
  REQUIRE(eng.load_string(kRules, "r.yaml").successful());
  CHECK(alert_for(eng, "/etc/x").output.ends_with("read /etc/x [discovery]"));
  REQUIRE(eng.set_append_output({}).ok());
  CHECK(alert_for(eng, "/etc/x").output.ends_with("read /etc/x"));
}

TEST_CASE("append_output: unknown fields are load errors naming the entry") {
  RuleEngine eng;
  AppendOutputSpec bad;
  bad.where = "peregrine.yaml:12:5";
  bad.extra_fields = {"proc.nosuchfield"};
  auto r = eng.set_append_output({bad});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("peregrine.yaml:12:5: append_output.extra_fields: ", 0) == 0);
  bad.extra_fields = {"proc.namex"};
  CHECK_FALSE(eng.set_append_output({bad}).ok());
  bad.extra_fields = {};
  bad.extra_output = "x=%no.such";
  r = eng.set_append_output({bad});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("append_output.extra_output") != std::string::npos);
}
