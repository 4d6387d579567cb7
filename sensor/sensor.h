// The sensor library: BPF probe + process/fd state + event building, delivering Events to an EventSink.
//
// Threads: start() runs one consumer thread that polls the ring buffer, builds each Event and hands it to the
// sink (on that thread, synchronously; the sink must not block). select() and stats() are safe from any thread.
// The container metadata worker is the only other thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "common/config/config.h"
#include "common/event.h"
#include "common/result.h"
#include "sensor/bpf_probe.h"
#include "sensor/event_builder.h"

namespace peregrine::sensor {

/// Drop accounting over one interval (kernel ring-full / oversize drops vs events seen).
struct DropReport {
  uint64_t events = 0;       // delta over the interval
  uint64_t drops = 0;        // delta over the interval
  double ratio = 0;          // drops / events
  KernelCounters total;      // cumulative
  KernelCounters delta;      // per counter, over the interval
  bool over_threshold = false;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  /// Every built event that passes the engine's selection. Runs on the consumer thread; must not block.
  virtual void on_event(const Event& ev) = 0;
  /// The consumer found the ring empty (a chance to flush a partial batch).
  virtual void on_idle() {}
  /// Once per drop_stats_interval_s.
  virtual void on_drop_report(const DropReport&) {}
};

/// The sensor library's settings. Every default that is also a config key comes from config::SensorConfig (one
/// set of defaults); sensor_options() builds the whole struct from a loaded config, in one place.
struct SensorOptions {
  ProbeOptions probe;
  BuilderOptions builder;
  size_t proc_table_max = static_cast<size_t>(config::SensorConfig{}.proc_table_max);
  size_t fd_table_max_per_proc = static_cast<size_t>(config::SensorConfig{}.fd_table_max_per_proc);
  std::string docker_socket = config::SensorConfig{}.docker_socket;  // empty = no Docker lookups
  std::vector<config::CriRuntimeConfig> cri_runtimes;                  // asked after Docker, in order
  bool seed_from_proc = true;                                          // not a config key (tests turn it off)
  double drop_alert_ratio = config::SensorConfig{}.drop_alert_ratio;
  uint32_t drop_stats_interval_s = static_cast<uint32_t>(config::SensorConfig{}.drop_stats_interval_s);
  int poll_timeout_ms = 1;  // ring poll wait; sensor_options() derives it from batch_max_delay_us
};

/// The sensor section of the config as library options (the binary's one mapping; `self_tgid` is ignored by the
/// kernel side so that the sensor never traces itself).
SensorOptions sensor_options(const config::SensorConfig& c, uint32_t self_tgid);

struct SensorStats {
  KernelCounters kernel;
  BuilderStats builder;
  uint64_t forwarded = 0;        // events given to the sink
  uint64_t state_only = 0;       // state-set events used for tables but not selected by the engine
  uint64_t drop_alerts = 0;      // intervals over drop_alert_ratio
  size_t procs = 0;
  uint64_t procs_evicted = 0;
  uint64_t procs_refused = 0;
  size_t seeded = 0;
  size_t containers_prefetched = 0;  // containers running at start whose metadata was queued then
  uint64_t containers_fetched = 0;   // container metadata lookups answered by the runtime
  uint64_t containers_failed = 0;    // lookup requests that failed (asked again after a backoff)
  uint64_t containers_retried = 0;   // lookup requests queued again after a failure
  uint64_t containers_dropped = 0;   // lookups not queued (queue or cache full; retried on a later event)
  uint64_t containers_evicted = 0;   // cache entries evicted (least recently used) to make room for a new id
  std::vector<ContainerMetadata::RuntimeRequests> container_requests;  // per runtime: ok / not_found / error
};

class Sensor {
 public:
  /// Loads and attaches the BPF programs and seeds the process table. Errors name the cause.
  static Result<std::unique_ptr<Sensor>> create(SensorOptions opts, EventSink& sink);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  /// Event types the engine wants (empty = all supported), and the opens its rules could match (the in-kernel
  /// open filter; pass_all = every open). The kernel also traces the state set. `proc_env`: a loaded rule reads
  /// proc.env, so events carry the process environment (EventBuilder::set_proc_env).
  Result<void> select(std::span<const EventType> types, const OpenFilter& open_filter = {}, bool proc_env = false);
  void start();
  void stop();
  SensorStats stats() const;
  /// False once the consumer thread stopped on an error (for /healthz).
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  const BpfProbe& probe() const { return *probe_; }

 private:
  explicit Sensor(SensorOptions opts, EventSink& sink);
  void run();
  void on_record(std::span<const uint8_t> rec);
  void report_drops();
  void publish_stats();
  bool forwarded(EventType t) const;

  SensorOptions opts_;
  EventSink& sink_;
  ProcTable procs_;
  UserDb users_;
  std::unique_ptr<ContainerMetadata> containers_;
  std::unique_ptr<EventBuilder> builder_;
  std::unique_ptr<BpfProbe> probe_;
  Event event_;  // reused for every record
  std::array<std::atomic<uint64_t>, 2> forward_mask_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> forwarded_{0}, state_only_{0};
  std::thread thread_;
  mutable std::mutex stats_mu_;
  SensorStats stats_;
  KernelCounters last_counters_;
  uint64_t next_report_ns_ = 0;
};

}  // namespace peregrine::sensor
