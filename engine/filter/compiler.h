// Compiles a (macro-expanded) condition AST into a tree of small evaluable nodes.
//
// Everything is resolved here, once: extractor pointers (shared through ExtractorPool), constants converted to
// the field's type, `in`/`intersects` hash sets, `pmatch` path-prefix tries, RE2 objects, hex byte strings.
// Filter::eval() then does no string parsing, no map look-up by name and no allocation.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/fields/eval_context.h"
#include "engine/fields/registry.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

class FilterNodePool;
class Node;

/// A non-fatal finding while compiling. Codes follow Falco's load-result names where one exists:
/// LOAD_UNSAFE_NA_CHECK, LOAD_DEPRECATED_ITEM, LOAD_UNKNOWN_FILTER, LOAD_COMPILE_CONDITION (RHS looks like a field).
struct Diagnostic {
  std::string code;
  std::string message;
  size_t offset = 0;   // byte offset into the condition text (from Ast::offset)
};

/// Codes carried by a compile failure (CompileFailure::code).
inline constexpr std::string_view kErrUnknownField = "LOAD_ERR_UNKNOWN_FIELD";   // skip-if-unknown-filter applies
inline constexpr std::string_view kErrCompile = "LOAD_ERR_COMPILE_CONDITION";

struct CompileFailure {
  std::string code;       // kErrUnknownField or kErrCompile
  std::string message;
  size_t offset = 0;
  std::string field;      // for kErrUnknownField: the unknown field name
};

struct CompileOptions {
  /// When true, a check on an unknown field compiles to "never true" plus a LOAD_UNKNOWN_FILTER warning
  /// instead of failing.
  bool skip_unknown_fields = false;
  /// Extractor sharing; nullptr = default_extractor_pool().
  ExtractorPool* pool = nullptr;
  /// Sub-condition sharing and per-event memoisation (engine/filter/nodes.h); nullptr = none. Every filter
  /// compiled with one pool must be evaluated with one EvalContext per thread (memo slots are per pool).
  FilterNodePool* nodes = nullptr;
  /// Source of the rule (k8s_audit rules may only use k8s audit fields and the generic ones).
  EventSource source = EventSource::kSyscall;
};

/// A compiled condition.
class Filter {
 public:
  virtual ~Filter() = default;
  /// True if the condition matches ctx's current event. Never throws, never allocates in steady state.
  virtual bool eval(EvalContext& ctx) const = 0;
  /// The memo slot of a shared sub-condition that must hold for this filter to match (its first conjunct, when
  /// compiled with a FilterNodePool), or -1. When the context already holds `false` there for the current
  /// event, eval() would return false: the rule engine skips the rule without walking it.
  virtual int32_t guard_memo_id() const { return -1; }
  /// The root edge, for load-time passes over every rule's nodes (drop_unshared_memos), or null.
  virtual std::shared_ptr<const Node>* root_edge() { return nullptr; }
  /// Recomputes guard_memo_id() after such a pass changed the nodes.
  virtual void refresh_guard() {}
  /// The root node: eval() is root_node()->eval(); the rule engine calls it directly (one indirection less per
  /// rule per event). Null when the filter is not a node tree.
  virtual const Node* root_node() const { return nullptr; }
};

/// Compiles `ast`. Warnings are appended to `warnings` when given; on failure `failure` (when given)
/// receives the code/offset. The Error message is the Falco-like text.
Result<std::unique_ptr<Filter>> compile_filter(const Ast& ast, const FieldRegistry& registry,
                                               std::vector<Diagnostic>* warnings,
                                               const CompileOptions& options = {},
                                               CompileFailure* failure = nullptr);

/// True if an Error from compile_filter() is the unknown-field error.
bool is_unknown_field_error(const Error& e);

}  // namespace peregrine::engine
