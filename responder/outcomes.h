// Outcomes as alerts: every action result (done, skipped, failed, dry_run) becomes a Falco-format alert with
// source "response", sent back to the router's HTTP intake so that it reaches the usual outputs (OpenSearch,
// Slack, the file). The router must not route these back to the responder: its `responder` output sets them
// aside unless told otherwise (outputs/responder/responder_output.h).
//
// The sender is a bounded queue (outcomes.pending_max; beyond it, outcomes are dropped and counted) and one
// thread posting JSON arrays of up to 100 alerts, retrying a failed post with backoff (200 ms doubling to 5 s)
// until it is accepted or the responder stops (then what is left is counted as dropped).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/alert.h"
#include "common/bounded_queue.h"
#include "outputs/http/http_client.h"
#include "responder/actions/actionner.h"
#include "responder/responder_config.h"

namespace peregrine::responder {

/// What the outcome alert says about one action on one alert.
struct OutcomeFacts {
  std::string action;      // the action's name in the rules file
  std::string actionner;   // process:kill, ...
  std::string rule;        // the response rule
  ActionResult result;
  uint64_t now_ns = 0;
  std::string hostname;
};

/// The outcome alert (pure but for its fresh uuid): rule "Peregrine response <outcome>", priority Notice for
/// done, Error for failed, Informational otherwise; output_fields response.* plus the result's target fields and
/// the original alert's identifying fields.
Alert outcome_alert(const Alert& original, const OutcomeFacts& facts);

class OutcomeSender {
 public:
  /// `cfg.url` empty: outcomes are counted as sent nowhere (logged only).
  explicit OutcomeSender(const OutcomesConfig& cfg);
  ~OutcomeSender();
  OutcomeSender(const OutcomeSender&) = delete;
  OutcomeSender& operator=(const OutcomeSender&) = delete;

  /// Never blocks; false (counted in dropped()) when the queue is full.
  bool submit(Alert a);
  /// Stops after trying, until `drain` passes, to deliver what is queued.
  void stop(std::chrono::milliseconds drain);

  uint64_t sent() const { return sent_.load(); }
  uint64_t dropped() const { return queue_.dropped() + dropped_at_stop_.load(); }
  uint64_t failures() const { return failures_.load(); }
  size_t pending() const { return queue_.size(); }

 private:
  void loop();
  OutcomesConfig cfg_;
  std::unique_ptr<outputs::HttpClient> client_;
  BoundedQueue<Alert> queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> drain_deadline_ms_{0};
  std::atomic<uint64_t> sent_{0}, failures_{0}, dropped_at_stop_{0};
  std::thread thread_;
};

}  // namespace peregrine::responder
