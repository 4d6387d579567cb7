// Turns one ring-buffer record into a self-contained peregrine::Event and keeps the sensor's state (process
// table, fd tables, cwd) up to date from the same record.
//
// Single-threaded by design: the consumer thread owns the builder and everything it references except the
// container metadata cache (which is thread-safe and never blocks). The output Event is reused between calls,
// so strings and vectors keep their capacity.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bpf/event_layout.h"
#include "common/config/config.h"
#include "common/event.h"
#include "sensor/container_meta.h"
#include "sensor/proc_table.h"
#include "sensor/user_db.h"

namespace peregrine::sensor {

struct BuilderOptions {
  size_t max_ancestors = static_cast<size_t>(config::SensorConfig{}.max_ancestors);  // sensor.max_ancestors
  std::string proc_root = "/proc";
  uint32_t max_proc_lookups_per_s = 200;  // /proc reads for processes first seen mid-life
};

struct BuilderStats {
  uint64_t records = 0;
  uint64_t malformed = 0;
  uint64_t proc_lookups = 0;
  uint64_t proc_lookups_skipped = 0;  // rate limit reached: the event goes out with header context only
};

class EventBuilder {
 public:
  EventBuilder(BuilderOptions opts, ProcTable& procs, UserDb& users, ContainerMetadata* containers,
               uint64_t boot_epoch_ns);

  /// Decode `record` into `out`. False when the record is malformed (counted); state is updated either way
  /// when the header is readable.
  bool build(std::span<const uint8_t> record, Event& out);

  const BuilderStats& stats() const { return stats_; }

  /// Attach the process environment (proc.env) to events, and keep the exec events' "env" parameter. Off by
  /// default: the environment is large and may hold secrets, so it travels only when a loaded rule reads
  /// proc.env (the engine says so in its selection). The process table keeps it either way. Thread-safe.
  void set_proc_env(bool on) { proc_env_.store(on, std::memory_order_relaxed); }
  bool proc_env() const { return proc_env_.load(std::memory_order_relaxed); }

 private:
  bool decode_params(const pg_event_header& h, std::span<const uint8_t> payload, Event& out);
  void apply_process_state(const pg_event_header& h, std::span<const uint8_t> payload, Event& out);
  void apply_fd_state(ProcEntry* p, Event& out);
  void fill_process(ProcEntry* p, Event& out);
  void fill_container(ProcEntry* p, Event& out);
  ProcEntry* lookup_process(uint32_t pid);
  std::span<const uint8_t> slot(const pg_event_header& h, std::span<const uint8_t> payload, int i) const;

  BuilderOptions opts_;
  ProcTable& procs_;
  UserDb& users_;
  ContainerMetadata* containers_;
  uint64_t boot_epoch_;
  uint64_t seq_ = 0;
  uint64_t lookup_window_start_ = 0;
  uint32_t lookups_in_window_ = 0;
  BuilderStats stats_;
  std::array<uint32_t, PG_MAX_SLOTS + 1> offsets_{};
  std::vector<std::string> exec_argv_;  // argv of the exec event being built
  std::shared_ptr<const std::vector<std::string>> exec_env_;  // its environment (null = not captured)
  std::atomic<bool> proc_env_{false};
  SockInfo tuple_sock_;                 // socket tuple of the event being built (connect, accept, send...)
  bool have_tuple_ = false;  // payload offset of each slot (computed per record)
};

/// Text of a socket parameter slot: pg_sock_tuple (optionally followed by a raw sockaddr) or a raw sockaddr.
/// Fills `sock` when the slot carries a tuple. `accepted` renders client->server for accepted connections.
std::string render_sock_slot(std::span<const uint8_t> slot, bool accepted, SockInfo* sock);

}  // namespace peregrine::sensor
