// Stage 2 of loading: merge decoded items into one namespace shared by every file loaded, applying Falco's
// define / append / override(append|replace) semantics. Errors are thrown as LoadError and turned into data by
// the reader (exceptions are allowed here: this is load time only).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/rules/load_result.h"
#include "engine/rules/rule_items.h"

namespace peregrine::engine {

/// A load-time failure tied to an item; the reader converts it into a LoadDiagnostic.
class LoadError : public std::runtime_error {
 public:
  LoadError(LoadCode code, const std::string& msg, ItemContext ctx)
      : std::runtime_error(msg), code_(code), ctx_(std::move(ctx)) {}
  LoadCode code() const { return code_; }
  const ItemContext& ctx() const { return ctx_; }

 private:
  LoadCode code_;
  ItemContext ctx_;
};

/// Budget for scalar bytes decoded from one file. YAML aliases can repeat a long scalar thousands of times
/// ("billion laughs"); every decoded list item, tag and exception value is charged, and going over throws
/// LoadError(LOAD_ERR_YAML_VALIDATE). Per thread; reset at the start of each file.
inline constexpr size_t kMaxDecodedBytes = 64u << 20;
void reset_decoded_budget();
void charge_decoded_bytes(size_t n, const ItemContext& ctx);

/// Builds a LoadDiagnostic for an item.
LoadDiagnostic make_diagnostic(LoadCode code, std::string message, const ItemContext& ctx);

class Collector {
 public:
  /// Sources whose rules are kept; others give LOAD_UNKNOWN_SOURCE and are skipped.
  explicit Collector(std::vector<std::string> known_sources);

  void define_list(ListInfo info);
  void append_list(const ListInfo& info);

  void define_macro(MacroInfo info);
  void append_macro(const MacroInfo& info);

  /// Applies a decoded rule item: definition, legacy append, override append/replace, or enabled toggle.
  void apply_rule(RuleUpdate u, LoadResult& res);

  void add_plugin_requirement(PluginRequirement r) { plugin_reqs_.push_back(std::move(r)); }

  std::vector<ListInfo>& lists() { return lists_; }
  std::vector<MacroInfo>& macros() { return macros_; }
  std::vector<RuleInfo>& rules() { return rules_; }
  const std::vector<PluginRequirement>& plugin_requirements() const { return plugin_reqs_; }
  bool source_known(const std::string& s) const;

 private:
  void define_rule(RuleUpdate& u);
  void append_rule(RuleUpdate& u, bool legacy, LoadResult& res);
  void replace_rule(RuleUpdate& u);
  RuleInfo* find_rule(const std::string& name);

  std::vector<std::string> known_sources_;
  std::vector<ListInfo> lists_;
  std::map<std::string, size_t> list_index_;
  std::vector<MacroInfo> macros_;
  std::map<std::string, size_t> macro_index_;
  std::vector<RuleInfo> rules_;
  std::map<std::string, size_t> rule_index_;
  std::vector<PluginRequirement> plugin_reqs_;
};

}  // namespace peregrine::engine
