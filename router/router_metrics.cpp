// RouterApp::register_metrics: every counter is read at scrape time from the component that owns it, so the
// hot paths only bump their own atomics. Labels stay low-cardinality: output name only. The per-output delivery
// counters and histograms are registered by each DeliveryWorker (router/delivery/output_metrics.h).
#include "router/router_app.h"

namespace peregrine::router {

void RouterApp::register_metrics() {
  auto& m = metrics_;
  auto* p = pipeline_.get();
  m.counter_callback("peregrine_router_intake_accepted_total", "Alerts durably queued", {}, [p] { return p->accepted(); });
  m.counter_callback("peregrine_router_intake_duplicates_total", "Alerts dropped as already queued (same uuid)", {},
                     [p] { return p->duplicates(); });
  m.counter_callback("peregrine_router_intake_invalid_total", "Engine alerts that failed validation (dead-lettered)",
                     {}, [p] { return p->invalid(); });
  m.counter_callback("peregrine_router_intake_rejected_total",
                     "Alerts refused because the durable append failed (queue full or I/O)", {},
                     [p] { return p->rejected(); });

  // Link authentication: counted by the ZAP handler (0 while the link is plaintext).
  const transport::ZapCounters* zc = zap_ ? zap_->counters("alerts") : nullptr;
  const metrics::Labels alerts_link{{"link", "alerts"}};
  m.counter_callback("peregrine_router_link_auth_refused_total",
                     "CURVE clients refused by the allow-list (key not in allowed_client_keys)", alerts_link,
                     [zc] { return zc ? zc->refused.load() : uint64_t{0}; });
  m.counter_callback("peregrine_router_link_auth_accepted_total", "CURVE clients let in by the allow-list",
                     alerts_link, [zc] { return zc ? zc->accepted.load() : uint64_t{0}; });
  m.counter_callback("peregrine_router_http_intake_unauthorized_total",
                     "HTTP intake requests refused with 401 (missing or wrong bearer token)", {},
                     [u = &http_unauthorized_] { return u->load(); });

  auto* q = queue_.get();
  m.gauge_callback("peregrine_router_queue_bytes", "Bytes of queue segments on disk", {},
                   [q] { return static_cast<double>(q->stats().bytes_on_disk); });
  m.gauge_callback("peregrine_router_queue_budget_bytes", "Disk budget of the queue", {},
                   [q] { return static_cast<double>(q->options().max_bytes); });
  m.gauge_callback("peregrine_router_queue_segments", "Queue segment files", {},
                   [q] { return static_cast<double>(q->stats().segments); });
  m.counter_callback("peregrine_router_queue_appended_total", "Records appended to the queue", {},
                     [q] { return q->stats().appended; });
  m.counter_callback("peregrine_router_queue_rejected_full_total", "Records refused by the disk budget", {},
                     [q] { return q->stats().rejected_full; });
  m.counter_callback("peregrine_router_queue_truncated_tail_total", "Partial records cut off at recovery", {},
                     [q] { return q->stats().truncated_tail; });
  m.counter_callback("peregrine_router_queue_corrupt_records_total", "Corrupt records skipped", {},
                     [q] { return q->stats().corrupt_records; });
  m.counter_callback("peregrine_router_queue_reclaimed_segments_total", "Segments deleted after delivery", {},
                     [q] { return q->stats().reclaimed_segments; });
  m.counter_callback("peregrine_router_queue_fsyncs_total", "fdatasync calls on queue segments", {},
                     [q] { return q->stats().fsyncs; });
  auto* d = dead_letter_.get();
  m.counter_callback("peregrine_router_dead_letters_total", "Entries written to the dead-letter file", {},
                     [d] { return d->written(); });

  for (const auto& w : workers_) {
    const DeliveryWorker* wp = w.get();
    const metrics::Labels l{{"output", w->name()}};
    m.gauge_callback("peregrine_router_output_lag", "Queued alerts not yet delivered by this output", l,
                     [wp] { return static_cast<double>(wp->lag()); });
  }
}

}  // namespace peregrine::router
