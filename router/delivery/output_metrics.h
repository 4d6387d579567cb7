// Per-output delivery metrics, label `output` only (plus `reason` on set-aside counts). Registered once per
// output when its worker is built; the hot path only touches atomics (counter, gauge, histogram).
//
//   peregrine_router_output_{delivered,retried,failed,send_errors,unaccounted}_total
//   peregrine_router_output_set_aside_total{reason}       routed out ("filtered"), throttled, output's own reasons
//   peregrine_router_output_request_duration_seconds      one send() call (histogram)
//   peregrine_router_output_sent_bytes_total              payload bytes handed to send(), retries included
//   peregrine_router_output_in_flight                     payloads being sent right now
//   peregrine_router_output_delivery_latency_seconds      queue append (intake) → delivered, per alert (histogram)
//   peregrine_router_output_last_success_timestamp_seconds  wall clock of the last successful send()
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/metrics.h"

namespace peregrine::router {

class OutputMetrics {
 public:
  OutputMetrics(metrics::Registry& registry, const std::string& output);

  metrics::Counter& delivered;
  metrics::Counter& retried;
  metrics::Counter& failed;
  metrics::Counter& send_errors;
  metrics::Counter& unaccounted;
  metrics::Counter& sent_bytes;
  metrics::Gauge& in_flight;
  metrics::Gauge& last_success;
  metrics::Histogram& request_duration;
  metrics::Histogram& delivery_latency;

  /// Counts `n` alerts set aside for `reason` (a short word); creates the series on first use.
  void set_aside(const std::string& reason, uint64_t n = 1);
  /// Alerts set aside for `reason` so far (0 if never).
  uint64_t set_aside_count(const std::string& reason) const;

 private:
  metrics::Registry& registry_;
  std::string output_;
  mutable std::mutex mu_;
  std::map<std::string, metrics::Counter*> set_aside_;
};

}  // namespace peregrine::router
