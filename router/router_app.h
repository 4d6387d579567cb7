// The router as a library: owns the durable queue, dedup window, intakes (ZeroMQ from the engine, HTTP from
// Falco), one delivery worker per output, and the admin server. main.cpp only loads config and calls this.
//
// Start order matters: workers register their cursors before any intake opens, so a new output sees every
// alert accepted from then on. Stop order: intakes first (nothing new is acknowledged), then workers drain
// until the queue is delivered or the drain deadline passes, then the dedup snapshot and a final fsync.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/config/config.h"
#include "common/http/server.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/transport/alerts.h"
#include "common/transport/zap.h"
#include "outputs/output.h"
#include "outputs/registry.h"
#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/delivery/delivery_worker.h"
#include "router/intake/http_intake.h"
#include "router/intake/intake_pipeline.h"
#include "router/queue/durable_queue.h"

namespace peregrine::router {

struct RouterAppOptions {
  /// Command-line overrides (--queue-max-mib, --drain-timeout-ms): when set they win over the file's
  /// router.queue.max_bytes and router.drain_timeout_ms; unset, the file's values (or their defaults) apply.
  std::optional<uint64_t> queue_max_bytes;
  std::optional<std::chrono::milliseconds> drain_timeout;
  /// Extra outputs built by the caller (tests); they are driven exactly like configured ones.
  std::vector<std::unique_ptr<outputs::Output>> extra_outputs;
};

class RouterApp {
 public:
  /// Load time: opens and recovers the queue, rebuilds the dedup window, builds every output (config errors
  /// come back with file:line:col). Nothing listens yet.
  static Result<std::unique_ptr<RouterApp>> create(const config::RouterConfig& cfg, RouterAppOptions opts = {});
  ~RouterApp();
  RouterApp(const RouterApp&) = delete;
  RouterApp& operator=(const RouterApp&) = delete;

  /// Starts workers, then the ZeroMQ receiver, the HTTP intake and the admin server. An address that cannot
  /// be bound (or a cursor that cannot be registered) comes back as an error naming it; whatever had started
  /// is stopped again.
  Result<void> start();
  /// Graceful stop (idempotent); returns true when every output was fully drained.
  bool stop();

  /// Actual addresses (after start; useful with port 0).
  std::string alerts_endpoint() const;
  int http_intake_port() const;
  int admin_port() const;

  /// The configuration in effect: the file's values with the RouterAppOptions overrides applied.
  const config::RouterConfig& config() const { return cfg_; }
  metrics::Registry& metrics() { return metrics_; }
  const IntakePipeline& intake() const { return *pipeline_; }
  const DurableQueue& queue() const { return *queue_; }
  const std::vector<std::unique_ptr<DeliveryWorker>>& workers() const { return workers_; }
  bool healthy() const;

 private:
  RouterApp(config::RouterConfig cfg, RouterAppOptions opts);
  void register_metrics();
  void housekeeping();
  bool on_engine_batch(std::vector<transport::AlertEnvelope>& batch);

  config::RouterConfig cfg_;
  RouterAppOptions opts_;
  metrics::Registry metrics_;
  std::unique_ptr<DurableQueue> queue_;
  std::unique_ptr<DedupWindow> window_;
  std::unique_ptr<DeadLetterFile> dead_letter_;
  std::unique_ptr<IntakePipeline> pipeline_;
  std::vector<std::unique_ptr<outputs::Output>> outputs_;
  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
  zmq::context_t zmq_;
  std::optional<transport::CurveServerKeys> alerts_keys_;  // router.alerts_curve, loaded at create()
  std::unique_ptr<transport::ZapHandler> zap_;             // before receiver_: outlives it (see zap.h)
  std::atomic<uint64_t> http_unauthorized_{0};             // HTTP intake requests refused with 401
  std::unique_ptr<transport::AlertReceiver> receiver_;
  std::unique_ptr<HttpIntake> http_intake_;
  std::unique_ptr<http::AdminServer> admin_;
  std::thread housekeeper_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> refusing_{false};  // engine batches currently refused (for warn-once logging)
  bool started_ = false;
  bool stopped_ = false;
};

/// Maps the config's fsync mode and sizes onto queue options. A budget below one segment (possible only
/// through the --queue-max-mib override; the file is checked at load) is raised to one segment.
QueueOptions queue_options_from(const config::QueueConfig& q);

}  // namespace peregrine::router
