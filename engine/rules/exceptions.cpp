#include "engine/rules/exceptions.h"

#include <algorithm>
#include <array>
#include <set>

#include "engine/rules/collector.h"

namespace peregrine::engine {
namespace {

constexpr std::array<std::string_view, 19> kComparisonOps = {
    "=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith", "bstartswith",
    "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch"};

bool valid_comp(const std::string& op) {
  if (std::find(kComparisonOps.begin(), kComparisonOps.end(), op) != kComparisonOps.end()) return true;
  // A string operator with a modifier: "startswith oneof".
  auto sp = op.find(' ');
  if (sp == std::string::npos) return false;
  std::string base = op.substr(0, sp), mod = op.substr(sp + 1);
  return std::find(kComparisonOps.begin(), kComparisonOps.end(), base) != kComparisonOps.end() &&
         (mod == "oneof" || mod == "anyof" || mod == "allof");
}

std::string scalar_text(const YAML::Node& n, const ItemContext& ctx, const char* what) {
  if (!n.IsScalar()) {
    throw LoadError(LoadCode::kErrYamlValidate, std::string("Expected a scalar value for ") + what, ctx);
  }
  charge_decoded_bytes(n.Scalar().size(), ctx);
  return n.Scalar();
}

ExceptionValue decode_value_element(const YAML::Node& n, const ItemContext& ctx) {
  ExceptionValue v;
  if (n.IsSequence()) {
    v.is_list = true;
    for (const auto& e : n) v.items.push_back(scalar_text(e, ctx, "exception value list element"));
  } else {
    v.item = scalar_text(n, ctx, "exception value");
  }
  return v;
}

/// YAML aliases make it cheap to write a values list that expands to billions of strings ("billion
/// laughs"); count while decoding and refuse beyond this.
constexpr size_t kMaxExceptionValueStrings = 100'000;

void count_value(size_t& budget, size_t n, const ItemContext& ctx) {
  if (n > budget) {
    throw LoadError(LoadCode::kErrYamlValidate,
                    "Rule exception values have more than " + std::to_string(kMaxExceptionValueStrings) + " strings",
                    ctx);
  }
  budget -= n;
}

ExceptionInfo decode_one(const YAML::Node& n, const ItemContext& ctx) {
  if (!n.IsMap()) throw LoadError(LoadCode::kErrYamlValidate, "Rule exception must be a map", ctx);
  ExceptionInfo ex;
  if (!n["name"] || !n["name"].IsScalar() || n["name"].Scalar().empty()) {
    throw LoadError(LoadCode::kErrYamlValidate, "Item has no mapping for key 'name'", ctx);
  }
  ex.name = n["name"].Scalar();
  if (const auto f = n["fields"]) {
    if (f.IsSequence()) {
      ex.fields_is_list = true;
      for (const auto& e : f) ex.fields.push_back(scalar_text(e, ctx, "exception field"));
    } else {
      ex.fields.push_back(scalar_text(f, ctx, "exception fields"));
    }
  }
  if (const auto c = n["comps"]) {
    if (c.IsSequence()) {
      for (const auto& e : c) ex.comps.push_back(scalar_text(e, ctx, "exception comp"));
    } else {
      ex.comps.push_back(scalar_text(c, ctx, "exception comps"));
    }
  }
  if (const auto vals = n["values"]) {
    if (!vals.IsSequence()) throw LoadError(LoadCode::kErrYamlValidate, "Rule exception values must be a list", ctx);
    ex.has_values = true;
    size_t budget = kMaxExceptionValueStrings;
    for (const auto& tuple : vals) {
      count_value(budget, tuple.IsSequence() ? tuple.size() : 1, ctx);
      if (tuple.IsSequence()) {
        for (const auto& e : tuple) {
          if (e.IsSequence()) count_value(budget, e.size(), ctx);
        }
      }
      std::vector<ExceptionValue> t;
      if (tuple.IsSequence() && (ex.fields_is_list || ex.fields.empty())) {
        for (const auto& e : tuple) t.push_back(decode_value_element(e, ctx));
      } else if (ex.fields_is_list) {
        throw LoadError(LoadCode::kErrValidate,
                        "Expected values array for exception " + ex.name + " to contain a list of strings", ctx);
      } else {
        t.push_back(decode_value_element(tuple, ctx));  // a list here is rejected when the condition is built
      }
      ex.values.push_back(std::move(t));
    }
  }
  return ex;
}

std::string paren_item(const std::string& s) { return (!s.empty() && s[0] == '(') ? s : "(" + s + ")"; }

std::string render_list(const std::vector<std::string>& items) {
  std::string out = "(";
  for (size_t i = 0; i < items.size(); ++i) {
    std::string t = items[i];
    quote_item(t);
    if (i > 0) out += ", ";
    out += t;
  }
  return out + ")";
}

}  // namespace

void quote_item(std::string& s) {
  if (s.find(' ') != std::string::npos && !s.empty() && s[0] != '"' && s[0] != '\'') s = "\"" + s + "\"";
}

bool is_list_operator(const std::string& op) { return op == "in" || op == "intersects" || op == "pmatch"; }

std::vector<ExceptionInfo> decode_exceptions(const YAML::Node& node, const ItemContext& ctx, LoadResult& res) {
  if (!node.IsSequence()) throw LoadError(LoadCode::kErrYamlValidate, "Rule exceptions must be a list", ctx);
  std::vector<ExceptionInfo> out;
  std::set<std::string> names;
  for (const auto& n : node) {
    ExceptionInfo ex = decode_one(n, ctx);
    if (!names.insert(ex.name).second) {
      res.add(make_diagnostic(LoadCode::kExceptionNameNotUnique,
                              "Multiple definitions of exception '" + ex.name + "' in the same rule", ctx));
    }
    if (!ex.fields.empty()) validate_exception(ex, ctx);
    out.push_back(std::move(ex));
  }
  return out;
}

void validate_exception(ExceptionInfo& ex, const ItemContext& ctx) {
  if (ex.fields_is_list) {
    if (ex.comps.empty()) ex.comps.assign(ex.fields.size(), "=");
    if (ex.comps.size() != ex.fields.size()) {
      throw LoadError(LoadCode::kErrValidate, "Fields and comps lists must have equal length", ctx);
    }
    for (const auto& c : ex.comps) {
      if (!valid_comp(c)) throw LoadError(LoadCode::kErrValidate, "Invalid comparison operator '" + c + "'", ctx);
    }
    return;
  }
  if (ex.comps.empty()) ex.comps.push_back("in");
  const auto& c = ex.comps.front();
  if (ex.comps.size() != 1 || !(is_list_operator(c) || (valid_comp(c) && c.find(' ') != std::string::npos))) {
    throw LoadError(LoadCode::kErrValidate,
                    "When fields is a single value and not list, comps must be one of (in, pmatch, intersects)", ctx);
  }
}

std::string build_exception_condition(const std::string& cond, const std::vector<ExceptionInfo>& exceptions,
                                      const ItemContext& ctx) {
  std::string out = "(" + cond + ")";
  for (const auto& ex : exceptions) {
    std::string icond;
    if (!ex.fields_is_list) {
      for (const auto& tuple : ex.values) {
        if (tuple.size() != 1 || tuple.front().is_list) {
          throw LoadError(LoadCode::kErrValidate, "Expected values array to contain a list of strings", ctx);
        }
        icond += icond.empty() ? "(" + ex.fields.front() + " " + ex.comps.front() + " (" : ", ";
        std::string v = tuple.front().item;
        quote_item(v);
        icond += v;
      }
      if (!icond.empty()) icond += "))";
    } else {
      for (const auto& tuple : ex.values) {
        if (tuple.size() != ex.fields.size()) {
          throw LoadError(LoadCode::kErrValidate, "Fields and values lists must have equal length", ctx);
        }
        icond += icond.empty() ? "((" : " or (";
        for (size_t k = 0; k < tuple.size(); ++k) {
          std::string value;
          if (tuple[k].is_list) {
            value = render_list(tuple[k].items);
          } else if (is_list_operator(ex.comps[k])) {
            value = paren_item(tuple[k].item);
          } else {
            value = tuple[k].item;
            quote_item(value);
          }
          icond += (k == 0 ? " " : " and ") + ex.fields[k] + " " + ex.comps[k] + " " + value;
        }
        icond += ")";
      }
      if (!icond.empty()) icond += ")";
    }
    if (!icond.empty()) out += " and not " + icond;
  }
  return out;
}

}  // namespace peregrine::engine
