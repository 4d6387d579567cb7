// The dispatcher decides and runs the actions for one alert already taken (journaled): the matching response
// rules in order, and for each of their actions the guardrails (kill switch, allow/deny lists, dry run, rate
// limit), the actionner, an outcome alert, and the metrics. It never throws.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "common/alert.h"
#include "common/metrics.h"
#include "responder/guardrails.h"
#include "responder/outcomes.h"
#include "responder/responder_config.h"
#include "responder/rules.h"

namespace peregrine::responder {

/// What happened to one action on one alert (returned for tests and logs; each also became an outcome alert).
struct ActionRecord {
  std::string action;
  std::string rule;
  ActionResult result;
};

class Dispatcher {
 public:
  /// Registers its metrics in `registry`. `outcomes` may be null (tests: outcome alerts are not sent).
  Dispatcher(const ResponderConfig& cfg, RuleSet rules, metrics::Registry& registry, OutcomeSender* outcomes);

  std::vector<ActionRecord> handle(const Alert& alert);
  KillSwitch& kill_switch() { return kill_switch_; }
  const RuleSet& rules() const { return rules_; }

 private:
  ActionResult decide(const ActionDef& def, size_t index, bool dry_run, const Alert& alert);

  ResponderConfig cfg_;
  RuleSet rules_;
  OutcomeSender* outcomes_;
  KillSwitch kill_switch_;
  std::vector<std::unique_ptr<TokenBucket>> buckets_;              // per action
  std::vector<std::array<metrics::Counter*, 4>> action_counters_;  // per action, per Outcome
  std::vector<metrics::Histogram*> latency_;                       // per action: alert time -> action done
  metrics::Counter* unmatched_;
  bool warned_outcome_drop_ = false;  // handle() runs on the one worker thread
};

}  // namespace peregrine::responder
