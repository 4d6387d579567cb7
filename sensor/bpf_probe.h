// RAII owner of the loaded BPF programs, their maps and the ring buffer.
//
// Load-time failures are reported as one Error naming the cause (not root, no BTF, verifier rejection with the
// tail of libbpf's log). Optional hooks (sys_enter stash, sched_process_fork) that fail to attach give a
// warning and the rest keeps working. Not thread-safe except where noted: one consumer thread polls.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "bpf/event_layout.h"
#include "common/config/config.h"
#include "common/event_types.h"
#include "common/open_filter.h"
#include "common/result.h"

struct peregrine_bpf;
struct ring_buffer;

namespace peregrine::sensor {

struct ProbeOptions {
  // Defaults of config keys come from config::SensorConfig (sensor.ring_buffer_mib, .cpus_per_buffer, ...).
  uint32_t ring_buffer_mib = static_cast<uint32_t>(config::SensorConfig{}.ring_buffer_mib);  // per ring, power of 2
  uint32_t cpus_per_buffer = static_cast<uint32_t>(config::SensorConfig{}.cpus_per_buffer);  // CPUs per ring; 0 = one
  bool enter_hook = config::SensorConfig{}.toctou_paths;  // TOCTOU-safe copy of open* paths at syscall entry
  uint32_t ignore_tgid = 0;       // the sensor's own process (0 = report everything)
  bool capture_buffers = config::SensorConfig{}.capture_buffers;  // copy up to PG_MAX_DATA bytes of send/recv data
  std::string btf_path = "/sys/kernel/btf/vmlinux";
};

struct KernelCounters {
  uint64_t events = 0;
  std::array<uint64_t, PG_CAT_COUNT> ring_full{};
  uint64_t oversize = 0;
  uint64_t scratch = 0;
  uint64_t filtered = 0;        // opens the open filter dropped on purpose (not drops)
  uint64_t filtered_close = 0;  // closes of fds user space never learnt about (not drops)
  uint64_t drops() const;
};

/// Per-counter difference (an interval's counts from two cumulative readings).
KernelCounters operator-(const KernelCounters& now, const KernelCounters& before);

/// Name of a drop category as exported in metrics ("proc", "file", "net", "close", "other").
std::string_view drop_category_name(int category);

class BpfProbe {
 public:
  using RecordHandler = std::function<void(std::span<const uint8_t>)>;

  /// Check privileges and BTF, load, fill the recipe table, attach. `on_record` runs inside poll().
  static Result<std::unique_ptr<BpfProbe>> open(const ProbeOptions& opts, RecordHandler on_record);
  ~BpfProbe();
  BpfProbe(const BpfProbe&) = delete;
  BpfProbe& operator=(const BpfProbe&) = delete;

  /// Make exactly these event types reach user space (the caller adds the state set). Safe from any thread.
  Result<void> set_wanted(std::span<const EventType> types);
  /// Load the engine's open filter (common/open_filter.h) into the kernel; pass_all turns it off. While the
  /// maps change every open is reported, so no wanted open is lost. Safe from any thread.
  Result<void> set_open_filter(const OpenFilter& f);
  /// On: report only closes of fds user space knows (bpf/fd_bits.bpf.h); use when the engine does not select
  /// close itself. Safe from any thread.
  Result<void> set_close_filter(bool active);
  /// Never report syscalls of this thread (the sensor's own threads; at most PG_MAX_IGNORED_TIDS). Thread-safe.
  Result<void> ignore_tid(uint32_t tid);
  /// Consume ring-buffer records for up to timeout_ms; returns records consumed or an error.
  Result<int> poll(int timeout_ms);
  /// Sum of the per-CPU counters. Safe from any thread.
  KernelCounters counters() const;
  /// Hooks that are attached ("sys_exit", "sched_process_exec", ...).
  const std::vector<std::string>& attached() const { return attached_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// Ring buffers in use (one per group of cpus_per_buffer CPUs).
  size_t rings() const { return ring_fds_.size(); }

 private:
  BpfProbe() = default;
  Result<void> load(const ProbeOptions& opts);
  Result<void> attach(const ProbeOptions& opts);
  Result<void> create_rings(uint32_t rings, uint32_t cpus_per_ring, uint32_t ring_bytes);
  /// settings_ into the pg_settings map; the caller holds settings_mu_ (or is still loading).
  Result<void> write_settings();
  static int on_sample(void* ctx, void* data, size_t size);

  peregrine_bpf* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  RecordHandler on_record_;
  std::mutex settings_mu_;
  pg_settings settings_{};
  std::vector<int> ring_fds_;
  std::vector<std::string> attached_, warnings_;
};

}  // namespace peregrine::sensor
