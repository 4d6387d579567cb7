// uid/gid -> user.name / group.name, from /etc/passwd and /etc/group.
//
// Cached in memory; on every 64th lookup, and at most once per `recheck` interval, the files' mtime is checked
// and the cache re-read when either changed (useradd while the sensor runs). refresh() checks immediately. Not thread-safe: owned by the consumer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <unordered_map>

namespace peregrine::sensor {

class UserDb {
 public:
  UserDb(std::string passwd_path = "/etc/passwd", std::string group_path = "/etc/group",
         std::chrono::milliseconds recheck = std::chrono::seconds(1));

  /// User name for a uid; "" when unknown.
  const std::string& user_name(uint32_t uid);
  /// Group name for a gid; "" when unknown.
  const std::string& group_name(uint32_t gid);
  /// Check the files now and re-read when they changed (also done lazily by lookups).
  void refresh();
  uint64_t reloads() const { return reloads_; }

 private:
  void maybe_refresh();
  static bool load(const std::string& path, std::unordered_map<uint32_t, std::string>& out);

  std::string passwd_path_, group_path_;
  std::chrono::milliseconds recheck_;
  std::chrono::steady_clock::time_point next_check_{};
  timespec passwd_mtime_{}, group_mtime_{};
  bool loaded_ = false;
  uint64_t reloads_ = 0;
  uint32_t calls_ = 0;
  std::unordered_map<uint32_t, std::string> users_, groups_;
};

}  // namespace peregrine::sensor
