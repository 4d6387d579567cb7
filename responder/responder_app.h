// The responder as a library: the alert intake (POST /alerts, and POST / as Talon takes it), the idempotence
// journal, a bounded queue of taken alerts, one worker running their actions (Dispatcher), the outcome sender,
// and the admin server (/healthz, /metrics, POST /kill-switch/on and /kill-switch/off).
//
// Intake answers (the router's `responder` output retries anything but 2xx and 4xx):
//   200 {"accepted":true}                 journaled (fsynced) and queued: its actions will run once
//   200 {"accepted":false,"duplicate":true}  this uuid was taken before (even before a restart): nothing runs
//   400 {"error":...}                     not a JSON alert, or no uuid
//   503 {"error":"queue full"}            nothing journaled: resend later
//   500 {"error":...}                     the journal append failed: nothing journaled, resend later
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "common/bounded_queue.h"
#include "common/http/server.h"
#include "common/metrics.h"
#include "common/result.h"
#include "responder/dispatcher.h"
#include "responder/journal.h"
#include "responder/outcomes.h"
#include "responder/responder_config.h"

namespace peregrine::responder {

class ResponderApp {
 public:
  /// Load time: opens the journal, loads the rules (errors with file:line), binds both servers. Throws.
  explicit ResponderApp(const ResponderConfig& cfg);
  ~ResponderApp();
  ResponderApp(const ResponderApp&) = delete;
  ResponderApp& operator=(const ResponderApp&) = delete;

  /// Stops taking alerts, runs what is queued, then gives outcomes up to `drain` to reach the router.
  void stop(std::chrono::milliseconds drain);
  int intake_port() const { return intake_->port(); }
  int admin_port() const { return admin_->port(); }
  metrics::Registry& metrics() { return metrics_; }
  /// The intake's handling of one request body (unit-tested without a socket).
  http::Response take(const std::string& body);

 private:
  void work();

  ResponderConfig cfg_;
  metrics::Registry metrics_;
  Journal journal_;
  OutcomeSender outcomes_;
  Dispatcher dispatcher_;
  BoundedQueue<Alert> queue_;
  std::mutex take_mu_;
  metrics::Counter *accepted_, *duplicates_, *invalid_, *queue_full_, *journal_errors_;
  std::unique_ptr<http::AdminServer> intake_;
  std::unique_ptr<http::AdminServer> admin_;
  std::atomic<bool> working_{false};  // /healthz: the worker runs (read by the admin server's threads)
  std::thread worker_;
};

}  // namespace peregrine::responder
