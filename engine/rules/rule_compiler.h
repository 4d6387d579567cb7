// Stage 3 of loading: collected text items -> compiled rules.
//
//   lists    items naming earlier lists are expanded; items with a space are quoted
//   macros   list substitution (text) -> parse -> macro references resolved with Falco's visibility
//            (a macro sees macros defined before its last definition/append; rules see all), loops rejected
//   rules    exceptions -> condition text, list substitution, parse, macro substitution, compile_filter,
//            compile_output, event-type set
//   unused   LOAD_UNUSED_MACRO / LOAD_UNUSED_LIST warnings
// Compilation stops at the first error, as in Falco.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/open_filter.h"
#include "engine/fields/registry.h"
#include "engine/filter/compiler.h"
#include "engine/filter/evttypes.h"
#include "engine/filter/format.h"
#include "engine/rules/append_output.h"
#include "engine/rules/collector.h"
#include "engine/rules/load_result.h"

namespace peregrine::engine {

/// A rule ready for evaluation.
struct CompiledRule {
  std::string name;
  std::string desc;
  std::string source;                 // "syscall" or "k8s_audit"
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;      // sorted
  bool defined_enabled = true;        // `enabled:` as written (after overrides)
  std::string condition;              // final text after exceptions and list substitution
  std::unique_ptr<Filter> filter;
  int32_t guard = -1;                 // filter->guard_memo_id(): skip the rule when that sub-condition is false
  OutputFormat output;
  EventTypeSet evttypes;              // event types the rule can match
  OpenFilter open_filter{false, {}};  // opens the rule can match (none for k8s_audit rules)
  size_t index = 0;                   // definition order
  std::vector<std::shared_ptr<const CompiledAppend>> appends;  // engine append_output entries that match
  bool reads_proc_env = false;        // the condition (macros and exceptions included) or output reads proc.env
  bool needs_proc_env = false;        // ... or one of `appends` does (kept by RuleEngine::apply_append_output)
};

/// Compiles everything `col` holds. Diagnostics go to `res`; compiled rules (including disabled ones) are
/// appended to `out` in definition order.
void compile_rules(Collector& col, const FieldRegistry& registry, ExtractorPool& pool, LoadResult& res,
                   std::vector<std::unique_ptr<CompiledRule>>& out);

/// The source names Peregrine evaluates.
inline constexpr const char* kSourceSyscall = "syscall";
inline constexpr const char* kSourceK8sAudit = "k8s_audit";

/// 1-based line/column of byte `offset` inside `text`.
std::pair<int, int> line_column(const std::string& text, size_t offset);

}  // namespace peregrine::engine
