#include "engine/filter/macros.h"

#include <unordered_set>

namespace peregrine::engine {
namespace {

void collect(const Ast& a, std::vector<std::string>& out, std::unordered_set<std::string>& seen) {
  if (a.kind == AstKind::kIdentifier) {
    if (seen.insert(a.text).second) out.push_back(a.text);
    return;
  }
  for (const auto& c : a.children) collect(*c, out, seen);
}

Result<void> substitute(AstPtr& node, const std::function<const Ast*(std::string_view)>& lookup, size_t depth,
                        size_t max_depth) {
  if (depth > max_depth) return make_error("Macro expansion exceeded depth " + std::to_string(max_depth) +
                                           " (recursive macro?)");
  if (node->kind == AstKind::kIdentifier) {
    const Ast* def = lookup(node->text);
    if (!def) return make_error("Undefined macro '" + node->text + "' used in filter.");
    AstPtr copy = def->clone();
    if (auto r = substitute(copy, lookup, depth + 1, max_depth); !r) return r;
    node = std::move(copy);
    return {};
  }
  // Identifiers only appear in expression position (and/or/not operands or the whole tree).
  if (node->kind == AstKind::kAnd || node->kind == AstKind::kOr || node->kind == AstKind::kNot) {
    for (auto& c : node->children) {
      if (auto r = substitute(c, lookup, depth, max_depth); !r) return r;
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> referenced_identifiers(const Ast& ast) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  collect(ast, out, seen);
  return out;
}

Result<void> substitute_macros(AstPtr& ast, const std::function<const Ast*(std::string_view)>& lookup,
                               size_t max_depth) {
  if (!ast) return make_error("null condition");
  return substitute(ast, lookup, 0, max_depth);
}

}  // namespace peregrine::engine
