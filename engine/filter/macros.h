// Macro references in a condition AST: discovery and substitution.
//
// Loop detection and definition order are the rules loader's job; it can call referenced_identifiers() on
// each macro's AST to build the dependency graph before substituting.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

/// Every identifier (macro reference) in `ast`, in first-occurrence order, without duplicates.
std::vector<std::string> referenced_identifiers(const Ast& ast);

/// Replaces each identifier node by a clone of lookup(name), recursively expanding macros inside the clone
/// (depth-limited to `max_depth` to stay safe against loops the caller did not catch).
/// lookup returns nullptr for an undefined name → Error "Undefined macro '<name>' used in filter.".
Result<void> substitute_macros(AstPtr& ast, const std::function<const Ast*(std::string_view)>& lookup,
                               size_t max_depth = 1000);

}  // namespace peregrine::engine
