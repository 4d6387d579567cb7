// The engine's per-event path: decode a batch in place, evaluate it, hand alerts to the router link.
//
// Kept apart from daemon.cpp (which wires sockets, config and signals) so it can be tested and benchmarked
// without any socket. Single-threaded: one pipeline per evaluating thread (engine/runtime/workers.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/metrics.h"
#include "common/result.h"
#include "engine/rules/rule_engine.h"

namespace peregrine::engine {

/// Where alerts go. Returns false when the alert could not be queued (counted as a drop by the pipeline).
using AlertSink = std::function<bool(const Alert& alert, std::string&& json)>;

class Pipeline {
 public:
  Pipeline(RuleEngine& rules, AlertSink sink, metrics::Registry& metrics);

  /// Decodes one wire batch and evaluates each event. A malformed batch is counted and skipped; events
  /// decoded before the error are still evaluated.
  Result<void> process_batch(std::span<const uint8_t> batch);
  /// Evaluates one already-decoded event.
  void process_event(const Event& evt);
  /// Decodes and evaluates single records (wire::BatchDecoder::next_record's), in order: an evaluating thread's
  /// share of a batch. A malformed record is counted and skipped; the first such error is returned.
  Result<void> process_records(std::span<const std::span<const uint8_t>> records);
  /// Evaluates every later event with `rules` (a reload's new set). Call between batches, on this pipeline's
  /// thread; the previous set may be destroyed once this returns.
  void set_rules(RuleEngine& rules) { rules_ = &rules; }

  uint64_t events() const { return events_->value(); }
  uint64_t alerts() const { return alerts_->value(); }

 private:
  void evaluate(const Event& evt);
  // Per-event counts are kept here and added to the shared counters once per batch: several pipelines (one
  // per evaluating thread) share the counters, and an atomic add per event would bounce their cache line.
  void publish_counts();
  uint64_t n_events_ = 0, n_alerts_ = 0, n_drop_reports_ = 0;

  RuleEngine* rules_;
  AlertSink sink_;
  Event scratch_;               // reused by the decoder: no allocation in steady state
  std::vector<Alert> matches_;  // reused per event
  metrics::Counter* batches_;
  metrics::Counter* events_;
  metrics::Counter* decode_errors_;
  metrics::Counter* alerts_;
  metrics::Counter* drop_reports_;
  metrics::Counter* alerts_dropped_;
};

}  // namespace peregrine::engine
