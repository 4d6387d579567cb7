// The sensor's process table: one entry per process (thread group), kept by fork/exec/exit events and seeded
// from /proc, giving every event its process context (exe, args, cwd, caps, container, ancestors, fds).
//
// Bounded: at `max_entries` the oldest exited entries are evicted first; exited entries stay until then so that
// late events and children still resolve their ancestry. When the table is full of live processes a new entry
// is refused and counted (the event still carries the kernel header's identity).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event.h"
#include "sensor/fd_table.h"

namespace peregrine::sensor {

struct ProcEntry {
  uint32_t pid = 0, ppid = 0;
  uint32_t sid = 0, pgid = 0, vpid = 0, vpgid = 0;
  uint32_t loginuid = 0xffffffffu;
  uint32_t tty = 0;
  uint64_t start_ts = 0;  // epoch ns
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  uint64_t exe_ino = 0, exe_ino_ctime = 0, exe_ino_mtime = 0;
  bool exe_from_memfd = false, exe_upper_layer = false, exe_lower_layer = false, exe_writable = false;
  std::string comm, exe, exepath, cwd;
  std::vector<std::string> args;
  // KEY=VALUE, from the exec or /proc/<pid>/environ (at most PG_MAX_ENV_BYTES); shared with forked children,
  // which inherit it unchanged, so a fork copies a pointer, not the strings. Null = not known.
  std::shared_ptr<const std::vector<std::string>> env;
  std::string container_id = "host";
  bool exited = false;
  FdTable fds;
};

class ProcTable {
 public:
  explicit ProcTable(size_t max_entries = 32768, size_t max_fds_per_proc = 1024)
      : max_(max_entries), max_fds_(max_fds_per_proc) {}

  ProcEntry* find(uint32_t pid);
  /// Insert or replace a whole entry (seeding); nullptr when full of live processes.
  ProcEntry* upsert(ProcEntry e);
  /// A new process `child` forked from `parent_pid`: inherits exe, args, cwd, caps, container, fds.
  ProcEntry* on_fork(uint32_t child, uint32_t parent_pid, uint32_t ppid);
  /// The entry for `pid`, created empty if missing (exec of an unknown process).
  ProcEntry* get_or_create(uint32_t pid);
  /// Process gone: kept (marked exited) until evicted.
  void on_exit(uint32_t pid);

  /// Distinct container ids of the live processes ("host" excluded), sorted.
  std::vector<std::string> container_ids() const;

  /// Ancestors of `pid`, parent first, at most `max` (stops at pid 0/1 loops and unknown parents).
  void ancestors(uint32_t pid, size_t max, std::vector<AncestorInfo>& out);

  size_t size() const { return map_.size(); }
  uint64_t evicted() const { return evicted_; }
  uint64_t refused() const { return refused_; }
  size_t max_fds_per_proc() const { return max_fds_; }

 private:
  bool make_room();

  size_t max_, max_fds_;
  uint64_t evicted_ = 0, refused_ = 0;
  std::unordered_map<uint32_t, ProcEntry> map_;
  std::deque<uint32_t> exited_order_;
};

}  // namespace peregrine::sensor
