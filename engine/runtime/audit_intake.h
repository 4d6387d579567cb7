// The Kubernetes audit webhook (engine.k8s_audit): kube-apiserver's webhook backend POSTs audit.k8s.io/v1
// EventLists (and tools post single Events) to engine.k8s_audit.path; each audit event becomes one k8s_audit
// Event (payload = the audit event's JSON) queued for the daemon's evaluating thread.
//
//   200 {"accepted":N}                                  every event of the body is queued
//   400 {"error":"...","field":"items[3].verb","index":3} not JSON / not an audit event; nothing queued
//   401 {"error":"...","field":"Authorization"}         bearer_token(_file) set and not presented; nothing queued
//   405 {"error":"...","field":"method"} Allow: POST    anything but POST on the path
//   413 {"error":"...","field":"","limit_bytes":N}      body (after gzip decoding) over max_body_bytes
//   415 {"error":"...","field":"Content-Encoding"}       an encoding other than gzip, deflate, br
//   503 {"error":"...","queued":Q,"capacity":C} Retry-After: 1
//                                                       the batch does not fit in the queue whole; nothing of
//                                                       it is queued, so the apiserver's retry loses nothing
// A body is accepted whole or not at all. gzip/deflate Content-Encoding is decoded by the HTTP server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/config/config.h"
#include "common/event.h"
#include "common/http/server.h"
#include "common/metrics.h"

namespace peregrine::engine {

/// Why a body is not audit events (the 400 reply): `field` is a JSON path ("items[2].stageTimestamp");
/// `index` the position in an EventList's items.
struct AuditBodyError {
  std::string message;
  std::string field;
  std::optional<size_t> index;
};

/// Parses a webhook body: an audit.k8s.io/v1 (or v1beta1) EventList or a single Event. Each item becomes one
/// k8s_audit Event whose payload is the item's JSON text and whose time is its stageTimestamp (else
/// requestReceivedTimestamp, else `now_ns`).
std::variant<std::vector<Event>, AuditBodyError> parse_audit_body(std::string_view body, uint64_t now_ns);

/// The bounded queue between the webhook threads and the evaluating thread, in events. A batch goes in whole
/// or not at all.
class AuditQueue {
 public:
  explicit AuditQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  /// Moves every event of `batch` in and returns true, or (when they do not all fit) leaves `batch` as it is.
  bool try_push_all(std::vector<Event>& batch);
  /// Moves up to `max` queued events to `out` (appending), oldest first; returns how many.
  size_t pop_some(std::vector<Event>& out, size_t max);
  size_t depth() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Event> items_;
};

/// The webhook server with its metrics (peregrine_engine_k8s_audit_*).
class K8sAuditIntake {
 public:
  /// Binds cfg.listen (port 0 = any) with cfg.tls, loads the bearer token. Throws std::runtime_error when it
  /// cannot (load time). `queue` and `metrics` must outlive the intake.
  K8sAuditIntake(const config::K8sAuditConfig& cfg, AuditQueue& queue, metrics::Registry& metrics);
  ~K8sAuditIntake();
  K8sAuditIntake(const K8sAuditIntake&) = delete;
  K8sAuditIntake& operator=(const K8sAuditIntake&) = delete;

  int port() const { return server_->port(); }
  const std::string& host() const { return server_->host(); }
  /// The POST handling without a socket or bearer check (unit tests).
  http::Response handle_post(const http::Request& req);

 private:
  http::Response count(http::Response r);

  AuditQueue& queue_;
  size_t max_body_bytes_;
  std::vector<std::pair<int, metrics::Counter*>> by_code_;  // requests_total{code}
  metrics::Counter* events_;
  metrics::Counter* rejected_full_;
  std::unique_ptr<http::AdminServer> server_;  // last: its threads stop before the members above go
};

}  // namespace peregrine::engine
