#include "outputs/route.h"

#include <fnmatch.h>

#include <algorithm>
#include <stdexcept>

namespace peregrine::outputs {
namespace {

constexpr const char* kPriorities =
    "unknown priority (emergency, alert, critical, error, warning, notice, informational|info, debug)";

std::optional<Priority> read_priority(config::NodeReader& node, const std::string& key) {
  const std::string p = node.str(key, "");
  if (p.empty()) return std::nullopt;
  auto pr = parse_priority(p);
  if (!pr) node.fail(key, kPriorities);
  return *pr;
}

bool is_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool rule_matches(const std::string& pattern, const std::string& rule) {
  return is_glob(pattern) ? ::fnmatch(pattern.c_str(), rule.c_str(), 0) == 0 : pattern == rule;
}

std::string expand(const YAML::Node& n, const std::string& file, const std::string& what) {
  try {
    return config::expand_env(n.Scalar());
  } catch (const std::invalid_argument& e) {
    throw config::error_at(file, n, what + ": " + e.what());
  }
}

std::vector<std::string> scalar_list(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (n.IsScalar()) return {expand(n, file, what)};
  if (!n.IsSequence()) throw config::error_at(file, n, what + ": expected a value or a list of values");
  std::vector<std::string> out;
  for (const auto& v : n) {
    if (!v.IsScalar()) throw config::error_at(file, v, what + ": expected a value");
    out.push_back(expand(v, file, what));
  }
  return out;
}

FieldCondition read_field_condition(const std::string& field, const YAML::Node& v, const std::string& file) {
  FieldCondition c;
  c.field = field;
  const std::string what = "fields." + field;
  if (v.IsScalar()) {
    c.op = FieldCondition::Op::kEquals;
    c.values = {expand(v, file, what)};
    return c;
  }
  if (v.IsSequence()) {
    c.op = FieldCondition::Op::kIn;
    c.values = scalar_list(v, file, what);
    return c;
  }
  if (!v.IsMap() || v.size() != 1)
    throw config::error_at(file, v, what + ": expected a value, a list, or one of {equals, in, prefix, exists}");
  const std::string op = v.begin()->first.Scalar();
  const YAML::Node arg = v.begin()->second;
  if (op == "equals") {
    c.op = FieldCondition::Op::kEquals;
    if (!arg.IsScalar()) throw config::error_at(file, arg, what + ".equals: expected a value");
    c.values = {expand(arg, file, what + ".equals")};
  } else if (op == "in" || op == "prefix") {
    c.op = op == "in" ? FieldCondition::Op::kIn : FieldCondition::Op::kPrefix;
    c.values = scalar_list(arg, file, what + "." + op);
  } else if (op == "exists") {
    c.op = FieldCondition::Op::kExists;
    bool b = true;
    if (!arg.IsScalar() || !YAML::convert<bool>::decode(arg, b))
      throw config::error_at(file, arg, what + ".exists: expected true or false");
    c.exists = b;
  } else {
    throw config::error_at(file, v, what + ": unknown condition '" + op + "' (equals, in, prefix, exists)");
  }
  return c;
}

RouteMatch read_criteria(config::NodeReader& r) {
  RouteMatch m;
  config::NodeReader prio = r.sub("priority");
  m.min_priority = read_priority(prio, "min");
  m.max_priority = read_priority(prio, "max");
  prio.finish();
  // Lower enum value = more severe: min allows min and more severe, max allows max and less severe.
  if (m.min_priority && m.max_priority && *m.max_priority > *m.min_priority)
    r.fail("priority", "max is less severe than min: no priority can match");
  m.rules = r.strings("rules");
  YAML::Node tags = r.child("tags");
  if (tags.IsDefined() && !tags.IsNull()) {
    if (tags.IsMap()) {
      config::NodeReader t(tags, r.file(), r.section() + ".tags");
      m.tags_any = t.strings("any");
      m.tags_all = t.strings("all");
      t.finish();
    } else {
      m.tags_any = scalar_list(tags, r.file(), "tags");
    }
  }
  m.sources = r.strings("source");
  YAML::Node fields = r.child("fields");
  if (fields.IsDefined() && !fields.IsNull()) {
    if (!fields.IsMap()) r.fail("fields", "expected a map of field name to condition");
    for (const auto& kv : fields) m.fields.push_back(read_field_condition(kv.first.Scalar(), kv.second, r.file()));
  }
  r.finish();
  return m;
}

bool has_tag(const Alert& a, const std::string& t) { return std::find(a.tags.begin(), a.tags.end(), t) != a.tags.end(); }

bool field_holds(const FieldCondition& c, const Alert& a) {
  const auto v = field_text(a, c.field);
  switch (c.op) {
    case FieldCondition::Op::kExists:
      return v.has_value() == c.exists;
    case FieldCondition::Op::kEquals:
    case FieldCondition::Op::kIn:
      return v && std::find(c.values.begin(), c.values.end(), *v) != c.values.end();
    case FieldCondition::Op::kPrefix:
      return v && std::any_of(c.values.begin(), c.values.end(), [&](const std::string& p) { return v->rfind(p, 0) == 0; });
  }
  return false;
}

}  // namespace

bool RouteMatch::empty() const { return *this == RouteMatch{}; }

Route parse_route(config::NodeReader& node) {
  Route route;
  // The shorthands first; they and `match` fill the same criteria, so giving both is an error.
  const auto min = read_priority(node, "min_priority");
  const auto rules = node.strings("rules");
  const auto tags = node.strings("tags");
  config::NodeReader match = node.sub("match");
  route.match = read_criteria(match);
  if (min) {
    if (route.match.min_priority) node.fail("min_priority", "given twice: here and as match.priority.min");
    route.match.min_priority = min;
  }
  if (!rules.empty()) {
    if (!route.match.rules.empty()) node.fail("rules", "given twice: here and as match.rules");
    route.match.rules = rules;
  }
  if (!tags.empty()) {
    if (!route.match.tags_any.empty()) node.fail("tags", "given twice: here and as match.tags");
    route.match.tags_any = tags;
  }
  config::NodeReader exclude = node.sub("exclude");
  route.exclude = read_criteria(exclude);
  return route;
}

bool criteria_hold(const RouteMatch& m, const Alert& a) {
  // Lower enum value = more severe (Falco numbering).
  if (m.min_priority && a.priority > *m.min_priority) return false;
  if (m.max_priority && a.priority < *m.max_priority) return false;
  if (!m.rules.empty() &&
      std::none_of(m.rules.begin(), m.rules.end(), [&](const std::string& p) { return rule_matches(p, a.rule); }))
    return false;
  if (!m.tags_any.empty() && std::none_of(m.tags_any.begin(), m.tags_any.end(), [&](auto& t) { return has_tag(a, t); }))
    return false;
  if (!std::all_of(m.tags_all.begin(), m.tags_all.end(), [&](auto& t) { return has_tag(a, t); })) return false;
  if (!m.sources.empty() && std::find(m.sources.begin(), m.sources.end(), a.source) == m.sources.end()) return false;
  return std::all_of(m.fields.begin(), m.fields.end(), [&](const FieldCondition& c) { return field_holds(c, a); });
}

bool route_matches(const Route& route, const Alert& alert) {
  if (!criteria_hold(route.match, alert)) return false;
  return route.exclude.empty() || !criteria_hold(route.exclude, alert);
}

std::optional<std::string> field_text(const Alert& alert, const std::string& field) {
  auto it = alert.output_fields.find(field);
  if (it == alert.output_fields.end()) return std::nullopt;
  return std::visit(
      [](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return std::nullopt;
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else if constexpr (std::is_same_v<T, bool>) return std::string(v ? "true" : "false");
        else return std::to_string(v);
      },
      it->second);
}

}  // namespace peregrine::outputs
