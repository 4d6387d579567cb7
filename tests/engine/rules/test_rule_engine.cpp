// The compile stage and the ruleset: macro visibility and loops, unused warnings, compile errors with positions,
// skip-if-unknown-filter, event-type sets of the upstream rules, enable/disable, rule_matching, min priority and
// alert construction.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/event.h"
#include "common/event_json.h"
#include "engine/rules/rule_engine.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

const std::string kUpstream = std::string(PEREGRINE_SOURCE_DIR) + "/../shared/falco-rules/";

bool have_upstream(const char* file) {
  if (std::filesystem::exists(kUpstream + file)) return true;
  PEREGRINE_SKIP_NOTE("upstream rules file " << kUpstream + file << " is not present");
  return false;
}

Event ev(const std::string& json) {
  Event e;
  auto r = event_from_json_line(json, e);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return e;
}

std::vector<std::string> fire(RuleEngine& eng, const Event& e) {
  std::vector<Alert> out;
  eng.process(e, out);
  std::vector<std::string> names;
  for (const auto& a : out) names.push_back(a.rule);
  return names;
}

const CompiledRule* find(const RuleEngine& eng, const std::string& name) {
  for (const auto& r : eng.rules()) {
    if (r->name == name) return r.get();
  }
  return nullptr;
}

std::vector<std::string> evttypes(const RuleEngine& eng, const std::string& rule) {
  const auto* r = find(eng, rule);
  REQUIRE_MESSAGE(r != nullptr, "no rule " << rule);
  return names(r->evttypes);
}

std::string rule_yaml(const std::string& name, const std::string& cond, const std::string& extra = "") {
  return "- rule: " + name + "\n  desc: d\n  condition: " + cond + "\n  output: \"o %proc.name\"\n  priority: WARNING\n" +
         extra;
}

const char* kOpenShadow =
    R"({"type":"openat","ts":1700000000000000000,"res":3,"args":{"name":"/etc/shadow","flags":"O_RDONLY"},)"
    R"("proc":{"name":"cat","args":["/etc/shadow"],"pid":42,"user":"root"},"fd":{"num":3,"type":"f","name":"/etc/shadow"}})";

}  // namespace

TEST_CASE("upstream falco_rules.yaml: 0 errors, 0 warnings, Falco's event-type sets") {
  if (!have_upstream("falco_rules.yaml")) return;
  RuleEngine eng;
  auto res = eng.load_files({kUpstream + "falco_rules.yaml"});
  INFO(res.to_text());
  CHECK(res.errors.empty());
  CHECK(res.warnings.empty());
  CHECK(eng.rules().size() == 25);
  using V = std::vector<std::string>;
  const V open3{"open", "openat", "openat2"}, exec2{"execve", "execveat"};
  // Computed by hand from the file: open_read / open_write / open_file_failed give open*; spawned_process gives
  // execve/execveat; `outbound` unions connect with sendto/sendmsg.
  CHECK(evttypes(eng, "Read sensitive file untrusted") == open3);
  CHECK(evttypes(eng, "Directory traversal monitored file read") == open3);
  CHECK(evttypes(eng, "Clear Log Activities") == open3);
  CHECK(evttypes(eng, "Detect release_agent File Container Escapes") == open3);
  CHECK(evttypes(eng, "Run shell untrusted") == exec2);
  CHECK(evttypes(eng, "Terminal shell in container") == exec2);
  CHECK(evttypes(eng, "Fileless execution via memfd_create") == exec2);
  CHECK(evttypes(eng, "Contact K8S API Server From Container") == V{"connect"});
  CHECK(evttypes(eng, "Disallowed SSH Connection Non Standard Port") == V{"connect", "sendmsg", "sendto"});
  CHECK(evttypes(eng, "Redirect STDOUT/STDIN to Network Connection in Container") == V{"dup", "dup2", "dup3"});
  CHECK(evttypes(eng, "Linux Kernel Module Injection Detected") == V{"finit_module", "init_module"});
  CHECK(evttypes(eng, "Create Symlink Over Sensitive Files") == V{"symlink", "symlinkat"});
  CHECK(evttypes(eng, "Create Hardlink Over Sensitive Files") == V{"link", "linkat"});
  CHECK(evttypes(eng, "Packet socket created in container") == V{"socket"});
  CHECK(evttypes(eng, "PTRACE attached to process") == V{"ptrace"});
  CHECK(evttypes(eng, "PTRACE anti-debug attempt") == V{"ptrace"});
  // The 19 distinct evt.type values of falco_rules.yaml.
  CHECK(names(eng.needed_event_types()) ==
        V{"connect", "dup", "dup2", "dup3", "execve", "execveat", "finit_module", "init_module", "link", "linkat",
          "open", "openat", "openat2", "ptrace", "sendmsg", "sendto", "socket", "symlink", "symlinkat"});
}

TEST_CASE("upstream k8s_audit_rules.yaml loads - its rules index only k8s_audit events") {
  if (!have_upstream("k8s_audit_rules.yaml")) return;
  RuleEngine eng;
  auto res = eng.load_files({kUpstream + "k8s_audit_rules.yaml"});
  INFO(res.to_text());
  CHECK(res.errors.empty());
  CHECK(res.warnings.empty());
  CHECK(eng.rules().size() == 48);
  for (const auto& r : eng.rules()) {
    CHECK(r->source == "k8s_audit");
    CHECK(names(r->evttypes) == std::vector<std::string>{"k8s_audit"});
  }
}

TEST_CASE("upstream files load together into one namespace") {
  if (!have_upstream("falco_rules.yaml") || !have_upstream("k8s_audit_rules.yaml")) return;
  RuleEngine eng;
  auto res = eng.load_files({kUpstream + "falco_rules.yaml", kUpstream + "k8s_audit_rules.yaml"});
  CHECK(res.errors.empty());
  CHECK(eng.rules().size() > 25);
}

TEST_CASE("macro visibility: a macro sees only earlier macros - rules see all - append moves visibility") {
  RuleEngine eng;
  auto bad = eng.load_string("- macro: a\n  condition: b\n- macro: b\n  condition: evt.type = open\n" +
                                 rule_yaml("r", "a"),
                             "vis.yaml");
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].code == LoadCode::kErrValidate);
  CHECK(bad.errors[0].message == "Undefined macro 'b' used in filter.");
  CHECK(bad.errors[0].item_type == "macro");
  CHECK(bad.errors[0].item_name == "a");

  auto ok = eng.load_string(rule_yaml("r", "later") + "- macro: later\n  condition: evt.type = open\n", "vis2.yaml");
  CHECK(ok.errors.empty());

  auto appended = eng.load_string(
      "- macro: a\n  condition: evt.type = open\n- macro: b\n  condition: proc.name = x\n"
      "- macro: a\n  condition: and b\n  override:\n    condition: append\n" + rule_yaml("r", "a"),
      "vis3.yaml");
  INFO(appended.to_text());
  CHECK(appended.errors.empty());
}

TEST_CASE("macro reference loops are errors") {
  RuleEngine eng;
  auto res = eng.load_string(
      "- macro: a\n  condition: evt.type = open\n- macro: b\n  condition: a\n"
      "- macro: a\n  condition: or b\n  override:\n    condition: append\n" + rule_yaml("r", "a"),
      "loop.yaml");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].message.find("reference loop in macro") != std::string::npos);
}

TEST_CASE("undefined macro in a rule, unused macros and lists") {
  RuleEngine eng;
  auto undef = eng.load_string(rule_yaml("r", "evt.type = open and nope"), "u.yaml");
  REQUIRE(undef.errors.size() == 1);
  CHECK(undef.errors[0].message == "Undefined macro 'nope' used in filter.");

  auto unused = eng.load_string("- list: l\n  items: [a]\n- list: used\n  items: [b]\n- macro: m\n  condition: "
                                "proc.name = x\n" + rule_yaml("r", "evt.type = open and proc.name in (used)"),
                                "unused.yaml");
  CHECK(unused.errors.empty());
  REQUIRE(unused.warnings.size() == 2);
  CHECK(unused.warnings[0].code == LoadCode::kUnusedMacro);
  CHECK(unused.warnings[0].item_name == "m");
  CHECK(unused.warnings[0].message == "Macro not referred to by any other rule/macro");
  CHECK(unused.warnings[1].code == LoadCode::kUnusedList);
  CHECK(unused.warnings[1].item_name == "l");
}

TEST_CASE("compile errors carry the position inside the condition") {
  RuleEngine eng;
  auto res = eng.load_string(rule_yaml("r", "evt.type = open and proc.name = "), "pos.yaml");
  REQUIRE(res.errors.size() == 1);
  const auto& e = res.errors[0];
  CHECK(e.code == LoadCode::kErrCompileCondition);
  CHECK(e.item_pos.line == 1);
  CHECK(e.condition == "(evt.type = open and proc.name =)");
  CHECK(e.condition_line == 1);
  CHECK(e.condition_column >= 30);
  auto j = res.to_json();
  CHECK(j["errors"][0]["condition_column"] == e.condition_column);
  CHECK(j["errors"][0]["condition_file_line"] == 3);     // "  condition: ..." is the item's third line
  CHECK(j["errors"][0]["condition_file_column"] == 14);

  auto field = eng.load_string(rule_yaml("r", "evt.type = open and proc.nmae = x"), "field.yaml");
  REQUIRE(field.errors.size() == 1);
  CHECK(field.errors[0].code == LoadCode::kErrCompileCondition);
  CHECK(field.errors[0].message.find("proc.nmae") != std::string::npos);
  CHECK(field.errors[0].condition_column == 22);

  auto via_macro = eng.load_string("- macro: m\n  condition: proc.nmae = x\n" + rule_yaml("r", "evt.type = open and m"),
                                   "macro.yaml");
  REQUIRE(via_macro.errors.size() == 1);
  CHECK(via_macro.errors[0].message.find("proc.nmae") != std::string::npos);
  CHECK(via_macro.errors[0].item_name == "r");
  CHECK(via_macro.errors[0].condition_line == 0);  // the field is in the macro's text, not the rule's

  auto evt = eng.load_string(rule_yaml("r", "evt.type = opne"), "evt.yaml");
  REQUIRE(evt.errors.size() == 1);
  CHECK(evt.errors[0].message.find("unknown event type opne") != std::string::npos);

  auto out = eng.load_string("- rule: r\n  desc: d\n  condition: evt.type = open\n  output: bad %\n  priority: info\n",
                             "out.yaml");
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].code == LoadCode::kErrCompileOutput);
}

TEST_CASE("skip-if-unknown-filter turns unknown fields into LOAD_UNKNOWN_FILTER and drops the rule") {
  RuleEngine eng;
  auto res = eng.load_string(rule_yaml("r", "evt.type = open and foo.bar = x", "  skip-if-unknown-filter: true\n") +
                                 rule_yaml("s", "evt.type = open"),
                             "skip.yaml");
  CHECK(res.errors.empty());
  REQUIRE(res.warnings.size() == 1);
  CHECK(res.warnings[0].code == LoadCode::kUnknownFilter);
  REQUIRE(eng.rules().size() == 1);
  CHECK(eng.rules()[0]->name == "s");
}

TEST_CASE("skip-if-unknown-filter also covers unknown event types, but not syntax errors") {
  RuleEngine eng;
  auto evt = eng.load_string(rule_yaml("r", "evt.type = made_up_call", "  skip-if-unknown-filter: true\n"), "e.yaml");
  CHECK(evt.errors.empty());
  REQUIRE(evt.warnings.size() == 1);
  CHECK(evt.warnings[0].code == LoadCode::kUnknownFilter);
  CHECK(eng.rules().empty());
  auto syntax = eng.load_string(rule_yaml("r", "evt.type = open and (", "  skip-if-unknown-filter: true\n"), "s.yaml");
  CHECK_FALSE(syntax.successful());
}

TEST_CASE("unknown sources are skipped with a warning") {
  RuleEngine eng;
  auto res = eng.load_string(rule_yaml("r", "ct.name = x", "  source: aws_cloudtrail\n") +
                                 rule_yaml("s", "evt.type = open"),
                             "src.yaml");
  CHECK(res.errors.empty());
  REQUIRE(res.warnings.size() == 1);
  CHECK(res.warnings[0].code == LoadCode::kUnknownSource);
  REQUIRE(eng.rules().size() == 1);
  CHECK(eng.rules()[0]->name == "s");
}

TEST_CASE("disabled rules are still compiled") {
  RuleEngine eng;
  auto res = eng.load_string(rule_yaml("r", "evt.type = open and", "  enabled: false\n"), "dis.yaml");
  CHECK_FALSE(res.successful());
}

TEST_CASE("LOAD_NO_EVTTYPE unless warn_evttypes is false - an empty set does not warn") {
  RuleEngine eng;
  auto res = eng.load_string(rule_yaml("r", "proc.name = x"), "n.yaml");
  REQUIRE(res.warnings.size() == 1);
  CHECK(res.warnings[0].code == LoadCode::kNoEvttype);
  CHECK(eng.load_string(rule_yaml("r", "proc.name = x", "  warn_evttypes: false\n"), "n2.yaml").warnings.empty());
  auto negated = eng.load_string(rule_yaml("r", "evt.type != open and proc.name = x"), "n4.yaml");
  REQUIRE(negated.warnings.size() == 1);
  CHECK(negated.warnings[0].code == LoadCode::kNoEvttype);
  auto never = eng.load_string(rule_yaml("r", "evt.num = 0 and proc.name = x"), "n3.yaml");
  CHECK(never.warnings.empty());
  CHECK(names(eng.rules()[0]->evttypes).empty());
}

TEST_CASE("an undefined list name is a literal value - exceptions exclude matching events") {
  RuleEngine eng;
  auto res = eng.load_string(
      rule_yaml("r", "evt.type = openat and proc.name in (cat, undefined_list)",
                "  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values: [[cat, /etc/passwd]]\n"),
      "lit.yaml");
  INFO(res.to_text());
  REQUIRE(res.successful());
  CHECK(fire(eng, ev(kOpenShadow)) == std::vector<std::string>{"r"});
  CHECK(fire(eng, ev(R"({"type":"openat","proc":{"name":"undefined_list"},"fd":{"num":3,"type":"f","name":"/x"}})")) ==
        std::vector<std::string>{"r"});
  CHECK(fire(eng, ev(R"({"type":"openat","proc":{"name":"cat"},"fd":{"num":3,"type":"f","name":"/etc/passwd"}})"))
            .empty());
  CHECK(fire(eng, ev(R"({"type":"openat","proc":{"name":"less"},"fd":{"num":3,"type":"f","name":"/x"}})")).empty());
}

TEST_CASE("several files: later files append to earlier ones") {
  RuleEngine eng;
  auto res = eng.load_contents(
      {{"a.yaml", "- list: names\n  items: [cat]\n" + rule_yaml("r", "evt.type = openat and proc.name in (names)")},
       {"b.yaml", "- list: names\n  items: [less]\n  override:\n    items: append\n"
                  "- rule: r\n  condition: and fd.name = /etc/shadow\n  override:\n    condition: append\n"}});
  INFO(res.to_text());
  REQUIRE(res.successful());
  CHECK(eng.rules()[0]->condition == "(evt.type = openat and proc.name in ( cat, less ) and fd.name = /etc/shadow)");
  CHECK(fire(eng, ev(kOpenShadow)) == std::vector<std::string>{"r"});
}

TEST_CASE("rule_matching first/all, min priority, enable/disable by name, wildcard, substring and tag") {
  RuleEngine eng;
  auto res = eng.load_string(
      "- rule: A one\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: NOTICE\n  tags: [t1]\n"
      "- rule: B two\n  desc: d\n  condition: evt.type = openat and proc.name = cat\n  output: o\n  priority: "
      "CRITICAL\n  tags: [t2]\n"
      "- rule: C three\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: DEBUG\n"
      "  enabled: false\n",
      "m.yaml");
  REQUIRE(res.successful());
  const Event e = ev(kOpenShadow);
  CHECK(fire(eng, e) == std::vector<std::string>{"A one"});
  eng.set_rule_matching(RuleMatching::kAll);
  CHECK(fire(eng, e) == std::vector<std::string>{"A one", "B two"});
  CHECK(names(eng.needed_event_types()) == std::vector<std::string>{"openat"});

  eng.set_min_priority(Priority::kError);
  CHECK(fire(eng, e) == std::vector<std::string>{"B two"});
  eng.set_min_priority(Priority::kDebug);

  CHECK(eng.enable_rules("C three", true) == 1);
  CHECK(names(eng.needed_event_types()) == std::vector<std::string>{"execve", "openat"});
  CHECK(eng.enable_rules("* t*", false) == 2);   // wildcard: "B two", "C three"
  CHECK(fire(eng, e) == std::vector<std::string>{"A one"});
  CHECK(eng.enable_rules_by_substring("two", true) == 1);
  CHECK(eng.enable_rules_by_tag("t1", false) == 1);
  CHECK(fire(eng, e) == std::vector<std::string>{"B two"});
  CHECK_FALSE(eng.is_enabled("A one"));
  CHECK(eng.enable_rules_by_substring("", true) == 3);
  CHECK(fire(eng, e) == std::vector<std::string>{"A one", "B two"});
  CHECK(eng.matches("B two") == 4);
  CHECK(eng.enable_rules("nothing*here", true) == 0);
}

TEST_CASE("wildcard matching") {
  CHECK(wildcard_match("*", "anything"));
  CHECK(wildcard_match("Read*", "Read sensitive file"));
  CHECK(wildcard_match("*file*", "Read sensitive file untrusted"));
  CHECK_FALSE(wildcard_match("Read*x", "Read sensitive file"));
  CHECK(wildcard_match("a*b*c", "aXbYc"));
  CHECK_FALSE(wildcard_match("abc", "abcd"));
}

TEST_CASE("alerts carry Falco's fields") {
  RuleEngine eng;
  eng.set_hostname("h1");
  auto res = eng.load_string(
      "- rule: Shadow read\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n"
      "  output: read %fd.name by %proc.name (missing=%container.name)\n  priority: NOTICE\n  tags: [zeta, alpha]\n",
      "alert.yaml");
  REQUIRE(res.successful());
  std::vector<Alert> out;
  eng.process(ev(kOpenShadow), out);
  REQUIRE(out.size() == 1);
  const Alert& a = out[0];
  CHECK(a.rule == "Shadow read");
  CHECK(a.priority == Priority::kNotice);
  CHECK(a.source == "syscall");
  CHECK(a.hostname == "h1");
  CHECK(a.tags == std::vector<std::string>{"alpha", "zeta"});
  CHECK(a.time_ns == 1700000000000000000ull);
  CHECK(a.uuid.size() == 36);
  CHECK(a.output.rfind("22:13:20.000000000: Notice read /etc/shadow by cat", 0) == 0);
  CHECK(std::get<std::string>(a.output_fields.at("fd.name")) == "/etc/shadow");
  CHECK(std::get<std::string>(a.output_fields.at("proc.name")) == "cat");
  CHECK(std::get<uint64_t>(a.output_fields.at("evt.time")) == 1700000000000000000ull);
  std::vector<Alert> again;
  eng.process(ev(kOpenShadow), again);
  REQUIRE(again.size() == 1);
  CHECK(again[0].uuid != a.uuid);
}

TEST_CASE("list substitution that explodes is rejected instead of exhausting memory") {
  std::string yaml;
  for (int i = 0; i < 12; ++i) {
    yaml += "- list: l" + std::to_string(i) + "\n  items: [";
    for (int k = 0; k < 8; ++k) yaml += (k ? ", " : "") + ("l" + std::to_string(i + 1));
    yaml += "]\n";
  }
  yaml += "- list: l12\n  items: [x]\n" + rule_yaml("r", "evt.type = open and proc.name in (l0)");
  RuleEngine eng;
  auto res = eng.load_string(yaml, "boom.yaml");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].message.find("after list substitution") != std::string::npos);
}

TEST_CASE("macro expansion that explodes is rejected instead of exhausting memory") {
  std::string yaml = "- macro: m0\n  condition: proc.name = a\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "- macro: m" + std::to_string(i) + "\n  condition: (m" + std::to_string(i - 1) + " or m" +
            std::to_string(i - 1) + ")\n";
  }
  RuleEngine eng;
  auto res = eng.load_string(yaml + rule_yaml("r", "evt.type = open and m30"), "boom.yaml");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].message.find("after macro expansion") != std::string::npos);
  auto ok = eng.load_string(yaml + rule_yaml("r", "evt.type = open and m12"), "fine.yaml");
  CHECK(ok.errors.empty());
}

TEST_CASE("lists built from earlier lists that explode are rejected") {
  std::string yaml = "- list: l0\n  items: [a, b, c, d]\n";
  for (int i = 1; i <= 12; ++i) {
    yaml += "- list: l" + std::to_string(i) + "\n  items: [";
    for (int k = 0; k < 4; ++k) yaml += (k ? ", " : "") + ("l" + std::to_string(i - 1));
    yaml += "]\n";
  }
  RuleEngine eng;
  auto res = eng.load_string(yaml + rule_yaml("r", "evt.type = open and proc.name in (l12)"), "lists.yaml");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].code == LoadCode::kErrValidate);
  CHECK(res.errors[0].message.find("items after expansion") != std::string::npos);
}
