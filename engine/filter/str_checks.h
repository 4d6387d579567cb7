// Specialised string checks for the most common shape: a scalar field, one operator, no modifier
// (`fd.name startswith /etc`, `proc.name = bash`, `proc.name in (shell_binaries)`). The general StrCheck goes
// through StrPredicate::test and compare_strings, two calls and two switches per check; these decide the operator
// at compile time and compare inline. Same results: the constants are StrPredicate's own.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "engine/fields/eval_context.h"
#include "engine/filter/nodes.h"
#include "engine/filter/predicates.h"

namespace peregrine::engine {

template <StrOp Op>
class ScalarStrCheck final : public Node {
 public:
  ScalarStrCheck(std::shared_ptr<const Extractor> ex, StrPredicate p)
      : ex_(std::move(ex)), pred_(std::move(p)), c_(pred_.value()), set_(pred_.set()) {}
  bool eval(EvalContext& ctx) const override {
    const ExtractedValue& v = ex_->get(ctx);
    if (!v.present) return false;
    const std::string_view s = v.str;
    if constexpr (Op == StrOp::kEq) return s == c_;
    if constexpr (Op == StrOp::kNe) return s != c_;
    if constexpr (Op == StrOp::kStartsWith)
      return s.size() >= c_.size() && std::memcmp(s.data(), c_.data(), c_.size()) == 0;
    if constexpr (Op == StrOp::kEndsWith)
      return s.size() >= c_.size() && std::memcmp(s.data() + (s.size() - c_.size()), c_.data(), c_.size()) == 0;
    if constexpr (Op == StrOp::kContains) return s.find(c_) != std::string_view::npos;
    if constexpr (Op == StrOp::kIn) return set_->find(s) != set_->end();
    return false;
  }

 private:
  std::shared_ptr<const Extractor> ex_;
  StrPredicate pred_;  // owns the constant and the set
  std::string_view c_;
  const StringSet* set_;
};

/// A specialised node for `op`, or nullptr when the general StrCheck must handle it.
inline NodePtr make_scalar_str_check(std::shared_ptr<const Extractor> ex, StrPredicate p) {
  switch (p.op()) {
    case StrOp::kEq: return std::make_shared<ScalarStrCheck<StrOp::kEq>>(std::move(ex), std::move(p));
    case StrOp::kNe: return std::make_shared<ScalarStrCheck<StrOp::kNe>>(std::move(ex), std::move(p));
    case StrOp::kStartsWith: return std::make_shared<ScalarStrCheck<StrOp::kStartsWith>>(std::move(ex), std::move(p));
    case StrOp::kEndsWith: return std::make_shared<ScalarStrCheck<StrOp::kEndsWith>>(std::move(ex), std::move(p));
    case StrOp::kContains: return std::make_shared<ScalarStrCheck<StrOp::kContains>>(std::move(ex), std::move(p));
    case StrOp::kIn: return std::make_shared<ScalarStrCheck<StrOp::kIn>>(std::move(ex), std::move(p));
    default: return nullptr;
  }
}

}  // namespace peregrine::engine
