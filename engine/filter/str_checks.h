// Specialised string checks for the most common shape: a scalar field, one operator, no modifier
// (`fd.name startswith /etc`, `proc.name = bash`, `proc.name in (shell_binaries)`). The general StrCheck goes
// through StrPredicate::test and compare_strings, two calls and two switches per check; these decide the operator
// at compile time and compare inline. Same results: the constants are StrPredicate's own.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "engine/fields/eval_context.h"
#include "engine/filter/nodes.h"
#include "engine/filter/predicates.h"
#include "engine/filter/substring.h"

namespace peregrine::engine {

template <StrOp Op>
class ScalarStrCheck final : public Node {
 public:
  ScalarStrCheck(std::shared_ptr<const Extractor> ex, StrPredicate p)
      : ex_(std::move(ex)), pred_(std::move(p)), c_(pred_.value()), set_(pred_.set()) {
    if constexpr (Op == StrOp::kIn) {
      for (const auto& m : *set_) {
        len_mask_ |= len_bit(m.size());
        if (!m.empty()) first_[static_cast<unsigned char>(m[0]) >> 6] |= uint64_t{1} << (m[0] & 63);
      }
    }
  }
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
    if constexpr (Op == StrOp::kContains) return contains_substring(s, c_);
    if constexpr (Op == StrOp::kIn) {
      // Most lookups miss: a length or first byte no member has decides without hashing.
      if ((len_mask_ & len_bit(s.size())) == 0) return false;
      if (!s.empty() && (first_[static_cast<unsigned char>(s[0]) >> 6] & (uint64_t{1} << (s[0] & 63))) == 0)
        return false;
      return set_->find(s) != set_->end();
    }
    return false;
  }

  /// For merging an Or's checks on one field (engine/filter/or_merge.h).
  const std::shared_ptr<const Extractor>& extractor() const { return ex_; }
  std::string_view constant() const { return c_; }
  const StringSet* set() const { return set_; }

 private:
  static uint64_t len_bit(size_t n) { return uint64_t{1} << (n < 63 ? n : 63); }

  std::shared_ptr<const Extractor> ex_;
  StrPredicate pred_;  // owns the constant and the set
  std::string_view c_;
  const StringSet* set_;
  uint64_t len_mask_ = 0;        // kIn: bit min(len, 63) of every member
  uint64_t first_[4] = {0, 0, 0, 0};  // kIn: the members' first bytes (an empty member sets none)
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
