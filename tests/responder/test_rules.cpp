#include <doctest/doctest.h>

#include "responder/rules.h"
#include "tests/responder/alert_fixture.h"

using namespace peregrine;
using namespace peregrine::responder;
using peregrine::testing::response_alert;

namespace {

const char* kRules = R"(
- action: Terminate
  actionner: script
  parameters: {command: [/bin/true]}
- rule: Shell in a container
  match:
    rules: [Terminal shell in container, "Run shell*"]
    priority: ">=Warning"
    tags: ["container, shell", "never"]
    source: syscall
    output_fields: ["container.id!=, k8s.ns.name!=kube-system"]
  actions:
    - action: Terminate
    - action: Tell
      actionner: http:call
      parameters: {url: "http://127.0.0.1:9/f"}
  continue: true
- rule: Anything critical
  match: {priority: ">=Critical"}
  actions: [{action: Terminate}]
  dry_run: true
- rule: Never reached after a stop
  actions: [{action: Terminate}]
)";

std::string load_error(const std::string& text) {
  try {
    (void)parse_rules(text, "r.yaml");
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("response rules: a Talon-like file loads with inline and referenced actions") {
  RuleSet s = parse_rules(kRules, "r.yaml");
  REQUIRE(s.actions.size() == 2);
  REQUIRE(s.rules.size() == 3);
  CHECK(s.rules[0].actions == std::vector<size_t>{0, 1});
  CHECK(s.actions[1].actionner == "http:call");
  CHECK(s.rules[0].cont);
  CHECK(s.rules[1].dry_run);
  CHECK(s.rules[0].where == "r.yaml:5");
}

TEST_CASE("response rules: match on rule names, priority, tags, source and output_fields") {
  RuleSet s = parse_rules(kRules, "r.yaml");
  const auto& m = s.rules[0].match;
  auto a = response_alert({{"container.id", std::string("abc123")}, {"k8s.ns.name", std::string("prod")}});
  CHECK(match_holds(m, a));
  a.rule = "Run shell untrusted";  // glob
  CHECK(match_holds(m, a));
  a.rule = "Other";
  CHECK_FALSE(match_holds(m, a));
  a.rule = "Terminal shell in container";
  a.priority = Priority::kNotice;  // below Warning
  CHECK_FALSE(match_holds(m, a));
  a.priority = Priority::kCritical;
  CHECK(match_holds(m, a));
  a.tags = {"container"};  // "container, shell" needs both
  CHECK_FALSE(match_holds(m, a));
  a.tags = {"container", "shell"};
  a.source = "k8s_audit";
  CHECK_FALSE(match_holds(m, a));
  a.source = "syscall";
  a.output_fields["k8s.ns.name"] = std::string("kube-system");
  CHECK_FALSE(match_holds(m, a));
  a.output_fields["k8s.ns.name"] = std::string("prod");
  a.output_fields.erase("container.id");  // "container.id!=" = present and not empty
  CHECK_FALSE(match_holds(m, a));
}

TEST_CASE("response rules: continue lets later rules run, a rule without continue stops") {
  RuleSet s = parse_rules(kRules, "r.yaml");
  auto a = response_alert({{"container.id", std::string("abc")}}, "Terminal shell in container", Priority::kCritical);
  auto r = matching_rules(s, a);
  REQUIRE(r.size() == 2);  // the first continues, the second stops before the third
  CHECK(r[0]->name == "Shell in a container");
  CHECK(r[1]->name == "Anything critical");
  auto low = response_alert({}, "Other", Priority::kNotice);
  REQUIRE(matching_rules(s, low).size() == 1);
  CHECK(matching_rules(s, low)[0]->name == "Never reached after a stop");
}

TEST_CASE("response rules: priority comparators") {
  auto holds = [](const std::string& cmp, Priority p) {
    RuleSet s = parse_rules("- rule: r\n  match: {priority: \"" + cmp + "\"}\n  actions:\n    - action: a\n"
                            "      actionner: script\n      parameters: {command: [/bin/true]}\n");
    auto a = response_alert({}, "x", p);
    return match_holds(s.rules[0].match, a);
  };
  CHECK(holds(">=Critical", Priority::kEmergency));
  CHECK_FALSE(holds(">=Critical", Priority::kError));
  CHECK(holds("<Warning", Priority::kNotice));
  CHECK_FALSE(holds("<Warning", Priority::kWarning));
  CHECK(holds("=Error", Priority::kError));
  CHECK(holds("Error", Priority::kError));
  CHECK(holds(">Error", Priority::kCritical));
  CHECK(holds("<=notice", Priority::kDebug));
}

TEST_CASE("response rules: load errors name the file and line") {
  CHECK(load_error("- rule: r\n  actions: [{action: missing}]\n") == "r.yaml:2:13: unknown action 'missing'");
  CHECK(load_error("- action: a\n  actionner: process:explode\n").find("r.yaml:2:14: key 'actionner' in section 'responses': unknown actionner 'process:explode'") == 0);
  CHECK(load_error("- action: a\n  actionner: script\n  parameters: {command: [/bin/true], bogus: 1}\n")
            .find("r.yaml:3:") == 0);
  CHECK(load_error("- action: a\n  actionner: script\n  parameters: {command: [relative]}\n").find("r.yaml:3:") == 0);
  CHECK(load_error("- rule: r\n  match: {priority: \">=Loud\"}\n  actions: [{action: a}]\n").find("r.yaml:2:") == 0);
  CHECK(load_error("- rule: r\n  colour: red\n  actions: [{action: a}]\n").find("r.yaml:2:") == 0);
  CHECK(load_error("- action: a\n  actionner: script\n  parameters: {command: [/bin/true]}\n"
                   "- action: a\n  actionner: script\n  parameters: {command: [/bin/true]}\n")
            .find("duplicate action name 'a'") != std::string::npos);
  CHECK(load_error("- rule: r\n  actions: [\n").find("r.yaml:") == 0);
}
