// The one extension point of the router: an Output turns a batch of alerts into payloads (pure, golden-tested)
// and sends payloads (I/O). Everything else — reading the durable queue, filtering, batching, retry with
// backoff, retry-vs-permanent classification, dead-lettering, metrics — is shared machinery in router/delivery/,
// so a new destination is a format() and a send() plus a typed config parser registered in outputs/registry.cpp.
//
// Outputs report what happened (SendFailure facts: HTTP status, timeout, I/O error); they never decide whether
// to retry. That decision lives in router/delivery/retry_policy.cpp only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/metrics.h"
#include "common/result.h"
#include "outputs/route.h"
#include "outputs/template/template.h"

namespace peregrine::outputs {

/// Batching and retry knobs every output shares (key `delivery:` in the output's YAML).
struct DeliveryOptions {
  size_t batch_max_alerts = 100;                           // max alerts per format()/send round
  size_t batch_max_bytes = 1u << 20;                       // max queued bytes read per round
  std::chrono::milliseconds linger{0};                     // wait up to this long for batch_max_alerts to queue up
  std::chrono::milliseconds initial_backoff{200};          // first retry delay (then doubled, with jitter)
  std::chrono::milliseconds max_backoff{30'000};           // cap of the retry delay
  uint32_t max_attempts = 0;                               // 0 = retry retryable failures until delivered
  bool operator==(const DeliveryOptions&) const = default;
};

/// Storm control (key `throttle:`): per key, the first `max` alerts of each window go out; later ones are set
/// aside as "throttled" and counted, and one summary alert at the window's end says how many there were.
struct ThrottleConfig {
  bool enabled = false;
  std::vector<std::string> key{"rule", "hostname"};  // template variable names (alert keys, Falco fields)
  std::chrono::milliseconds window{300'000};
  uint32_t max = 1;             // alerts per key and window that go out
  bool summary = true;          // send the summary alert at the window's end
  size_t max_keys = 10'000;     // keys remembered; beyond, the oldest window ends early (its summary goes out)
  bool operator==(const ThrottleConfig&) const = default;
};

/// Settings parsed by the registry for every output, before the output's own keys.
struct OutputCommon {
  std::string type;  // registry key: "file", "stdout", ...
  std::string name;  // instance name, unique per router; used for the queue cursor, logger and metrics
  Route route;       // which alerts this output gets (match / exclude; outputs/route.h)
  ThrottleConfig throttle;
  /// Added to every alert's output_fields for this output (Sidekick's customfields): name -> value.
  std::vector<std::pair<std::string, std::string>> custom_fields;
  /// Added to output_fields, rendered per alert (Sidekick's templatedfields): name -> template.
  std::vector<std::pair<std::string, Template>> templated_fields;
  DeliveryOptions delivery;
};

/// One unit of delivery. HTTP outputs fill target/headers; line outputs only use body.
struct Payload {
  std::string body;
  std::string content_type = "application/json";
  std::string target;                                       // URL or path, for logs (never a secret)
  std::string url;                                          // HTTP outputs: the request URL (may hold a
                                                            // credential; never logged: logs show target)
  std::string method = "POST";                              // HTTP outputs
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<size_t> items;                                // indices into the formatted batch it carries
  std::vector<std::string> item_ids;                        // optional, parallel to items: how the destination
                                                            // names each item in per-item errors (Loki: the
                                                            // entry's timestamp)
  /// Tells this payload apart from the others carrying the same alerts (e.g. one SMS per recipient): a retry
  /// re-formats the failed alerts and skips every payload whose (alert, key) pairs were all delivered before.
  std::string key;
};

/// An alert the output chose not to send, with why (a short word, e.g. "no_recipient"). Counted per reason in
/// peregrine_router_output_set_aside_total; never counted as delivered.
struct SetAside {
  size_t item = 0;
  std::string reason;
};

/// What format() makes of a batch. Every index of the batch must be in some payload's items or in set_aside;
/// an index in neither is a bug the delivery worker dead-letters ("output did not account for this alert").
struct Formatted {
  std::vector<Payload> payloads;
  std::vector<SetAside> set_aside;
};

/// Facts about a failed send. Classified into retryable/permanent by router/delivery/retry_policy.
struct SendFailure {
  enum class Kind {
    kConnect,     // could not reach the destination (DNS, refused, TLS handshake)
    kTimeout,     // no complete answer within the output's timeouts
    kHttpStatus,  // the destination answered with a non-2xx status (http_status set)
    kIo,          // local I/O failed (disk full, EIO, broken pipe)
    kRejected,    // the destination understood and refused this content; resending the same bytes cannot help
  };
  Kind kind = Kind::kIo;
  int http_status = 0;
  std::optional<std::chrono::milliseconds> retry_after;     // from a Retry-After header, when given
  std::string message;
};

/// Outcome of one send(): a whole-payload failure, or per-item failures (bulk APIs), or success.
struct SendResult {
  std::optional<SendFailure> failure;
  std::vector<std::pair<size_t, SendFailure>> item_failures;  // batch indices that failed individually
  bool ok() const { return !failure && item_failures.empty(); }
};

class Output {
 public:
  virtual ~Output() = default;

  /// Name, type, filter and delivery options, as parsed by the registry.
  virtual const OutputCommon& common() const = 0;

  /// Pure rendering of an already-routed batch into payloads: no I/O, no clock, no randomness, so that the
  /// exact bytes can be golden-tested. Each payload lists the batch indices it carries; alerts deliberately not
  /// sent are listed in set_aside with a reason.
  virtual Result<Formatted> format(std::span<const Alert> batch) const = 0;

  /// Delivers one payload produced by format(). Must not throw and must return within the output's own
  /// timeouts. Reports facts only; retry decisions are made by the caller. With concurrency() > 1 it is called
  /// from that many threads at once.
  virtual SendResult send(const Payload& payload) = 0;

  /// How many batches may be in flight at once (HTTP outputs: their `concurrency` key). The cursor still only
  /// moves past a batch once it and every batch before it are delivered or dead-lettered.
  virtual size_t concurrency() const { return 1; }

  /// Makes everything sent so far durable/visible (fsync, flush). Called after each batch and when draining.
  virtual SendResult flush() = 0;

  /// One-time set-up at the destination before the first delivery (e.g. installing an index template). Called
  /// by the delivery worker, retried with backoff until it succeeds; nothing is delivered before. Default: none.
  virtual SendResult prepare() { return {}; }

  /// Registers the output's own metrics (label `output`), once, before delivery starts. Default: none.
  virtual void register_metrics(metrics::Registry& /*registry*/) {}
};

}  // namespace peregrine::outputs
