// The abstract syntax tree of a Falco condition.
//
// One node type with a kind tag keeps cloning, printing and macro substitution to a few small functions; the
// compiler turns the tree into typed evaluable nodes, so nothing here is on the hot path.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace peregrine::engine {

enum class AstKind : unsigned char {
  kAnd,          // children: >= 2 operands
  kOr,           // children: >= 2 operands
  kNot,          // children: [operand]
  kCheck,        // text: operator; modifier; children: [lhs] (exists) or [lhs, rhs]
  kIdentifier,   // text: macro name (a bare identifier in expression position)
  kField,        // text: field name; arg/has_arg: the [..] argument
  kTransformer,  // text: transformer name (tolower, ..., "val"); children: args; arg/has_arg: trailing [..]
  kValue,        // text: literal value, already unescaped
  kList,         // children: values (kValue) or, inside a transformer, nested args
};

struct Ast;
using AstPtr = std::unique_ptr<Ast>;

struct Ast {
  AstKind kind = AstKind::kValue;
  size_t offset = 0;            // byte offset into the condition text where this node starts
  std::string text;             // see AstKind
  std::string arg;              // kField / kTransformer: argument inside [..]
  bool has_arg = false;
  std::string modifier;         // kCheck: "", "oneof", "anyof" or "allof"
  std::vector<AstPtr> children;

  /// Deep copy.
  AstPtr clone() const;
  /// Canonical text that re-parses to an equal tree: and/or always parenthesised, values quoted when needed.
  std::string to_string() const;
};

bool operator==(const Ast& a, const Ast& b);  // structural equality, ignoring offsets

// Builders (used by the parser, the rules loader for exceptions, and tests).
AstPtr make_and(std::vector<AstPtr> children, size_t offset = 0);
AstPtr make_or(std::vector<AstPtr> children, size_t offset = 0);
AstPtr make_not(AstPtr child, size_t offset = 0);
AstPtr make_identifier(std::string name, size_t offset = 0);
AstPtr make_field(std::string name, size_t offset = 0);
AstPtr make_field(std::string name, std::string arg, size_t offset = 0);
AstPtr make_value(std::string text, size_t offset = 0);
AstPtr make_list(std::vector<std::string> values, size_t offset = 0);
/// Unary (rhs == nullptr, op "exists") or binary check.
AstPtr make_check(AstPtr lhs, std::string op, AstPtr rhs, size_t offset = 0, std::string modifier = {});

/// Quote `s` for use as a condition value ("..." with escapes) when it is not a plain bare string.
std::string quote_value(std::string_view s);

}  // namespace peregrine::engine
