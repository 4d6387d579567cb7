#include "engine/filter/open_prefilter.h"

#include "engine/filter/evttypes.h"

namespace peregrine::engine {
namespace {

// A disjunction of terms: {} accepts no open, {OpenFilterTerm{}} accepts every open.
using Terms = std::vector<OpenFilterTerm>;

// Cross products grow fast; past this many terms a side is widened to one term first.
constexpr size_t kMaxWorkingTerms = 64;

Terms all_opens() { return {OpenFilterTerm{}}; }

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

OpenFilterTerm intersect(const OpenFilterTerm& a, const OpenFilterTerm& b) {
  OpenFilterTerm t;
  t.write_only = a.write_only || b.write_only;
  if (a.any_path || b.any_path) {
    const OpenFilterTerm& paths = a.any_path ? b : a;
    t.any_path = paths.any_path;
    t.prefixes = paths.prefixes;
    t.exact = paths.exact;
    return t;
  }
  t.any_path = false;  // possibly no path left: then only paths the kernel cannot judge pass
  for (const auto& pa : a.prefixes)
    for (const auto& pb : b.prefixes) {
      if (starts_with(pb, pa)) t.prefixes.push_back(pb);
      else if (starts_with(pa, pb)) t.prefixes.push_back(pa);
    }
  for (const auto& e : a.exact)
    if (term_covers_path(b, e)) t.exact.push_back(e);
  for (const auto& e : b.exact)
    if (term_covers_path(a, e)) t.exact.push_back(e);
  return t;
}

OpenFilterTerm widen(const Terms& ts) {
  OpenFilterTerm w = ts.front();
  for (size_t i = 1; i < ts.size(); ++i) w = merge_terms(std::move(w), ts[i]);
  return w;
}

Terms bounded(Terms ts) {
  if (ts.size() > kMaxWorkingTerms) return {widen(ts)};
  return ts;
}

EventTypeSet open_family() {
  EventTypeSet s;
  for (auto t : {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2, EventType::kCreat})
    s.set(static_cast<size_t>(t));
  return s;
}

bool is_path_field(const Ast& f) {
  return f.kind == AstKind::kField && !f.has_arg && (f.text == "fd.name" || f.text == "fd.nameraw");
}

std::vector<std::string> values(const Ast& rhs) {
  std::vector<std::string> out;
  if (rhs.kind == AstKind::kValue) {
    out.push_back(rhs.text);
  } else if (rhs.kind == AstKind::kList) {
    for (const auto& v : rhs.children) {
      if (v->kind != AstKind::kValue) return {};
      out.push_back(v->text);
    }
  }
  return out;
}

OpenFilterTerm path_term() {
  OpenFilterTerm t;
  t.any_path = false;
  return t;
}

Terms check(const Ast& a) {
  if ((event_types(a) & open_family()).none()) return {};
  if (a.children.size() != 2 || !a.modifier.empty()) return all_opens();
  const Ast& lhs = *a.children[0];
  const Ast& rhs = *a.children[1];
  const std::string& op = a.text;
  if (rhs.kind != AstKind::kValue && rhs.kind != AstKind::kList) return all_opens();
  const auto vals = values(rhs);
  if (lhs.kind == AstKind::kField && !lhs.has_arg && lhs.text == "evt.is_open_write" &&
      (op == "=" || op == "==") && vals.size() == 1 && vals[0] == "true") {
    OpenFilterTerm t;
    t.write_only = true;
    return {t};
  }
  const bool dir = lhs.kind == AstKind::kField && !lhs.has_arg && lhs.text == "fd.directory";
  if ((!is_path_field(lhs) && !dir) || vals.empty()) return all_opens();
  OpenFilterTerm t = path_term();
  if (op == "=" || op == "==" || op == "in") {
    for (const auto& v : vals) {
      if (dir) t.prefixes.push_back(v == "/" ? v : v + "/");
      else t.exact.push_back(v);
    }
  } else if (op == "startswith" || (op == "pmatch" && !dir)) {
    t.prefixes = vals;
  } else if (op == "glob" && !dir) {
    const auto& g = vals[0];
    const size_t wild = g.find_first_of("*?[\\");
    if (wild == std::string::npos) t.exact.push_back(g);
    else t.prefixes.push_back(g.substr(0, wild));
  } else if (op == "contains" && !dir && vals.size() == 1 &&
             (vals[0].find("../") != std::string::npos || vals[0].find("/..") != std::string::npos)) {
    // Only a path with a ".." component contains this, and the kernel never judges such a path: no path
    // passes by name, the "cannot judge" rule lets those through.
  } else {
    return all_opens();
  }
  return {t};
}

Terms eval(const Ast& a) {
  switch (a.kind) {
    case AstKind::kAnd: {
      Terms acc = all_opens();
      for (const auto& c : a.children) {
        Terms side = eval(*c);
        Terms next;
        for (const auto& x : acc)
          for (const auto& y : side) next.push_back(intersect(x, y));
        acc = bounded(std::move(next));
        if (acc.empty()) break;
      }
      return acc;
    }
    case AstKind::kOr: {
      Terms acc;
      for (const auto& c : a.children) {
        Terms side = eval(*c);
        acc.insert(acc.end(), side.begin(), side.end());
      }
      return bounded(std::move(acc));
    }
    case AstKind::kNot:
      return (event_types(a) & open_family()).none() ? Terms{} : all_opens();
    case AstKind::kCheck:
      return check(a);
    default:
      return all_opens();
  }
}

}  // namespace

OpenFilter open_prefilter(const Ast& condition) {
  OpenFilter f;
  f.pass_all = false;
  f.terms = eval(condition);
  normalize_open_filter(f);
  return f;
}

}  // namespace peregrine::engine
