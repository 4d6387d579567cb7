// Rule exceptions: decoding `exceptions:` YAML and compiling them into condition text exactly as Falco does.
//
//   list form   fields: [f1, f2]  comps: [=, in]  values: [[a, [b, c]], ...]
//               -> (COND) and not (( f1 = a and f2 in (b, c)) or ( ... ))
//   scalar form fields: f  comps: in  values: [a, b]
//               -> (COND) and not (f in (a, b))
// Values are double-quoted only when they contain a space and are not already quoted; a scalar value under a
// list operator (in, intersects, pmatch) is wrapped in parentheses.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "engine/rules/rule_items.h"

namespace peregrine::engine {

/// Decodes the `exceptions` sequence of a rule item. Throws LoadError on shape errors; duplicate names give a
/// LOAD_EXCEPTION_NAME_NOT_UNIQUE warning in `res`.
std::vector<ExceptionInfo> decode_exceptions(const YAML::Node& node, const ItemContext& ctx, LoadResult& res);

/// Checks comps against the form and fills defaults (list form: "=" per field; scalar form: "in").
/// Throws LoadError(LOAD_ERR_VALIDATE).
void validate_exception(ExceptionInfo& ex, const ItemContext& ctx);

/// `"(" + cond + ")"` plus one ` and not (...)` per exception that has values. Throws LoadError on shape errors.
std::string build_exception_condition(const std::string& cond, const std::vector<ExceptionInfo>& exceptions,
                                      const ItemContext& ctx);

/// Falco's quoting of list items and exception values: add "…" if the text has a space and is not quoted.
void quote_item(std::string& s);

/// True for operators whose right-hand side is a list: in, intersects, pmatch.
bool is_list_operator(const std::string& op);

}  // namespace peregrine::engine
