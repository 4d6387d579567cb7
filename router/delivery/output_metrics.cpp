#include "router/delivery/output_metrics.h"

namespace peregrine::router {
namespace {

// Seconds: sends and deliveries take from a millisecond (local sink) to a minute (retries, Retry-After).
const std::vector<double> kRequestBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const std::vector<double> kLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                          5,     10,     30,    60,   300,   900,  3600};

}  // namespace

OutputMetrics::OutputMetrics(metrics::Registry& r, const std::string& output)
    : delivered(r.counter("peregrine_router_output_delivered_total", "Alerts delivered per output", {{"output", output}})),
      retried(r.counter("peregrine_router_output_retried_total", "Alert re-sends after retryable failures",
                        {{"output", output}})),
      failed(r.counter("peregrine_router_output_failed_total",
                       "Alerts dead-lettered per output (permanent failure, retries exhausted, unreadable)",
                       {{"output", output}})),
      send_errors(r.counter("peregrine_router_output_send_errors_total", "Failed send/flush calls",
                            {{"output", output}})),
      unaccounted(r.counter("peregrine_router_output_unaccounted_total",
                            "Alerts an output neither sent nor set aside (a bug; each is dead-lettered)",
                            {{"output", output}})),
      sent_bytes(r.counter("peregrine_router_output_sent_bytes_total", "Payload bytes handed to the output's send()",
                           {{"output", output}})),
      in_flight(r.gauge("peregrine_router_output_in_flight", "Payloads of this output being sent right now",
                        {{"output", output}})),
      last_success(r.gauge("peregrine_router_output_last_success_timestamp_seconds",
                           "Wall-clock time of the output's last successful send (0 = none yet)",
                           {{"output", output}})),
      request_duration(r.histogram("peregrine_router_output_request_duration_seconds",
                                   "Duration of one send() call (one request or write)", kRequestBuckets,
                                   {{"output", output}})),
      delivery_latency(r.histogram("peregrine_router_output_delivery_latency_seconds",
                                   "Time from the durable append at intake to delivery, per alert", kLatencyBuckets,
                                   {{"output", output}})),
      registry_(r),
      output_(output) {}

void OutputMetrics::set_aside(const std::string& reason, uint64_t n) {
  metrics::Counter* c = nullptr;
  {
    std::lock_guard lk(mu_);
    auto it = set_aside_.find(reason);
    if (it == set_aside_.end()) {
      c = &registry_.counter("peregrine_router_output_set_aside_total",
                             "Alerts an output deliberately did not send, by reason (never counted as delivered)",
                             {{"output", output_}, {"reason", reason}});
      set_aside_.emplace(reason, c);
    } else {
      c = it->second;
    }
  }
  c->inc(n);
}

uint64_t OutputMetrics::set_aside_count(const std::string& reason) const {
  std::lock_guard lk(mu_);
  auto it = set_aside_.find(reason);
  return it == set_aside_.end() ? 0 : it->second->value();
}

}  // namespace peregrine::router
