// The rule engine: loads rules files (read -> collect -> compile), indexes enabled rules by event type and
// evaluates events into Falco alerts.
//
// Index: one vector of rule pointers per EventType, in definition order, holding only enabled rules; a rule is
// listed under every type in its event-type set. process() is therefore a vector look-up plus the rules' own
// checks, and allocates nothing unless an alert is produced. Not thread-safe: one RuleEngine per evaluating
// thread (enable/disable from the same thread as process()).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/config/config.h"
#include "engine/fields/eval_context.h"
#include "engine/fields/registry.h"
#include "engine/rules/append_output.h"
#include "engine/rules/load_result.h"
#include "engine/rules/rule_compiler.h"

namespace peregrine::engine {

/// falco.yaml `rule_matching` (engine.rule_matching): one enum, the config's.
using config::RuleMatching;

class RuleEngine {
 public:
  /// Uses the built-in field registry.
  RuleEngine();
  explicit RuleEngine(const FieldRegistry& registry);
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  /// Loads the files, in order, into one namespace, replacing whatever was loaded before. Rules stay
  /// loaded only if there were no errors.
  LoadResult load_files(const std::vector<std::string>& paths);
  /// Same for in-memory content (tests, fuzzing); `name` is used in diagnostics.
  LoadResult load_string(const std::string& content, const std::string& name);
  /// Several in-memory files: {name, content} pairs, loaded in order.
  LoadResult load_contents(const std::vector<std::pair<std::string, std::string>>& files);

  /// Rules whose priority is less severe than `p` are never enabled (falco.yaml `priority`). Set before loading
  /// or call it again: it re-applies to the loaded rules.
  void set_min_priority(Priority p);
  void set_rule_matching(RuleMatching m) { matching_ = m; }
  void set_hostname(std::string h) { hostname_ = std::move(h); }
  /// falco.yaml `append_output`: kept and applied to every later load (and to the rules loaded now). An
  /// entry that does not compile is an error naming its position; nothing is applied then.
  Result<void> set_append_output(std::vector<AppendOutputSpec> specs);
  const std::string& hostname() const { return hostname_; }
  /// falco.yaml's json_include_*_property switches and time_format_iso_8601, applied to every alert built from
  /// now on: what a switch excludes is left empty in the Alert (the router's schema needs "output"; see
  /// docs/configuration.md), "message" is filled only when asked for.
  void set_output_options(const config::FalcoOutputOptions& o) { output_options_ = o; }
  const config::FalcoOutputOptions& output_options() const { return output_options_; }

  /// Enables/disables rules by exact name, or by a pattern containing '*' wildcards. Returns how many matched.
  size_t enable_rules(std::string_view pattern, bool enabled);
  /// Enables/disables every rule whose name contains `substring` ("" = all rules).
  size_t enable_rules_by_substring(std::string_view substring, bool enabled);
  /// Enables/disables every rule carrying `tag`.
  size_t enable_rules_by_tag(std::string_view tag, bool enabled);
  bool is_enabled(std::string_view name) const;

  /// Evaluates one event; appends one alert per matching rule (only the first with RuleMatching::kFirst).
  void process(const Event& evt, std::vector<Alert>& out);

  /// Union of the event-type sets of enabled rules (what the sensor must capture).
  EventTypeSet needed_event_types() const;
  /// Union of the open filters of enabled rules: the opens some enabled rule could match.
  OpenFilter open_filter() const;
  /// True if an enabled rule reads proc.env in its condition, output or append_output entries: only then
  /// must the sensor attach process environments to events.
  bool needs_proc_env() const;

  /// All compiled rules (enabled or not), in definition order.
  const std::vector<std::unique_ptr<CompiledRule>>& rules() const { return rules_; }
  /// Matches per rule, parallel to rules().
  uint64_t matches(std::string_view rule_name) const;
  uint64_t events_processed() const { return events_processed_; }

 private:
  LoadResult load(const std::vector<std::pair<std::string, std::string>>& files);
  void build_alert(const CompiledRule& rule, const Event& evt, Alert& a);
  void rebuild_index();
  Result<void> apply_append_output();
  template <typename Pred>
  size_t set_enabled_where(Pred pred, bool enabled);

  const FieldRegistry& registry_;
  std::unique_ptr<ExtractorPool> pool_;
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  std::vector<uint8_t> enabled_;        // parallel to rules_: the current enable state
  std::vector<uint64_t> matches_;       // parallel to rules_
  /// One event type's rules, in definition order, with what process() needs inline (no walk through the rule).
  struct Candidate {
    const Node* root;      // the filter's node tree, or null: then filter->eval()
    const Filter* filter;
    int32_t guard;         // CompiledRule::guard
    uint32_t rule;         // index into rules_
  };
  std::array<std::vector<Candidate>, static_cast<size_t>(EventType::kCount)> by_type_;
  Priority min_priority_ = Priority::kDebug;
  RuleMatching matching_ = RuleMatching::kFirst;
  std::string hostname_;
  config::FalcoOutputOptions output_options_;
  EvalContext ctx_;
  std::string text_buf_;
  std::string extra_buf_;
  std::vector<AppendOutputSpec> append_specs_;
  uint64_t events_processed_ = 0;
};

/// Falco's output-line prefix "%evt.time" (HH:MM:SS.nnnnnnnnn, UTC), or with `iso8601` (time_format_iso_8601)
/// "%evt.time.iso8601" as Falco's text output writes it (YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000), appended to `out`.
void append_time_prefix(uint64_t ts_ns, std::string& out, bool iso8601 = false);

/// True if `name` matches `pattern`, where '*' matches any run of characters.
bool wildcard_match(std::string_view pattern, std::string_view name);

}  // namespace peregrine::engine
