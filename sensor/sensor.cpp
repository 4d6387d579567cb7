#include "sensor/sensor.h"

#include <algorithm>

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "common/log.h"
#include "sensor/cri_source.h"
#include "sensor/drop_event.h"
#include "sensor/proc_fs.h"
#include "sensor/syscall_table.h"

namespace peregrine::sensor {
namespace {

std::shared_ptr<spdlog::logger> logger() { return peregrine::logger("sensor"); }

uint64_t mono_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace

SensorOptions sensor_options(const config::SensorConfig& c, uint32_t self_tgid) {
  SensorOptions o;
  o.probe.ring_buffer_mib = static_cast<uint32_t>(c.ring_buffer_mib);
  o.probe.cpus_per_buffer = static_cast<uint32_t>(c.cpus_per_buffer);
  o.probe.ignore_tgid = self_tgid;
  o.probe.capture_buffers = c.capture_buffers;
  o.probe.enter_hook = c.toctou_paths;
  o.builder.max_ancestors = static_cast<size_t>(c.max_ancestors);
  o.proc_table_max = static_cast<size_t>(c.proc_table_max);
  o.fd_table_max_per_proc = static_cast<size_t>(c.fd_table_max_per_proc);
  o.docker_socket = c.docker_socket;
  o.cri_runtimes = c.container_runtimes;
  o.drop_alert_ratio = c.drop_alert_ratio;
  o.drop_stats_interval_s = static_cast<uint32_t>(c.drop_stats_interval_s);
  o.poll_timeout_ms = std::max<int>(1, static_cast<int>(c.batch_max_delay_us / 1000));
  return o;
}

Sensor::Sensor(SensorOptions opts, EventSink& sink)
    : opts_(std::move(opts)), sink_(sink), procs_(opts_.proc_table_max, opts_.fd_table_max_per_proc) {}

Result<std::unique_ptr<Sensor>> Sensor::create(SensorOptions opts, EventSink& sink) {
  std::unique_ptr<Sensor> s(new Sensor(std::move(opts), sink));
  const uint64_t boot = boot_epoch_ns();
  std::vector<std::unique_ptr<ContainerSource>> sources;
  if (!s->opts_.docker_socket.empty()) sources.push_back(std::make_unique<DockerSource>(s->opts_.docker_socket));
  for (const auto& rt : s->opts_.cri_runtimes) sources.push_back(std::make_unique<CriSource>(rt.type, rt.socket));
  if (!sources.empty()) s->containers_ = std::make_unique<ContainerMetadata>(std::move(sources), ContainerMetaOptions{});
  s->builder_ = std::make_unique<EventBuilder>(s->opts_.builder, s->procs_, s->users_, s->containers_.get(), boot);
  Sensor* raw = s.get();
  auto probe = BpfProbe::open(s->opts_.probe, [raw](std::span<const uint8_t> rec) { raw->on_record(rec); });
  if (!probe) return probe.error();
  s->probe_ = std::move(probe).value();
  for (const auto& w : s->probe_->warnings()) logger()->warn("{}", w);
  if (auto r = s->select({}); !r) return r.error();
  // Seed after attaching: a process that forks or execs during the walk is then also in the ring (replayed
  // once the consumer starts), instead of falling into a gap between the walk and the attach.
  if (s->opts_.seed_from_proc) s->stats_.seeded = seed_proc_table(s->procs_, s->opts_.builder.proc_root, boot);
  // Containers already running: queue their metadata now, as Falco does on its /proc scan. Otherwise a
  // container started before the sensor is first looked up by its first event, which then goes out (like
  // every event until the answer arrives) without container.name and image.
  if (s->containers_) {
    const auto ids = s->procs_.container_ids();
    for (const auto& id : ids) (void)s->containers_->lookup(id);
    s->stats_.containers_prefetched = ids.size();
  }
  s->stats_.procs = s->procs_.size();
  return s;
}

Sensor::~Sensor() { stop(); }

Result<void> Sensor::select(std::span<const EventType> types, const OpenFilter& open_filter, bool proc_env) {
  if (auto r = probe_->set_open_filter(open_filter); !r) return r;
  builder_->set_proc_env(proc_env);
  std::vector<EventType> fwd(types.begin(), types.end());
  if (fwd.empty()) fwd = supported_event_types();
  uint64_t m0 = 0, m1 = 0;
  std::vector<EventType> wanted;
  for (auto t : fwd) {
    auto i = static_cast<uint32_t>(t);
    if (i < 64) m0 |= 1ull << i; else if (i < 128) m1 |= 1ull << (i - 64);
    wanted.push_back(t);
  }
  for (auto t : supported_event_types())
    if (is_state_type(t)) wanted.push_back(t);
  // close is traced for the fd table only unless a rule wants it: then only closes of known fds matter.
  const bool close_selected = std::find(fwd.begin(), fwd.end(), EventType::kClose) != fwd.end();
  if (auto r = probe_->set_close_filter(!close_selected); !r) return r;
  forward_mask_[0].store(m0);
  forward_mask_[1].store(m1);
  return probe_->set_wanted(wanted);
}

bool Sensor::forwarded(EventType t) const {
  auto i = static_cast<uint32_t>(t);
  if (i < 64) return (forward_mask_[0].load(std::memory_order_relaxed) >> i) & 1;
  if (i < 128) return (forward_mask_[1].load(std::memory_order_relaxed) >> (i - 64)) & 1;
  return false;
}

void Sensor::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Sensor::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Sensor::on_record(std::span<const uint8_t> rec) {
  if (!builder_->build(rec, event_)) return;
  if (forwarded(event_.type)) {
    sink_.on_event(event_);
    forwarded_.fetch_add(1, std::memory_order_relaxed);
  } else {
    state_only_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Sensor::run() {
  // The consumer's own syscalls (/proc reads for unknown processes) must not feed back into the ring.
  if (auto r = probe_->ignore_tid(static_cast<uint32_t>(::syscall(SYS_gettid))); !r)
    logger()->warn("{}", r.error().message);
  next_report_ns_ = mono_ns() + uint64_t{opts_.drop_stats_interval_s} * 1000000000ull;
  while (!stop_.load(std::memory_order_relaxed)) {
    auto n = probe_->poll(opts_.poll_timeout_ms);
    if (!n) {
      logger()->error("{}", n.error().message);
      healthy_ = false;
      break;
    }
    if (*n == 0) {
      sink_.on_idle();
      publish_stats();
    }
    if (mono_ns() >= next_report_ns_) {
      report_drops();
      next_report_ns_ = mono_ns() + uint64_t{opts_.drop_stats_interval_s} * 1000000000ull;
    }
  }
  // Drain what is already in the ring so a clean stop loses nothing that was produced before it.
  (void)probe_->poll(0);
  sink_.on_idle();
  publish_stats();
}

void Sensor::publish_stats() {
  std::lock_guard lk(stats_mu_);
  stats_.builder = builder_->stats();
  stats_.procs = procs_.size();
  stats_.procs_evicted = procs_.evicted();
  stats_.procs_refused = procs_.refused();
}

void Sensor::report_drops() {
  DropReport r;
  r.total = probe_->counters();
  r.delta = r.total - last_counters_;
  r.events = r.delta.events;
  r.drops = r.delta.drops();
  r.ratio = r.events == 0 ? 0.0 : static_cast<double>(r.drops) / static_cast<double>(r.events);
  r.over_threshold = drop_alert_due(r, 0, opts_.drop_alert_ratio);  // the kernel's share (the alert adds user space's)
  last_counters_ = r.total;
  if (r.over_threshold) {
    logger()->warn("kernel dropped {} of {} events ({:.1f}%) in the last {} s; process/fd state may be stale",
                   r.drops, r.events, r.ratio * 100.0, opts_.drop_stats_interval_s);
    std::lock_guard lk(stats_mu_);
    ++stats_.drop_alerts;
  }
  sink_.on_drop_report(r);
}

SensorStats Sensor::stats() const {
  SensorStats s;
  {
    std::lock_guard lk(stats_mu_);
    s = stats_;
  }
  // Table and builder figures are copied by the consumer thread when it goes idle (publish_stats).
  s.kernel = probe_->counters();
  s.forwarded = forwarded_.load(std::memory_order_relaxed);
  s.state_only = state_only_.load(std::memory_order_relaxed);
  if (containers_) {
    s.containers_fetched = containers_->fetched();
    s.containers_failed = containers_->failed();
    s.containers_retried = containers_->retried();
    s.containers_dropped = containers_->queue_drops();
    s.containers_evicted = containers_->evicted();
    s.container_requests = containers_->runtime_requests();
  }
  return s;
}

}  // namespace peregrine::sensor
