// process:kill — signals the process an alert names (output field proc.pid) on this host.
//
//   parameters:
//     signal: SIGKILL        # name (SIGTERM, TERM, KILL, ...) or number
//     allow_host: false      # true: processes outside containers (container.id absent, "" or "host") too
//
// Never a recycled pid: the process is pinned with pidfd_open(2), its identity is read from /proc/<pid>/stat
// and /proc/<pid>/exe, then pidfd_send_signal(fd, 0) proves the pinned process is still alive (so what was read
// is about it, not a successor), and only then is the identity compared with the alert's proc.name (comm, 15
// bytes), proc.exepath and proc.start_ts (within kStartTolerance); the signal goes through the same pidfd.
// Never pid 0 or 1, never the responder itself or one of its ancestors.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "responder/actions/actionner.h"

namespace peregrine::responder {

struct ProcessKillParams {
  int signal = 9;
  bool allow_host = false;
};

/// What /proc says about a live process.
struct ProcIdentity {
  pid_t pid = 0;
  std::string comm;
  std::string exe;          // readlink of /proc/<pid>/exe ("" if unreadable)
  uint64_t start_ns = 0;    // epoch ns, from starttime (clock ticks after boot) and the boot time
  pid_t ppid = 0;
};

/// Reads /proc/<pid>/stat and /proc/<pid>/exe; nullopt when the process is gone.
std::optional<ProcIdentity> read_proc_identity(pid_t pid);
/// Why `id` is not the process the alert describes, or nullopt when it is (fields absent in the alert are not
/// compared). proc.exepath is the path as executed (it may be a symlink, /bin/sh -> dash): it matches the
/// resolved /proc/<pid>/exe, or any path that is the same file (device and inode) seen from the process's root.
std::optional<std::string> identity_mismatch(const ProcIdentity& id, const Alert& alert);
/// True when `pid` is this process or one of its ancestors.
bool in_own_tree(pid_t pid);
/// SIGKILL, KILL, 9 → 9; nullopt for an unknown name.
std::optional<int> parse_signal(const std::string& s);

inline constexpr std::chrono::milliseconds kStartTolerance{1000};

class ProcessKill final : public Actionner {
 public:
  explicit ProcessKill(ProcessKillParams p) : p_(p) {}
  std::string_view kind() const override { return "process:kill"; }
  ActionResult run(const Alert& alert, bool dry_run) override;

 private:
  ProcessKillParams p_;
};

ProcessKillParams parse_process_kill(config::NodeReader& params);

}  // namespace peregrine::responder
