// Rules reload (SIGHUP): the new rule set is loaded and compiled on a background thread, off the hot path, and
// handed to the evaluating thread, which swaps it in between two batches. Every event is therefore evaluated
// exactly once, by the old set or by the new one. A set that fails to load is not swapped in: the old rules stay
// and the errors (file:line, as --validate words them) are reported.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/log.h"
#include "engine/rules/rule_engine.h"

namespace peregrine::engine {

/// Loads the config's rules_files (directories expanded) into `rules` and applies the config's selection and
/// output options. Throws std::runtime_error with the load errors (file:line) when the rules do not load.
void configure_rules(RuleEngine& rules, const config::EngineConfig& ec, spdlog::logger& log);

/// A finished build: `rules` on success, otherwise null and `errors`. `replicas`: further copies of the same set,
/// one per additional evaluating thread (rule engines are not thread-safe).
struct ReloadOutcome {
  std::unique_ptr<RuleEngine> rules;
  std::vector<std::unique_ptr<RuleEngine>> replicas;
  std::string errors;
};

/// A fresh RuleEngine from `ec` (configure_rules), plus `copies - 1` replicas, never throwing: failures become
/// ReloadOutcome::errors.
ReloadOutcome build_rules(const config::EngineConfig& ec, spdlog::logger& log, size_t copies = 1);

/// engine.threads resolved: the configured count, or for 0 one per core (at least 1, at most kMaxEvalThreads).
size_t eval_thread_count(const config::EngineConfig& ec);

class RulesReloader {
 public:
  using Build = std::function<ReloadOutcome()>;
  explicit RulesReloader(Build build) : build_(std::move(build)) {}
  ~RulesReloader();  // waits for a build still running
  RulesReloader(const RulesReloader&) = delete;
  RulesReloader& operator=(const RulesReloader&) = delete;

  /// Starts a build on a background thread. False (and nothing started) while one is still running.
  bool start();
  /// On the evaluating thread, between batches: the outcome of a finished build, once; nullopt otherwise.
  std::optional<ReloadOutcome> poll();

 private:
  Build build_;
  std::future<ReloadOutcome> pending_;
};

/// SIGHUP as a flag: the constructor installs the process-wide handler; take() reports (and clears) a hangup.
class HangupSignal {
 public:
  HangupSignal();
  bool take();
};

}  // namespace peregrine::engine
