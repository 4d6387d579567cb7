// Per-process fd table: fd number -> what it refers to (fd.name, fd.nameraw, fd.typechar, socket tuple).
//
// Kept by open*/creat/socket/connect/accept/dup*/close/memfd_create events and seeded from /proc/<pid>/fd.
// Bounded per process: past `max_entries` new fds are not tracked and the table counts the refusal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/event.h"

namespace peregrine::sensor {

struct FdEntry {
  char typechar = 'o';
  std::string name;       // normalized path or tuple text
  std::string nameraw;    // as passed by the process
  SockInfo sock;
  bool cloexec = false;   // closed by a successful exec
};

class FdTable {
 public:
  explicit FdTable(size_t max_entries = 4096) : max_(max_entries) {}

  /// Insert or replace; false (and a counted refusal) when the table is full and `fd` is new.
  bool set(int64_t fd, FdEntry e);
  const FdEntry* find(int64_t fd) const;
  void erase(int64_t fd) { map_.erase(fd); }
  /// dup/dup2/dup3: newfd becomes a copy of oldfd (unknown oldfd: newfd is forgotten). The copy's
  /// close-on-exec flag is `cloexec` (dup3 O_CLOEXEC), never inherited.
  void dup(int64_t oldfd, int64_t newfd, bool cloexec = false);
  /// A successful exec closes every close-on-exec fd.
  void on_exec();
  size_t size() const { return map_.size(); }
  uint64_t refused() const { return refused_; }
  void set_max(size_t m) { max_ = m; }

 private:
  size_t max_;
  uint64_t refused_ = 0;
  std::unordered_map<int64_t, FdEntry> map_;
};

/// Falco's fd.typechar for what readlink(/proc/<pid>/fd/N) returns ("socket:[123]", "pipe:[9]",
/// "anon_inode:[eventfd]", "/memfd:x (deleted)", "/etc/passwd").
char typechar_from_link(std::string_view link);

/// "ip:port->ip:port" (IPv6 in brackets-free Falco form), or the unix path; empty for unknown families.
/// `local_first` false swaps the sides (accepted connections are rendered client->server).
std::string format_tuple(const SockInfo& s, bool local_first = true);

/// Text of one IP address (4 or 16 bytes of `ip` depending on family).
std::string format_ip(uint8_t family, const std::array<uint8_t, 16>& ip);

}  // namespace peregrine::sensor
