// The idempotence journal: the alert uuids the responder has taken, so that an alert delivered again (the
// router's at-least-once delivery, a retry after a lost 200, a restart) never runs its actions twice.
//
// File format: one line per alert, "<uuid> <epoch ms>\n", appended and fdatasync'ed before record() returns
// (the intake answers 200 only after that). At open the file is read back (a torn last line is ignored),
// entries older than max_age or beyond the newest max_entries are forgotten, and the file is rewritten
// (tmp + fsync + rename) when it holds more than twice max_entries lines. Recording comes *before* acting:
// a crash between the two loses that alert's actions (at most once), never repeats them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>

#include "common/fd_util.h"
#include "common/result.h"

namespace peregrine::responder {

class Journal {
 public:
  /// Opens (creating the file and its directory if needed) and loads `path`. Throws std::runtime_error.
  Journal(std::string path, size_t max_entries, std::chrono::milliseconds max_age);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// True when `uuid` was recorded (and not yet forgotten).
  bool seen(const std::string& uuid) const;
  /// Appends `uuid` durably. Returns false (nothing changed) when it was already recorded; an error when the
  /// append or fsync failed (the caller must not act on the alert).
  Result<bool> record(const std::string& uuid, int64_t now_ms);
  size_t size() const;

 private:
  void load(int64_t now_ms);
  Result<void> compact();
  Result<void> append_line(const std::string& line);

  std::string path_;
  size_t max_entries_;
  std::chrono::milliseconds max_age_;
  mutable std::mutex mu_;
  UniqueFd fd_;
  size_t lines_in_file_ = 0;
  std::deque<std::pair<std::string, int64_t>> order_;  // oldest first
  std::unordered_set<std::string> uuids_;
};

}  // namespace peregrine::responder
