// Stage 1 of loading: YAML text -> decoded items with positions, handed to the Collector.
//
// A rules file is a (multi-document) YAML sequence of maps. The kind of an item is the first of these keys present:
// required_engine_version, required_plugin_versions, list, macro, rule. A file stops at its first error; earlier
// items stay collected (as in Falco).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rules/collector.h"
#include "engine/rules/load_result.h"

namespace peregrine::engine {

struct Semver {
  int major = 0, minor = 0, patch = 0;
  std::string str() const;
};

/// The Falco rules-engine version whose semantics this loader implements (see docs/rules.md). The official
/// syscall rules require 0.57.0 and the k8s audit rules 0.15.0; requirements must have the same major and be <=.
inline constexpr Semver kEngineVersion{0, 57, 0};

/// Plugins that Peregrine provides as built-in field families, with the plugin version whose fields we implement.
struct BuiltinPlugin {
  std::string_view name;
  Semver version;
};
inline constexpr BuiltinPlugin kBuiltinPlugins[] = {
    {"container", {0, 4, 0}},   // container.*, k8s.ns.name, k8s.pod.name come with every syscall event
    {"k8saudit", {0, 18, 0}},   // ka.* fields over k8s_audit events
    {"json", {0, 7, 0}},        // jevt.* / json.* fields over k8s_audit events
};

/// "x.y.z" only.
std::optional<Semver> parse_semver(std::string_view s);
/// Same major and `have >= want`.
bool semver_compatible(const Semver& have, const Semver& want);

/// Reads one file's content into `col`. Returns false if the content had an error (the rest of the file is
/// skipped). Diagnostics go to `res`.
bool read_rules_content(const std::string& content, const std::string& file_name, Collector& col, LoadResult& res);

/// Checks the plugin requirements collected so far against kBuiltinPlugins; errors go to `res`.
void check_plugin_requirements(const Collector& col, LoadResult& res);

}  // namespace peregrine::engine
