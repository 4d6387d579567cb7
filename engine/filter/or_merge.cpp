#include "engine/filter/or_merge.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/filter/str_checks.h"

namespace peregrine::engine {
namespace {

/// Any of several prefixes (see the header). Prefixes that extend another are dropped: for a sorted set
/// without such pairs, a prefix of `s` is the greatest element <= s, if any is.
class PrefixAnyCheck final : public Node {
 public:
  PrefixAnyCheck(std::shared_ptr<const Extractor> ex, std::vector<std::string> prefixes) : ex_(std::move(ex)) {
    std::sort(prefixes.begin(), prefixes.end());
    for (auto& p : prefixes)
      if (p_.empty() || !std::string_view(p).starts_with(p_.back())) p_.push_back(std::move(p));
  }
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    const std::string_view s = v.str;
    auto it = std::upper_bound(p_.begin(), p_.end(), s,
                               [](std::string_view a, const std::string& b) { return a < std::string_view(b); });
    if (it == p_.begin()) return false;
    --it;
    return s.starts_with(std::string_view(*it));
  }

 private:
  std::shared_ptr<const Extractor> ex_;
  std::vector<std::string> p_;
};

/// Any of several suffixes: only those ending in the value's last byte are compared.
class SuffixAnyCheck final : public Node {
 public:
  SuffixAnyCheck(std::shared_ptr<const Extractor> ex, std::vector<std::string> suffixes) : ex_(std::move(ex)) {
    for (auto& x : suffixes) {
      if (x.empty()) {
        any_ = true;  // "" ends every present value
        continue;
      }
      by_last_[static_cast<unsigned char>(x.back())].push_back(std::move(x));
    }
  }
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    const std::string_view s = v.str;
    if (any_) return true;
    if (s.empty()) return false;
    const auto it = by_last_.find(static_cast<unsigned char>(s.back()));
    if (it == by_last_.end()) return false;
    for (const auto& x : it->second)
      if (s.ends_with(std::string_view(x))) return true;
    return false;
  }

 private:
  std::shared_ptr<const Extractor> ex_;
  bool any_ = false;
  std::map<unsigned char, std::vector<std::string>> by_last_;
};

enum class Kind : uint8_t { kSet, kPrefix, kSuffix };

struct Group {
  std::shared_ptr<const Extractor> ex;
  Kind kind;
  size_t first;  // index of the first member in the original children
  size_t members = 0;
  std::vector<std::string> values;
};

/// The (kind, values) of a mergeable check, or false.
bool classify(const Node& n, Kind* kind, const Extractor** ex, std::vector<std::string>* values,
              std::shared_ptr<const Extractor>* owner) {
  if (const auto* c = dynamic_cast<const ScalarStrCheck<StrOp::kEq>*>(&n)) {
    *kind = Kind::kSet;
    values->emplace_back(c->constant());
    *owner = c->extractor();
  } else if (const auto* c = dynamic_cast<const ScalarStrCheck<StrOp::kIn>*>(&n)) {
    *kind = Kind::kSet;
    values->insert(values->end(), c->set()->begin(), c->set()->end());
    *owner = c->extractor();
  } else if (const auto* c = dynamic_cast<const ScalarStrCheck<StrOp::kStartsWith>*>(&n)) {
    *kind = Kind::kPrefix;
    values->emplace_back(c->constant());
    *owner = c->extractor();
  } else if (const auto* c = dynamic_cast<const ScalarStrCheck<StrOp::kEndsWith>*>(&n)) {
    *kind = Kind::kSuffix;
    values->emplace_back(c->constant());
    *owner = c->extractor();
  } else {
    return false;
  }
  *ex = owner->get();
  return true;
}

NodePtr build(Group& g) {
  switch (g.kind) {
    case Kind::kSet: {
      auto p = StrPredicate::make(StrOp::kIn, g.values);
      return make_scalar_str_check(g.ex, std::move(p.value()));
    }
    case Kind::kPrefix: return std::make_shared<PrefixAnyCheck>(g.ex, std::move(g.values));
    case Kind::kSuffix: return std::make_shared<SuffixAnyCheck>(g.ex, std::move(g.values));
  }
  return nullptr;
}

}  // namespace

void merge_or_checks(std::vector<NodePtr>& children) {
  std::vector<Group> groups;
  std::vector<int> group_of(children.size(), -1);
  for (size_t i = 0; i < children.size(); ++i) {
    Kind kind{};
    const Extractor* ex = nullptr;
    std::vector<std::string> values;
    std::shared_ptr<const Extractor> owner;
    if (!classify(*children[i], &kind, &ex, &values, &owner)) continue;
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const Group& x) { return x.ex.get() == ex && x.kind == kind; });
    if (g == groups.end()) {
      groups.push_back(Group{std::move(owner), kind, i, 0, {}});
      g = groups.end() - 1;
    }
    ++g->members;
    g->values.insert(g->values.end(), std::make_move_iterator(values.begin()), std::make_move_iterator(values.end()));
    group_of[i] = static_cast<int>(g - groups.begin());
  }
  std::vector<NodePtr> out;
  out.reserve(children.size());
  for (size_t i = 0; i < children.size(); ++i) {
    const int gi = group_of[i];
    if (gi < 0 || groups[static_cast<size_t>(gi)].members < 2) {
      out.push_back(std::move(children[i]));
      continue;
    }
    Group& g = groups[static_cast<size_t>(gi)];
    if (g.first == i) out.push_back(build(g));
  }
  children = std::move(out);
}

}  // namespace peregrine::engine
