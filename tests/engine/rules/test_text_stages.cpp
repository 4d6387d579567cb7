// The loader's text-level stages: list substitution, exceptions -> condition text, reading and collecting
// (define / append / override / replace) and the diagnostics they produce. No condition is compiled here.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/rules/collector.h"
#include "engine/rules/exceptions.h"
#include "engine/rules/lists.h"
#include "engine/rules/reader.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

ListInfo list(std::string name, std::vector<std::string> items) {
  ListInfo l;
  l.name = std::move(name);
  l.items = std::move(items);
  return l;
}

std::string subst(std::string cond, const ListInfo& l) {
  substitute_list(cond, l);
  return cond;
}

struct Loaded {
  Collector col{{"syscall", "k8s_audit"}};
  LoadResult res;
  bool ok = true;
};

Loaded read(const std::string& yaml, const std::string& name = "t.yaml") {
  Loaded l;
  l.res.files.push_back(name);
  l.ok = read_rules_content(yaml, name, l.col, l.res);
  return l;
}

const RuleInfo& rule(Loaded& l, const std::string& name) {
  for (const auto& r : l.col.rules()) {
    if (r.name == name) return r;
  }
  FAIL("no rule " << name);
  throw 0;
}

const char* kBase = R"(
- rule: r
  desc: d
  condition: evt.type = open
  output: o %proc.name
  priority: WARNING
  tags: [b, a]
)";

}  // namespace

TEST_CASE("list substitution: delimiters, spacing and joining") {
  auto l = list("shells", {"bash", "sh"});
  CHECK(subst("proc.name in (shells)", l) == "proc.name in ( bash, sh )");
  CHECK(subst("proc.name in (shells, zsh)", l) == "proc.name in ( bash, sh , zsh)");
  CHECK(subst("proc.name in (zsh,shells)", l) == "proc.name in (zsh, bash, sh )");
  CHECK(subst("proc.name=shells", l) == "proc.name= bash, sh ");
  CHECK(subst("shells", l) == "bash, sh ");
  // Not bounded by a delimiter: left alone.
  CHECK(subst("proc.name in (myshells)", l) == "proc.name in (myshells)");
  CHECK(subst("proc.name in (shells_x)", l) == "proc.name in (shells_x)");
  CHECK(subst("proc.name in (x.shells)", l) == "proc.name in (x.shells)");
}

TEST_CASE("list substitution: quotes are not respected (Falco behaviour)") {
  auto l = list("shells", {"bash"});
  CHECK(subst("proc.cmdline = \"a (shells) b\"", l) == "proc.cmdline = \"a ( bash ) b\"");
}

TEST_CASE("list substitution: an empty list eats one comma") {
  auto empty = list("e", {});
  CHECK(subst("proc.name in (a, e)", empty) == "proc.name in (a  )");
  CHECK(subst("proc.name in (e, a)", empty) == "proc.name in (   a)");
  CHECK(subst("proc.name in (e)", empty) == "proc.name in (  )");
}

TEST_CASE("list substitution: every occurrence, and items equal to the name are not re-expanded") {
  auto l = list("x", {"x", "y"});
  CHECK(subst("a in (x) or b in (x)", l) == "a in ( x, y ) or b in ( x, y )");
}

namespace {

/// The straightforward quadratic form of Falco's resolve_list (rewrite the whole text at every occurrence),
/// kept here as the reference the one-pass implementation must agree with.
std::string reference_subst(std::string cnd, const ListInfo& list) {
  const std::string blanks = " \t\n\r", delims = " \t\n\r(),=";
  std::string sub;
  for (const auto& v : list.items) sub += (sub.empty() ? "" : ", ") + v;
  size_t start = cnd.find(list.name);
  while (start != std::string::npos) {
    size_t end = start + list.name.size();
    if ((start == 0 || delims.find(cnd[start - 1]) != std::string::npos) &&
        (end >= cnd.size() || delims.find(cnd[end]) != std::string::npos)) {
      while (start > 0 && blanks.find(cnd[start - 1]) != std::string::npos) --start;
      while (end < cnd.size() && blanks.find(cnd[end]) != std::string::npos) ++end;
      if (sub.empty()) {
        if (start > 0 && cnd[start - 1] == ',') {
          --start;
        } else if (end < cnd.size() && cnd[end] == ',') {
          ++end;
        }
      }
      std::string next;
      if (start > 0) next += cnd.substr(0, start) + " ";
      next += sub + " ";
      if (end <= cnd.size()) next += cnd.substr(end);
      cnd = next;
      start += sub.size() + 1;
    }
    start = cnd.find(list.name, start + 1);
  }
  return cnd;
}

}  // namespace

TEST_CASE("list substitution agrees with the reference algorithm on random texts") {
  const char alphabet[] = {'a', 'b', ' ', ',', '(', ')', '=', '\t', 'x', '"'};
  uint64_t seed = 88172645463325252ull;
  auto rnd = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const std::vector<ListInfo> lists = {list("a", {"1", "2"}), list("ab", {}), list("x", {"x", "y"}),
                                       list("b", {"\"q r\""}), list("a", {})};
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const size_t len = rnd() % 24;
    for (size_t k = 0; k < len; ++k) text += alphabet[rnd() % sizeof(alphabet)];
    const ListInfo& l = lists[rnd() % lists.size()];
    CAPTURE(text);
    CAPTURE(l.name);
    REQUIRE(subst(text, l) == reference_subst(text, l));
  }
}

TEST_CASE("list items: earlier lists are expanded inline and items with spaces quoted") {
  std::vector<ListInfo> lists = {list("a", {"1", "2"}), list("b", {"a", "3", "with space", "'quoted x'"}),
                                 list("c", {"d"})};
  auto r = resolve_list_items(lists);
  REQUIRE(r.size() == 3);
  CHECK(r[1].items == std::vector<std::string>{"1", "2", "3", "\"with space\"", "'quoted x'"});
  CHECK(lists[0].used);
  CHECK_FALSE(lists[2].used);
  CHECK(r[2].items == std::vector<std::string>{"d"});  // a later list name is not expanded
}

TEST_CASE("exceptions: list form with default and explicit comps") {
  ExceptionInfo ex;
  ex.name = "e";
  ex.fields_is_list = true;
  ex.fields = {"proc.name", "fd.name"};
  ex.comps = {"=", "contains"};
  ex.values = {{{false, "nginx", {}}, {false, "/usr/bin", {}}}};
  ex.has_values = true;
  CHECK(build_exception_condition("cond", {ex}, {}) ==
        "(cond) and not (( proc.name = nginx and fd.name contains /usr/bin))");
  ex.values.push_back({{false, "a b", {}}, {false, "\"q r\"", {}}});
  CHECK(build_exception_condition("c", {ex}, {}) ==
        "(c) and not (( proc.name = nginx and fd.name contains /usr/bin) or ( proc.name = \"a b\" and fd.name "
        "contains \"q r\"))");
}

TEST_CASE("exceptions: list operators wrap scalars in parentheses, list values are rendered") {
  ExceptionInfo ex;
  ex.name = "e";
  ex.fields_is_list = true;
  ex.fields = {"proc.name", "fd.directory"};
  ex.comps = {"in", "pmatch"};
  ex.values = {{{false, "bash", {}}, {true, "", {"/etc", "/my dir"}}}};
  CHECK(build_exception_condition("c", {ex}, {}) ==
        "(c) and not (( proc.name in (bash) and fd.directory pmatch (/etc, \"/my dir\")))");
}

TEST_CASE("exceptions: scalar form") {
  ExceptionInfo ex;
  ex.name = "e";
  ex.fields = {"proc.name"};
  ex.comps = {"in"};
  ex.values = {{{false, "a", {}}}, {{false, "b c", {}}}};
  CHECK(build_exception_condition("c", {ex}, {}) == "(c) and not (proc.name in (a, \"b c\"))");
  ExceptionInfo nov = ex;
  nov.values.clear();
  CHECK(build_exception_condition("c", {nov}, {}) == "(c)");
  ExceptionInfo bad = ex;
  bad.values = {{{true, "", {"x"}}}};
  CHECK_THROWS_AS(build_exception_condition("c", {bad}, {}), LoadError);
}

TEST_CASE("exceptions: YAML decoding, defaults, validation") {
  auto l = read(std::string(kBase) + R"(
- rule: s
  desc: d
  condition: evt.type = open
  output: o
  priority: info
  exceptions:
    - name: two
      fields: [proc.name, fd.name]
      values: [[a, b]]
    - name: one
      fields: proc.pname
      values: [x, y]
)");
  REQUIRE(l.ok);
  const auto& s = rule(l, "s");
  REQUIRE(s.exceptions.size() == 2);
  CHECK(s.exceptions[0].comps == std::vector<std::string>{"=", "="});
  CHECK(s.exceptions[1].comps == std::vector<std::string>{"in"});
  CHECK(build_exception_condition(s.condition, s.exceptions, s.ctx) ==
        "(evt.type = open) and not (( proc.name = a and fd.name = b)) and not (proc.pname in (x, y))");

  auto bad = read(std::string(kBase) + R"(
- rule: s
  desc: d
  condition: c
  output: o
  priority: info
  exceptions:
    - name: e
      fields: proc.name
      comps: "="
)");
  CHECK_FALSE(bad.ok);
  REQUIRE(bad.res.errors.size() == 1);
  CHECK(bad.res.errors[0].code == LoadCode::kErrValidate);
  CHECK(bad.res.errors[0].message.find("comps must be one of (in, pmatch, intersects)") != std::string::npos);

  auto mism = read(R"(
- rule: s
  desc: d
  condition: c
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [a.b, c.d]
      comps: [=]
    - name: e
      fields: [a.b]
)");
  CHECK_FALSE(mism.ok);
  CHECK(mism.res.errors[0].message == "Fields and comps lists must have equal length");

  auto dup = read(R"(
- rule: s
  desc: d
  condition: c
  output: o
  priority: info
  exceptions:
    - name: e
      fields: [a.b]
    - name: e
      fields: [a.b]
)");
  CHECK(dup.ok);
  REQUIRE(dup.res.warnings.size() == 1);
  CHECK(dup.res.warnings[0].code == LoadCode::kExceptionNameNotUnique);
}

TEST_CASE("rules: plain redefinition replaces and keeps the original position") {
  auto l = read(std::string(kBase) + R"(
- rule: other
  desc: d
  condition: evt.type = close
  output: o
  priority: debug
- rule: r
  desc: d2
  condition: evt.type = openat
  output: "  o2  "
  priority: critical
)");
  REQUIRE(l.ok);
  REQUIRE(l.col.rules().size() == 2);
  CHECK(l.col.rules()[0].name == "r");
  CHECK(l.col.rules()[0].condition == "evt.type = openat");
  CHECK(l.col.rules()[0].output == "o2");  // trimmed
  CHECK(l.col.rules()[0].priority == Priority::kCritical);
  CHECK(l.col.rules()[0].tags.empty());
}

TEST_CASE("rules: override append joins text with one space and no parentheses, unions tags") {
  auto l = read(std::string(kBase) + R"(
- rule: r
  condition: or proc.name = x
  output: extra
  desc: more
  tags: [c]
  override:
    condition: append
    output: append
    desc: append
    tags: append
)");
  REQUIRE(l.ok);
  const auto& r = rule(l, "r");
  CHECK(r.condition == "evt.type = open or proc.name = x");
  CHECK(r.output == "o %proc.name extra");
  CHECK(r.desc == "d more");
  CHECK(r.tags == std::set<std::string>{"a", "b", "c"});
  CHECK(r.priority == Priority::kWarning);
}

TEST_CASE("rules: override replace and mixed append/replace in one item") {
  auto l = read(std::string(kBase) + R"(
- rule: r
  condition: and proc.name = x
  priority: ERROR
  enabled: false
  tags: [z]
  override:
    condition: append
    priority: replace
    enabled: replace
    tags: replace
)");
  REQUIRE(l.ok);
  const auto& r = rule(l, "r");
  CHECK(r.condition == "evt.type = open and proc.name = x");
  CHECK(r.priority == Priority::kError);
  CHECK_FALSE(r.enabled);
  CHECK(r.tags == std::set<std::string>{"z"});
}

TEST_CASE("rules: override errors") {
  struct Case {
    const char* item;
    const char* message;
  };
  const Case cases[] = {
      {"- rule: r\n  priority: info\n  override:\n    priority: append\n",
       "Key 'priority' cannot be appended to, use 'replace' instead"},
      {"- rule: r\n  source: syscall\n  override:\n    source: replace\n", "Key 'source' cannot be replaced"},
      {"- rule: r\n  condition: x\n  output: y\n  override:\n    condition: append\n",
       "Unexpected key 'output': no corresponding entry under 'override' is defined."},
      {"- rule: r\n  condition: x\n  append: true\n  override:\n    condition: append\n",
       "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: "
       "append') under 'override' instead."},
      {"- rule: nope\n  condition: x\n  override:\n    condition: append\n",
       "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"},
      {"- rule: nope\n  condition: x\n  override:\n    condition: replace\n",
       "Rule uses 'override.<key>: replace' but no rule by that name already exists"},
      {"- rule: r\n  condition: x\n  override:\n    condition: prepend\n",
       "Invalid override value for key 'condition': must be 'append' or 'replace'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.item);
    auto l = read(std::string(kBase) + c.item);
    CHECK_FALSE(l.ok);
    REQUIRE(l.res.errors.size() == 1);
    CHECK(l.res.errors[0].message == c.message);
  }
}

TEST_CASE("rules: legacy append and standalone enabled are deprecated but work") {
  auto l = read(std::string(kBase) + R"(
- rule: r
  condition: and proc.name = x
  append: true
- rule: r
  enabled: false
)");
  REQUIRE(l.ok);
  const auto& r = rule(l, "r");
  CHECK(r.condition == "evt.type = open and proc.name = x");
  CHECK_FALSE(r.enabled);
  REQUIRE(l.res.warnings.size() == 2);
  CHECK(l.res.warnings[0].code == LoadCode::kDeprecatedItem);
  CHECK(l.res.warnings[1].code == LoadCode::kDeprecatedItem);
}

TEST_CASE("rules: exceptions append adds values to existing names and new exceptions") {
  auto l = read(std::string(kBase) + R"(
- rule: r
  exceptions:
    - name: e
      fields: [proc.name]
      values: [[a]]
  override:
    exceptions: append
- rule: r
  exceptions:
    - name: e
      values: [[b]]
    - name: f
      fields: proc.pname
      values: [p]
  override:
    exceptions: append
- rule: r
  exceptions:
    - name: e
  override:
    exceptions: append
)");
  REQUIRE(l.ok);
  const auto& r = rule(l, "r");
  REQUIRE(r.exceptions.size() == 2);
  CHECK(r.exceptions[0].values.size() == 2);
  CHECK(build_exception_condition(r.condition, r.exceptions, r.ctx) ==
        "(evt.type = open) and not (( proc.name = a) or ( proc.name = b)) and not (proc.pname in (p))");
  REQUIRE(l.res.warnings.size() == 1);
  CHECK(l.res.warnings[0].code == LoadCode::kAppendNoValues);

  auto bad = read(std::string(kBase) + R"(
- rule: r
  exceptions:
    - name: e
      fields: [proc.name]
      values: [[a]]
  override:
    exceptions: append
- rule: r
  exceptions:
    - name: e
      fields: [proc.pname]
      values: [[a]]
  override:
    exceptions: append
)");
  CHECK_FALSE(bad.ok);
  CHECK(bad.res.errors[0].message == "Can not append exception fields to existing exception, only values");
}

TEST_CASE("lists and macros: define, append, override, and target errors") {
  auto l = read(R"(
- list: a
  items: [x, 1]
- list: a
  items: [y]
  append: true
- list: a
  items: [z]
  override:
    items: append
- list: b
  items: [q]
- list: b
  items: [r]
  override:
    items: replace
- macro: m
  condition: evt.type = open
- macro: m
  condition: or evt.type = close
  override:
    condition: append
)");
  REQUIRE(l.ok);
  CHECK(l.col.lists()[0].items == std::vector<std::string>{"x", "1", "y", "z"});
  CHECK(l.col.lists()[1].items == std::vector<std::string>{"r"});
  CHECK(l.col.macros()[0].condition == "evt.type = open or evt.type = close");

  auto nolist = read("- list: a\n  items: [x]\n  override:\n    items: append\n");
  CHECK_FALSE(nolist.ok);
  CHECK(nolist.res.errors[0].message ==
        "List uses 'append' or 'override.items: append' but no list by that name already exists");
  auto nomacro = read("- macro: m\n  condition: x\n  append: true\n");
  CHECK_FALSE(nomacro.ok);
  CHECK(nomacro.res.errors[0].message ==
        "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists");
  auto badkey = read("- macro: m\n  condition: x\n  override:\n    items: append\n");
  CHECK_FALSE(badkey.ok);
}

TEST_CASE("macro visibility index follows the last definition or append") {
  auto l = read(R"(
- macro: a
  condition: b
- macro: b
  condition: evt.type = open
- macro: c
  condition: x
- macro: a
  condition: or c
  override:
    condition: append
)");
  REQUIRE(l.ok);
  auto& m = l.col.macros();
  CHECK(m[0].visibility == 3);  // after the append, a sees a, b, c
  CHECK(m[1].visibility == 1);
  CHECK(m[2].visibility == 2);
}

TEST_CASE("names: invalid list and macro names warn") {
  auto l = read("- list: \"bad name\"\n  items: []\n- macro: 9bad\n  condition: x\n");
  REQUIRE(l.ok);
  REQUIRE(l.res.warnings.size() == 2);
  CHECK(l.res.warnings[0].code == LoadCode::kInvalidListName);
  CHECK(l.res.warnings[1].code == LoadCode::kInvalidMacroName);
}

TEST_CASE("shape: YAML parse errors carry the position") {
  auto l = read("- rule: x\n  desc: [unclosed\n", "bad.yaml");
  CHECK_FALSE(l.ok);
  REQUIRE(l.res.errors.size() == 1);
  const auto& e = l.res.errors[0];
  CHECK(e.code == LoadCode::kErrYamlParse);
  CHECK(e.item_pos.file == "bad.yaml");
  CHECK(e.item_pos.line >= 2);
}

TEST_CASE("shape: a stray ',' after a top-level flow collection is a parse error, not a hang") {
  // yaml-cpp 0.7 alone loops forever on these (found by fuzz_rules_loader).
  for (const char* text : {"[{rule: a}],", "{\"a\": 1},\"c\": 2}", "- rule: x\n  desc: d\n---\n[a],b\n"}) {
    CAPTURE(text);
    auto l = read(text, "stray.yaml");
    CHECK_FALSE(l.ok);
    REQUIRE(l.res.errors.size() == 1);
    CHECK(l.res.errors[0].code == LoadCode::kErrYamlParse);
    CHECK(l.res.errors[0].item_pos.file == "stray.yaml");
    CHECK(l.res.errors[0].item_pos.line >= 1);
  }
}

TEST_CASE("shape: not a sequence, non-map items, unknown items and keys") {
  auto notseq = read("rule: x\n");
  CHECK_FALSE(notseq.ok);
  CHECK(notseq.res.errors[0].code == LoadCode::kErrYamlValidate);
  CHECK(notseq.res.errors[0].message == "Rules content is not yaml array of objects");

  auto scalar = read("- just text\n");
  CHECK_FALSE(scalar.ok);
  CHECK(scalar.res.errors[0].message == "Unexpected element type. Each element should be a yaml associative array.");

  auto unk = read(std::string(kBase) + "- something: else\n- macro: m\n  condition: x\n  colour: red\n");
  CHECK(unk.ok);
  REQUIRE(unk.res.warnings.size() == 2);
  CHECK(unk.res.warnings[0].code == LoadCode::kUnknownItem);
  CHECK(unk.res.warnings[1].code == LoadCode::kUnknownKey);
  CHECK(unk.res.warnings[1].item_pos.line == 9);
  CHECK(unk.res.warnings[1].item_pos.column == 3);

  auto multi = read(std::string(kBase) + "---\n- macro: m2\n  condition: y\n---\n");
  CHECK(multi.ok);
  CHECK(multi.col.macros().size() == 1);
}

TEST_CASE("rules: required keys, empty values, bad priority, unknown source") {
  auto missing = read("- rule: r\n  desc: d\n  condition: c\n  priority: info\n");
  CHECK_FALSE(missing.ok);
  CHECK(missing.res.errors[0].message == "Item has no mapping for key 'output'");
  CHECK(missing.res.errors[0].item_pos.line == 1);
  CHECK(missing.res.errors[0].item_pos.column == 3);
  CHECK(missing.res.errors[0].snippet == "- rule: r\n  desc: d\n  condition: c\n  priority: info\n");

  auto empty = read("- rule: r\n  desc: d\n  condition:\n  output: o\n  priority: info\n");
  CHECK_FALSE(empty.ok);
  CHECK(empty.res.errors[0].message == "Mapping for key 'condition' is empty");

  auto prio = read("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: loud\n");
  CHECK_FALSE(prio.ok);
  CHECK(prio.res.errors[0].message == "Invalid priority");

  auto src = read("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: info\n  source: aws_cloudtrail\n");
  CHECK(src.ok);
  CHECK(src.col.rules().empty());
  REQUIRE(src.res.warnings.size() == 1);
  CHECK(src.res.warnings[0].code == LoadCode::kUnknownSource);

  auto resrc = read(std::string(kBase) + "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: info\n"
                                         "  source: k8s_audit\n");
  CHECK_FALSE(resrc.ok);
  CHECK(resrc.res.errors[0].message == "Rule has been re-defined with a different source");
}

TEST_CASE("versions: engine and plugin requirements") {
  CHECK(read("- required_engine_version: 15\n").ok);
  CHECK(read("- required_engine_version: 0.57.0\n").ok);
  auto newer = read("- required_engine_version: 0.99.0\n");
  CHECK_FALSE(newer.ok);
  CHECK(newer.res.errors[0].code == LoadCode::kErrValidate);
  CHECK(newer.res.errors[0].message == "Rules require engine version 0.99.0, but engine version is 0.57.0");
  CHECK_FALSE(read("- required_engine_version: 1.0.0\n").ok);
  CHECK_FALSE(read("- required_engine_version: abc\n").ok);

  auto ok = read(R"(
- required_plugin_versions:
  - name: container
    version: 0.4.0
  - name: k8saudit-eks
    version: 0.1.0
    alternatives:
      - name: k8saudit
        version: 0.18.0
  - name: json
    version: 0.7.0
)");
  REQUIRE(ok.ok);
  check_plugin_requirements(ok.col, ok.res);
  CHECK(ok.res.errors.empty());

  auto missing = read("- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.1.0\n");
  REQUIRE(missing.ok);
  check_plugin_requirements(missing.col, missing.res);
  REQUIRE(missing.res.errors.size() == 1);
  CHECK(missing.res.errors[0].message == "Plugin requirement not satisfied, must load one of: cloudtrail (0.1.0)");
  auto newer_plugin = read("- required_plugin_versions:\n  - name: container\n    version: 0.5.0\n");
  check_plugin_requirements(newer_plugin.col, newer_plugin.res);
  CHECK_FALSE(newer_plugin.res.successful());
  CHECK_FALSE(read("- required_plugin_versions:\n  - name: a\n    version: 1.0\n").ok);
}

TEST_CASE("diagnostics render as text and JSON") {
  auto l = read("- rule: r\n  desc: d\n  condition: c\n  priority: info\n", "x.yaml");
  const std::string text = l.res.to_text();
  CHECK(text ==
        "x.yaml: Invalid\n"
        "1 Errors:\n"
        "In rules content: (x.yaml:0:0)\n"
        "    rule 'r': (x.yaml:1:3)\n"
        "------\n"
        "- rule: r\n  desc: d\n  condition: c\n  priority: info\n"
        "------\n"
        "LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): Item has no mapping for key "
        "'output'\n");
  auto j = l.res.to_json();
  CHECK(j["successful"] == false);
  REQUIRE(j["errors"].size() == 1);
  CHECK(j["errors"][0]["code"] == "LOAD_ERR_YAML_VALIDATE");
  CHECK(j["errors"][0]["line"] == 1);
  CHECK(j["errors"][0]["column"] == 3);
  CHECK(j["errors"][0]["item_type"] == "rule");
  CHECK(j["errors"][0]["item_name"] == "r");
  CHECK(j["warnings"].empty());
}

TEST_CASE("diagnostics JSON is valid UTF-8 even when the input is not") {
  auto l = read(std::string("- rule: r\xff\xfe\n  desc: d\n  condition: c\n  priority: info\n"), "bad\xc3.yaml");
  REQUIRE(l.res.errors.size() == 1);
  const std::string dumped = l.res.to_json().dump();  // would throw type_error 316 on invalid UTF-8
  CHECK(dumped.find("r\xEF\xBF\xBD\xEF\xBF\xBD") != std::string::npos);
  CHECK(dumped.find("bad\xEF\xBF\xBD.yaml") != std::string::npos);
}

TEST_CASE("YAML aliases cannot blow decoded values up (billion laughs)") {
  std::string big(60000, 'x');
  std::string yaml = "- list: a\n  items: [&s " + big + "";
  for (int i = 0; i < 2000; ++i) yaml += ", *s";
  yaml += "]\n";
  auto l = read(yaml);
  CHECK_FALSE(l.ok);
  REQUIRE(l.res.errors.size() == 1);
  CHECK(l.res.errors[0].message.find("YAML aliases") != std::string::npos);
  CHECK(read(std::string(kBase)).ok);  // the budget is reset per file
}
