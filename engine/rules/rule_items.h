// The text-level model of a rules file: lists, macros, rules and exceptions as the reader decodes them and the
// collector merges them (define / append / replace). Nothing here is compiled yet; conditions are still text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/alert.h"
#include "engine/rules/load_result.h"

namespace peregrine::engine {

/// Where an item came from, kept for every diagnostic about it.
struct ItemContext {
  SourcePosition pos;          // the item's first key
  std::string item_type;       // "list", "macro", "rule", ...
  std::string name;
  std::string snippet;         // the item's YAML text
  SourcePosition condition_pos;  // the condition scalar, if any
};

struct ListInfo {
  std::string name;
  std::vector<std::string> items;
  ItemContext ctx;
  size_t index = 0;            // definition order
  bool used = false;
};

struct MacroInfo {
  std::string name;
  std::string condition;
  ItemContext ctx;
  size_t index = 0;            // definition order
  size_t visibility = 0;       // sees macros with index < visibility (set at its last definition/append)
  bool used = false;
};

/// One element of an exception value tuple: a scalar or a YAML list of scalars.
struct ExceptionValue {
  bool is_list = false;
  std::string item;
  std::vector<std::string> items;
};

/// `{name, fields, comps, values}`. `fields_is_list` selects the list form (tuples) or the scalar form.
struct ExceptionInfo {
  std::string name;
  bool fields_is_list = false;
  std::vector<std::string> fields;   // one element in the scalar form
  std::vector<std::string> comps;    // defaulted by the reader: "=" per field (list form) or "in" (scalar form)
  std::vector<std::vector<ExceptionValue>> values;  // scalar form: each tuple has one scalar
  bool has_values = false;
};

/// The merged definition of a rule.
struct RuleInfo {
  std::string name;
  std::string condition;
  std::string output;
  std::string desc;
  Priority priority = Priority::kWarning;
  std::string source = "syscall";
  bool enabled = true;
  std::set<std::string> tags;
  std::vector<ExceptionInfo> exceptions;
  bool capture = false;
  uint64_t capture_duration = 0;
  bool warn_evttypes = true;
  bool skip_if_unknown_filter = false;
  ItemContext ctx;
  size_t index = 0;            // definition order (kept by plain redefinitions)
};

enum class OverrideMode : uint8_t { kAppend, kReplace };

/// A decoded `- rule:` item before merging: every key optional.
struct RuleUpdate {
  std::string name;
  ItemContext ctx;
  std::optional<std::string> condition, output, desc, source;
  std::optional<Priority> priority;
  std::optional<bool> enabled, capture, warn_evttypes, skip_if_unknown_filter;
  std::optional<uint64_t> capture_duration;
  std::optional<std::set<std::string>> tags;
  std::optional<std::vector<ExceptionInfo>> exceptions;
  bool legacy_append = false;                   // `append: true`
  std::map<std::string, OverrideMode> overrides;  // `override: {key: append|replace}`
};

/// `required_plugin_versions` entry with its alternatives.
struct PluginRequirement {
  std::string name;
  std::string version;
  std::vector<std::pair<std::string, std::string>> alternatives;
  ItemContext ctx;
};

}  // namespace peregrine::engine
