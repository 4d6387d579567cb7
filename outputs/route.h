// Routing per output: which alerts an output gets. Every output has the same keys (parsed by the registry):
//
//   min_priority: warning                # shorthand for match.priority.min
//   rules: ["Terminal shell*"]           # shorthand for match.rules
//   tags: [container]                    # shorthand for match.tags.any
//   match:                               # every key given must hold (AND); inside a list, any entry (OR)
//     priority: {min: warning, max: critical}   # min = at least this severe, max = at most this severe
//     rules: ["Write below etc", "Terminal shell*"]   # exact names or globs (*, ?, [...])
//     tags: {any: [container], all: [mitre_execution]}   # a plain list means any
//     source: [syscall, k8s_audit]
//     fields:                            # output_fields, by their Falco names
//       proc.name: bash                  # a scalar: equals
//       k8s.ns.name: [prod, payments]    # a list: in
//       container.image.repository: {prefix: registry.internal/}   # or {prefix: [a, b]}
//       container.id: {exists: true}     # present and not null (false: absent or null)
//   exclude: { same keys as match }      # an alert matching every key given here is left out
//
// Alerts an output's route leaves out are set aside as "filtered" (counted, never counted as delivered).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/config/node_reader.h"

namespace peregrine::outputs {

/// One condition on an output field.
struct FieldCondition {
  enum class Op { kEquals, kIn, kPrefix, kExists };
  std::string field;                // Falco field name, e.g. "k8s.ns.name", "proc.aname[2]"
  Op op = Op::kEquals;
  std::vector<std::string> values;  // equals: one; in: any of them; prefix: any of them
  bool exists = true;               // kExists: true = present and not null, false = absent or null
  bool operator==(const FieldCondition&) const = default;
};

/// A set of criteria; every one given must hold. Empty = matches everything.
struct RouteMatch {
  std::optional<Priority> min_priority;  // at least this severe
  std::optional<Priority> max_priority;  // at most this severe
  std::vector<std::string> rules;        // exact names or globs; the alert's rule must match one
  std::vector<std::string> tags_any;     // the alert carries at least one of these
  std::vector<std::string> tags_all;     // the alert carries every one of these
  std::vector<std::string> sources;      // the alert's source is one of these
  std::vector<FieldCondition> fields;    // every condition holds
  bool empty() const;
  bool operator==(const RouteMatch&) const = default;
};

struct Route {
  RouteMatch match;
  RouteMatch exclude;  // empty = excludes nothing
  bool operator==(const Route&) const = default;
};

/// Reads min_priority, rules, tags, match and exclude from an output's mapping. Throws config::ConfigError.
Route parse_route(config::NodeReader& node);

/// True when `alert` passes `route` (matches `match` and does not match a non-empty `exclude`).
bool route_matches(const Route& route, const Alert& alert);
/// True when every criterion of `m` holds for `alert`.
bool criteria_hold(const RouteMatch& m, const Alert& alert);

/// The text a field value compares as: strings as is, numbers in decimal, booleans true/false; nullopt when the
/// field is absent or null.
std::optional<std::string> field_text(const Alert& alert, const std::string& field);

}  // namespace peregrine::outputs
