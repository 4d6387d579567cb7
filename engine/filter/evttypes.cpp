#include "engine/filter/evttypes.h"

#include <algorithm>

#include "engine/filter/syscall_names.h"

namespace peregrine::engine {
namespace {

bool is_type_field(const Ast& lhs) {
  return lhs.kind == AstKind::kField && !lhs.has_arg && (lhs.text == "evt.type" || lhs.text == "syscall.type");
}

void add_name(EventTypeSet& s, std::string_view name) {
  if (auto t = event_type_from_name(name)) s.set(static_cast<size_t>(*t));
}

EventTypeSet values_set(const Ast& rhs) {
  EventTypeSet s;
  if (rhs.kind == AstKind::kValue) {
    add_name(s, rhs.text);
  } else if (rhs.kind == AstKind::kList) {
    for (const auto& v : rhs.children)
      if (v->kind == AstKind::kValue) add_name(s, v->text);
  }
  return s;
}

EventTypeSet check_set(const Ast& a, bool neg) {
  const EventTypeSet all = all_event_types();
  const Ast& lhs = *a.children[0];
  const std::string& op = a.text;
  if (lhs.kind == AstKind::kField && !lhs.has_arg && lhs.text == "evt.num" && (op == "=" || op == "==") &&
      a.children.size() > 1 && a.children[1]->kind == AstKind::kValue && a.children[1]->text == "0" &&
      a.modifier.empty()) {
    return neg ? all : EventTypeSet{};  // never_true
  }
  if (!is_type_field(lhs)) return all;  // neutral
  if (op == "exists") return neg ? EventTypeSet{} : all;
  if (a.children.size() < 2 || !a.modifier.empty()) return all;
  const Ast& rhs = *a.children[1];
  EventTypeSet s;
  if (op == "=" || op == "==" || op == "in") {
    if (rhs.kind == AstKind::kTransformer) return all;
    s = values_set(rhs);
  } else if (op == "!=") {
    if (rhs.kind == AstKind::kTransformer) return all;
    s = all & ~values_set(rhs);
  } else {
    return all;
  }
  return neg ? (all & ~s) : s;
}

EventTypeSet eval(const Ast& a, bool neg) {
  const EventTypeSet all = all_event_types();
  switch (a.kind) {
    case AstKind::kAnd:
    case AstKind::kOr: {
      bool intersect = (a.kind == AstKind::kAnd) != neg;  // De Morgan
      EventTypeSet acc = intersect ? all : EventTypeSet{};
      for (const auto& c : a.children) {
        EventTypeSet s = eval(*c, neg);
        acc = intersect ? (acc & s) : (acc | s);
      }
      return acc;
    }
    case AstKind::kNot:
      return eval(*a.children[0], !neg);
    case AstKind::kCheck:
      return check_set(a, neg);
    default:
      return all;  // unexpanded identifier or anything else: neutral
  }
}

}  // namespace

EventTypeSet all_event_types() {
  EventTypeSet s;
  s.set();
  s.reset(static_cast<size_t>(EventType::kUnknown));
  return s;
}

EventTypeSet event_types(const Ast& ast) { return eval(ast, false); }

std::vector<std::string> names(const EventTypeSet& set) {
  std::vector<std::string> out;
  for (size_t i = 0; i < set.size(); ++i)
    if (set.test(i)) out.emplace_back(event_spec(static_cast<EventType>(i)).name);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_uncaptured_event_name(std::string_view name) {
  if (event_type_from_name(name)) return false;
  const auto& n = uncaptured_event_names();
  return std::binary_search(n.begin(), n.end(), name);
}

bool is_known_event_name(std::string_view name) {
  return event_type_from_name(name).has_value() || is_uncaptured_event_name(name);
}

}  // namespace peregrine::engine
