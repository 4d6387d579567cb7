#include "responder/dispatcher.h"

#include <unistd.h>

#include "common/log.h"

namespace peregrine::responder {
namespace {

uint64_t wall_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string host_name() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

}  // namespace

Dispatcher::Dispatcher(const ResponderConfig& cfg, RuleSet rules, metrics::Registry& registry, OutcomeSender* outcomes)
    : cfg_(cfg), rules_(std::move(rules)), outcomes_(outcomes), kill_switch_(cfg.enabled, cfg.kill_switch_file) {
  if (cfg_.hostname.empty()) cfg_.hostname = host_name();
  const std::vector<double> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  for (const auto& a : rules_.actions) {
    buckets_.push_back(std::make_unique<TokenBucket>(a.rate_limit));
    std::array<metrics::Counter*, 4> c{};
    for (auto o : {Outcome::kDone, Outcome::kSkipped, Outcome::kFailed, Outcome::kDryRun})
      c[static_cast<size_t>(o)] = &registry.counter(
          "peregrine_responder_actions_total", "Action results by action, actionner and outcome",
          {{"action", a.name}, {"actionner", a.actionner}, {"outcome", std::string(outcome_name(o))}});
    action_counters_.push_back(c);
    latency_.push_back(&registry.histogram("peregrine_responder_action_latency_seconds",
                                           "From the alert's time to the action done (outcome done)", bounds,
                                           {{"action", a.name}, {"actionner", a.actionner}}));
  }
  unmatched_ = &registry.counter("peregrine_responder_alerts_unmatched_total", "Alerts no response rule matched");
}

ActionResult Dispatcher::decide(const ActionDef& def, size_t index, bool dry_run, const Alert& alert) {
  if (auto why = kill_switch_.engaged()) return skipped("kill_switch: " + *why);
  if (auto why = list_refusal(cfg_.guardrails, alert)) return skipped("guardrail: " + *why);
  if (dry_run) return def.impl->run(alert, true);
  if (!buckets_[index]->take(std::chrono::steady_clock::now()))
    return skipped("rate_limited: more than " + std::to_string(def.rate_limit.max) + " per " +
                   std::to_string(def.rate_limit.per.count()) + " ms");
  return def.impl->run(alert, false);
}

std::vector<ActionRecord> Dispatcher::handle(const Alert& alert) {
  std::vector<ActionRecord> out;
  auto log = logger("responder");
  const auto rules = matching_rules(rules_, alert);
  if (rules.empty()) unmatched_->inc();
  for (const ResponseRule* rule : rules) {
    const bool dry_run = cfg_.dry_run || rule->dry_run;
    for (size_t idx : rule->actions) {
      const ActionDef& def = rules_.actions[idx];
      ActionResult r = decide(def, idx, dry_run, alert);
      const uint64_t now = wall_ns();
      action_counters_[idx][static_cast<size_t>(r.outcome)]->inc();
      if (r.outcome == Outcome::kDone && alert.time_ns && now >= alert.time_ns)
        latency_[idx]->observe(static_cast<double>(now - alert.time_ns) / 1e9);
      // One line per action (actions are rare, and this is the audit trail); dry runs say exactly what.
      log->info("alert {} rule '{}' action '{}' ({}): {}: {}", alert.uuid, rule->name, def.name, def.actionner,
                outcome_name(r.outcome), r.reason);
      if (outcomes_ &&
          !outcomes_->submit(outcome_alert(alert, {def.name, def.actionner, rule->name, r, now, cfg_.hostname}))) {
        // Counted by the sender (peregrine_responder_outcomes_dropped_total); said once here.
        if (!warned_outcome_drop_)
          log->warn("outcome alerts dropped: the pending buffer (outcomes.pending_max) is full, the router is not "
                    "taking them (peregrine_responder_outcomes_dropped_total; warned once)");
        warned_outcome_drop_ = true;
      }
      const bool stop = r.outcome == Outcome::kFailed && !def.ignore_errors;
      out.push_back({def.name, rule->name, std::move(r)});
      if (stop) break;
    }
  }
  return out;
}

}  // namespace peregrine::responder
