#include "engine/runtime/pipeline.h"

#include "common/alert_text.h"
#include "common/codec.h"
#include "common/log.h"
#include "engine/runtime/internal_alerts.h"

namespace peregrine::engine {

Pipeline::Pipeline(RuleEngine& rules, AlertSink sink, metrics::Registry& m)
    : rules_(&rules),
      sink_(std::move(sink)),
      batches_(&m.counter("peregrine_engine_batches_total", "Event batches received from the sensor")),
      events_(&m.counter("peregrine_engine_events_total", "Events evaluated")),
      decode_errors_(&m.counter("peregrine_engine_decode_errors_total",
                                "Batches or events rejected by the wire decoder")),
      alerts_(&m.counter("peregrine_engine_alerts_total", "Alerts raised by rules")),
      drop_reports_(&m.counter("peregrine_engine_sensor_drop_reports_total",
                               "Sensor drop reports received, each raised as a 'Falco internal: syscall event "
                               "drop' alert")),
      alerts_dropped_(&m.counter("peregrine_engine_alerts_dropped_total",
                                 "Alerts that could not be queued for the router (pending store full)")) {}

Result<void> Pipeline::process_batch(std::span<const uint8_t> batch) {
  batches_->inc();
  auto dec = wire::BatchDecoder::open(batch);
  if (!dec) {
    decode_errors_->inc();
    return dec.error();
  }
  while (true) {
    auto more = dec->next(scratch_);
    if (!more) {
      decode_errors_->inc();
      publish_counts();
      return more.error();
    }
    if (!*more) break;
    evaluate(scratch_);
  }
  publish_counts();
  return {};
}

Result<void> Pipeline::process_records(std::span<const std::span<const uint8_t>> records) {
  Result<void> first_error;
  for (const auto& rec : records) {
    if (auto r = wire::decode_one(rec, scratch_); !r) {
      decode_errors_->inc();
      if (first_error) first_error = r.error();
      continue;
    }
    evaluate(scratch_);
  }
  publish_counts();
  return first_error;
}

void Pipeline::process_event(const Event& evt) {
  evaluate(evt);
  publish_counts();
}

void Pipeline::publish_counts() {
  if (n_events_) events_->inc(n_events_);
  if (n_alerts_) alerts_->inc(n_alerts_);
  if (n_drop_reports_) drop_reports_->inc(n_drop_reports_);
  n_events_ = n_alerts_ = n_drop_reports_ = 0;
}

void Pipeline::evaluate(const Event& evt) {
  matches_.clear();
  if (is_internal_event(evt)) {
    // A report for the engine, not an event for the rules.
    ++n_drop_reports_;
    matches_.emplace_back();
    const bool iso = rules_->output_options().time_format_iso_8601;
    if (!make_internal_alert(evt, rules_->hostname(), matches_.back(), iso)) {
      decode_errors_->inc();
      return;
    }
  } else {
    ++n_events_;
    rules_->process(evt, matches_);
  }
  // Falco leaves the switched-off keys out of the JSON it publishes (internal alerts keep theirs). "output" stays,
  // empty, because the router's schema requires it (docs/configuration.md, "Alert JSON switches").
  const auto& opt = rules_->output_options();
  AlertJsonStyle style;
  style.omit_tags = !opt.json_include_tags_property && !is_internal_event(evt);
  style.omit_output_fields = !opt.json_include_output_fields_property && !is_internal_event(evt);
  for (auto& a : matches_) {
    ++n_alerts_;
    // The same bytes as nlohmann::json(a).dump(), written directly (common/alert_text.h).
    if (!sink_(a, alert_json_text(a, style))) alerts_dropped_->inc();
  }
}

}  // namespace peregrine::engine
