// The field registry (name → FieldInfo) and the extractor pool that shares one extractor (and so one cache
// slot) between every rule that reads the same field text.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/fields/field.h"

namespace peregrine::engine {

class FieldRegistry {
 public:
  /// Adds a field; throws std::invalid_argument on a duplicate name (load time only).
  void add(FieldInfo info);

  /// Exact lookup by name.
  const FieldInfo* find(std::string_view name) const;

  /// Resolves a field name as written in a condition: exact name, or a kFieldDotSuffix field whose name
  /// followed by '.' prefixes `name` (evt.arg.flags → evt.arg with suffix "flags"). `suffix` receives it.
  const FieldInfo* resolve(std::string_view name, std::string* suffix) const;

  /// Every field, sorted by name (for --list-fields and docs).
  void for_each_field(const std::function<void(const FieldInfo&)>& fn) const;
  size_t size() const { return fields_.size(); }

 private:
  std::map<std::string, FieldInfo, std::less<>> fields_;
};

/// Registers every built-in family, explicitly.
void register_builtin_fields(FieldRegistry& registry);
// One per family (engine/fields/<family>.cpp).
void register_evt_fields(FieldRegistry& registry);
void register_proc_fields(FieldRegistry& registry);
void register_thread_fields(FieldRegistry& registry);
void register_fd_fields(FieldRegistry& registry);
void register_user_fields(FieldRegistry& registry);
void register_container_fields(FieldRegistry& registry);
void register_k8saudit_fields(FieldRegistry& registry);

/// The process-wide registry with every built-in field.
const FieldRegistry& builtin_fields();

/// Interns extractors by canonical text ("proc.aname[2]", "tolower(proc.name)") so that all filters and
/// output formats share one extractor and one per-event cache slot per distinct field text. Thread-safe.
class ExtractorPool {
 public:
  /// Returns the pooled extractor for `key`, or stores `fresh` (assigning it a slot id) and returns it.
  std::shared_ptr<const Extractor> intern(const std::string& key, std::unique_ptr<Extractor> fresh);
  /// Returns the pooled extractor for `key` or nullptr.
  std::shared_ptr<const Extractor> find(const std::string& key) const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Extractor>, std::less<>> by_key_;
  uint32_t next_slot_ = 0;
};

ExtractorPool& default_extractor_pool();

/// Builds (or fetches from `pool`) the extractor for `name[arg]`. Errors:
/// "filter_check called with nonexistent field <name>" for unknown fields (see is_unknown_field_error()).
Result<std::shared_ptr<const Extractor>> make_field_extractor(const FieldRegistry& registry, ExtractorPool& pool,
                                                              std::string_view name, bool has_arg,
                                                              std::string_view arg,
                                                              const FieldInfo** info_out = nullptr);

}  // namespace peregrine::engine
