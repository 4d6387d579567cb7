// Reading process state from /proc: used to seed the process table at start and to fill in a process the
// sensor first sees mid-life (no fork/exec observed). The parse functions take file contents so that tests
// can feed fixtures; `proc_root` is "/proc" in production and a fixture tree in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/boot_clock.h"
#include "common/result.h"
#include "sensor/proc_table.h"

namespace peregrine::sensor {

struct StatFields {
  std::string comm;
  char state = '?';
  uint32_t ppid = 0, pgrp = 0, session = 0;
  uint32_t tty = 0;            // converted to (major << 20 | minor), as the kernel side reports it
  uint64_t start_ticks = 0;    // clock ticks since boot
};

struct StatusFields {
  uint32_t tgid = 0;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  uint32_t vpid = 0, vpgid = 0;  // innermost NSpid / NSpgid
};

/// /proc/<pid>/stat (comm may contain spaces and parentheses).
std::optional<StatFields> parse_proc_stat(std::string_view content);
StatusFields parse_proc_status(std::string_view content);
/// NUL-separated argv -> argv vector (trailing NUL optional).
std::vector<std::string> split_argv(std::string_view blob);
/// `parts` joined with single spaces (how args and env render as one parameter).
std::string join_words(std::span<const std::string> parts);
/// NUL-separated environment, possibly cut at `limit` bytes -> KEY=VALUE entries. A last entry with no NUL
/// after it was cut short and is left out, and so are empty entries.
std::vector<std::string> split_env(std::string_view blob, size_t limit);

/// Epoch ns of boot (CLOCK_REALTIME - CLOCK_BOOTTIME), to turn boot-clock stamps into wall time.
using peregrine::boot_epoch_ns;

/// Socket inode -> endpoint, from <proc_root>/net/{tcp,tcp6,udp,udp6} and net/unix (family only).
std::unordered_map<uint64_t, SockInfo> read_socket_inodes(const std::string& proc_root);

/// One process from <proc_root>/<pid>; an error when the process is gone or unreadable.
Result<ProcEntry> read_proc_entry(const std::string& proc_root, uint32_t pid, uint64_t boot_epoch,
                                  const std::unordered_map<uint64_t, SockInfo>* sockets, size_t max_fds);

/// Walk <proc_root> and insert every process; returns how many were inserted.
/// Target of a symlink ("" when it cannot be read).
std::string read_link(const std::string& path);

size_t seed_proc_table(ProcTable& table, const std::string& proc_root, uint64_t boot_epoch);

}  // namespace peregrine::sensor
