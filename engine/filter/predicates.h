// Compiled comparison primitives used by the filter nodes: string predicates (with their constants already
// prepared: lower-cased needles, decoded hex, RE2 programs, hash sets, path tries), glob matching and IP/CIDR
// matching. All test() functions are allocation-free.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <re2/re2.h>

#include "common/result.h"
#include "engine/fields/field.h"

namespace peregrine::engine {

/// Falco-compatible glob: '*' any run (including '/'), '?' one char, '[...]' class with ranges and '!'/'^'
/// negation, '\' escapes the next char.
bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive);

/// Hex text ("7f454c46") to bytes; error on odd length or non-hex characters.
Result<std::string> decode_hex(std::string_view hex);

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, SvHash, std::equal_to<>>;

/// Path-prefix set for pmatch: "/etc" matches "/etc" and "/etc/passwd" but not "/etcx".
class PathPrefixSet {
 public:
  void add(std::string_view path);
  bool matches(std::string_view path) const;

 private:
  struct Node {
    bool terminal = false;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
  };
  Node root_;
};

enum class StrOp : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe, kContains, kIContains, kStartsWith, kEndsWith, kGlob, kIGlob, kRegex,
  kBContains, kBStartsWith, kIn, kPmatch
};

/// Maps an operator token to StrOp; false if not a string operator.
bool str_op_from_text(std::string_view op, StrOp* out);

/// A string predicate with a prepared constant (or set).
class StrPredicate {
 public:
  static Result<StrPredicate> make(StrOp op, const std::vector<std::string>& values);
  bool test(std::string_view v) const;
  StrOp op() const { return op_; }
  /// The prepared constant (ops with one value) and the `in` set, for specialised check nodes.
  const std::string& value() const { return value_; }
  const StringSet* set() const { return set_.get(); }

 private:
  StrOp op_ = StrOp::kEq;
  std::string value_;                 // exact / lower-cased / decoded bytes / glob pattern
  std::shared_ptr<re2::RE2> re_;
  std::shared_ptr<StringSet> set_;
  std::shared_ptr<PathPrefixSet> paths_;
};

/// Compares two runtime strings with a dynamic operator (val() / transformer RHS).
bool compare_strings(StrOp op, std::string_view lhs, std::string_view rhs);

/// An IP address or CIDR network constant.
struct IpNet {
  IpAddr addr;
  int prefix = 0;  // bits
};
Result<IpNet> parse_ip_or_cidr(std::string_view text);
bool ip_in_net(const IpAddr& ip, const IpNet& net);

}  // namespace peregrine::engine
