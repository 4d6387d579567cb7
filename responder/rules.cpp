#include "responder/rules.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "common/config/yaml_stream.h"
#include "outputs/route.h"

namespace peregrine::responder {
namespace {

using config::NodeReader;

std::string where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1);
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    part = trim(part);
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

PriorityTest read_priority_test(NodeReader& r) {
  const std::string text = trim(r.str("priority", ""));
  PriorityTest t;
  size_t n = 0;
  if (text.rfind(">=", 0) == 0) t.op = PriorityTest::Op::kGe, n = 2;
  else if (text.rfind("<=", 0) == 0) t.op = PriorityTest::Op::kLe, n = 2;
  else if (text.rfind(">", 0) == 0) t.op = PriorityTest::Op::kGt, n = 1;
  else if (text.rfind("<", 0) == 0) t.op = PriorityTest::Op::kLt, n = 1;
  else if (text.rfind("=", 0) == 0) t.op = PriorityTest::Op::kEq, n = 1;
  else t.op = PriorityTest::Op::kEq;
  auto p = parse_priority(trim(text.substr(n)));
  if (!p) r.fail("priority", "expected [<|<=|=|>=|>]<priority>, e.g. \">=Critical\" (emergency ... debug)");
  t.priority = *p;
  return t;
}

std::vector<FieldTest> read_field_group(NodeReader& r, const std::string& text) {
  std::vector<FieldTest> group;
  for (const auto& part : split_commas(text)) {
    FieldTest t;
    const auto ne = part.find("!=");
    const auto eq = part.find('=');
    if (ne != std::string::npos && ne < eq) {
      t.field = trim(part.substr(0, ne)), t.value = trim(part.substr(ne + 2)), t.negate = true;
    } else if (eq != std::string::npos) {
      t.field = trim(part.substr(0, eq)), t.value = trim(part.substr(eq + 1));
    }
    if (t.field.empty()) r.fail("output_fields", "expected \"field=value\" or \"field!=value\" (comma-separated)");
    group.push_back(std::move(t));
  }
  return group;
}

ResponseMatch read_match(NodeReader& parent) {
  NodeReader r = parent.sub("match");
  ResponseMatch m;
  m.rules = r.strings("rules");
  if (r.has("priority")) m.priority = read_priority_test(r);
  for (const auto& s : r.strings("tags"))
    if (auto g = split_commas(s); !g.empty()) m.tags.push_back(std::move(g));
  m.sources = r.strings("source");
  for (const auto& s : r.strings("output_fields"))
    if (auto g = read_field_group(r, s); !g.empty()) m.output_fields.push_back(std::move(g));
  r.finish();
  return m;
}

RateLimit read_rate_limit(NodeReader& parent) {
  RateLimit rl;
  if (!parent.has("rate_limit")) return rl;
  NodeReader r = parent.sub("rate_limit");
  rl.max = static_cast<uint32_t>(r.integer("max", 10, 1, 1'000'000));
  rl.per = r.duration("per", rl.per, std::chrono::seconds(1), std::chrono::hours(24));
  r.finish();
  return rl;
}

struct Loader {
  RuleSet set;
  std::map<std::string, size_t> action_index;
  struct PendingRef {
    size_t rule;
    std::string name;
    std::string file;
    YAML::Node node;
  };
  std::vector<PendingRef> refs;

  size_t add_action(NodeReader& r, const std::string& file) {
    ActionDef a;
    a.name = r.required_str("action");
    a.where = where(file, r.node());
    a.actionner = r.required_str("actionner");
    const auto& kinds = actionner_kinds();
    if (std::find(kinds.begin(), kinds.end(), a.actionner) == kinds.end()) {
      std::string known;
      for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k;
      r.fail("actionner", "unknown actionner '" + a.actionner + "' (known: " + known + ")");
    }
    (void)r.str("description", "");
    a.ignore_errors = r.boolean("ignore_errors", false);
    a.rate_limit = read_rate_limit(r);
    NodeReader params = r.sub("parameters");
    a.impl = make_actionner(a.actionner, params);
    params.finish();
    r.finish();
    if (action_index.count(a.name)) r.fail("action", "duplicate action name '" + a.name + "'");
    action_index[a.name] = set.actions.size();
    set.actions.push_back(std::move(a));
    return set.actions.size() - 1;
  }

  void add_rule(NodeReader& r, const std::string& file) {
    ResponseRule rule;
    rule.name = r.required_str("rule");
    rule.where = where(file, r.node());
    (void)r.str("description", "");
    rule.match = read_match(r);
    rule.cont = r.boolean("continue", false);
    rule.dry_run = r.boolean("dry_run", false);
    YAML::Node acts = r.child("actions");
    if (!acts.IsSequence() || acts.size() == 0) r.fail("actions", "expected a non-empty list of {action: name}");
    r.finish();
    const size_t idx = set.rules.size();
    for (const auto& a : acts) {
      NodeReader ar(a, file, "rule '" + rule.name + "' actions");
      if (ar.has("actionner")) {
        rule.actions.push_back(add_action(ar, file));
        continue;
      }
      refs.push_back({idx, ar.required_str("action"), file, a});
      ar.finish();
      rule.actions.push_back(SIZE_MAX);
    }
    for (const auto& other : set.rules)
      if (other.name == rule.name) r.fail("rule", "duplicate rule name '" + rule.name + "'");
    set.rules.push_back(std::move(rule));
  }

  void add_text(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
      root = config::load_single_yaml_document(text);
    } catch (const YAML::Exception& e) {
      throw config::ConfigError(file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                                "invalid YAML: " + e.msg);
    }
    if (!root || root.IsNull()) return;
    if (!root.IsSequence()) throw config::error_at(file, root, "expected a list of actions and rules");
    for (const auto& item : root) {
      NodeReader r(item, file, "responses");
      if (!item.IsMap()) throw config::error_at(file, item, "expected a map with 'action' or 'rule'");
      if (r.has("action")) add_action(r, file);
      else if (r.has("rule")) add_rule(r, file);
      else throw config::error_at(file, item, "expected a map with 'action' or 'rule'");
    }
  }

  void resolve() {
    // References resolve after every file is read, so a rule may name an action defined further down.
    for (const auto& ref : refs) {
      auto it = action_index.find(ref.name);
      if (it == action_index.end()) throw config::error_at(ref.file, ref.node, "unknown action '" + ref.name + "'");
      auto& slots = set.rules[ref.rule].actions;
      *std::find(slots.begin(), slots.end(), SIZE_MAX) = it->second;
    }
  }
};

bool priority_holds(const PriorityTest& t, Priority p) {
  // Falco numbers priorities most severe first: a smaller number is more severe.
  const int a = -static_cast<int>(p), b = -static_cast<int>(t.priority);
  switch (t.op) {
    case PriorityTest::Op::kLt: return a < b;
    case PriorityTest::Op::kLe: return a <= b;
    case PriorityTest::Op::kEq: return a == b;
    case PriorityTest::Op::kGe: return a >= b;
    case PriorityTest::Op::kGt: return a > b;
  }
  return false;
}

bool glob_or_equal(const std::string& pattern, const std::string& s) {
  if (pattern.find_first_of("*?[") == std::string::npos) return pattern == s;
  return ::fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

bool group_holds(const std::vector<FieldTest>& group, const Alert& alert) {
  for (const auto& t : group)
    if ((field_or_empty(alert, t.field) == t.value) == t.negate) return false;
  return true;
}

bool tags_hold(const std::vector<std::string>& group, const Alert& alert) {
  for (const auto& t : group)
    if (std::find(alert.tags.begin(), alert.tags.end(), t) == alert.tags.end()) return false;
  return true;
}

}  // namespace

std::string field_or_empty(const Alert& alert, const std::string& field) {
  return outputs::field_text(alert, field).value_or("");
}

bool match_holds(const ResponseMatch& m, const Alert& alert) {
  if (!m.rules.empty() &&
      std::none_of(m.rules.begin(), m.rules.end(), [&](const std::string& r) { return glob_or_equal(r, alert.rule); }))
    return false;
  if (!m.output_fields.empty() &&
      std::none_of(m.output_fields.begin(), m.output_fields.end(), [&](const auto& g) { return group_holds(g, alert); }))
    return false;
  if (m.priority && !priority_holds(*m.priority, alert.priority)) return false;
  if (!m.tags.empty() &&
      std::none_of(m.tags.begin(), m.tags.end(), [&](const auto& g) { return tags_hold(g, alert); }))
    return false;
  if (!m.sources.empty() && std::find(m.sources.begin(), m.sources.end(), alert.source) == m.sources.end()) return false;
  return true;
}

std::vector<const ResponseRule*> matching_rules(const RuleSet& set, const Alert& alert) {
  std::vector<const ResponseRule*> out;
  for (const auto& r : set.rules) {
    if (!match_holds(r.match, alert)) continue;
    out.push_back(&r);
    if (!r.cont) break;
  }
  return out;
}

RuleSet parse_rules(const std::string& yaml_text, const std::string& file) {
  Loader l;
  l.add_text(yaml_text, file);
  l.resolve();
  return std::move(l.set);
}

RuleSet load_rule_files(const std::vector<std::string>& files) {
  Loader l;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) throw config::ConfigError(f, 0, 0, "cannot open response rules file");
    std::ostringstream ss;
    ss << in.rdbuf();
    l.add_text(ss.str(), f);
  }
  l.resolve();
  return std::move(l.set);
}

}  // namespace peregrine::responder
