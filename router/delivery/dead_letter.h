// Append-only JSON-lines file for alerts that will never be delivered: permanent output failures, retries
// exhausted, alerts refused at intake. Nothing accepted is dropped silently; it ends up delivered or here.
//
// Line: {"time":"<RFC 3339>","output":"<name or intake>","reason":"...","seq":N,"alert":<alert JSON or string>}
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/fd_util.h"

namespace peregrine::router {

class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::filesystem::path path);
  /// Appends one entry and fdatasyncs. `payload` is embedded as JSON when it parses, else as a string.
  Result<void> write(const std::string& output, const std::string& reason, std::optional<uint64_t> seq,
                     const std::string& payload);
  const std::filesystem::path& path() const { return path_; }
  uint64_t written() const;

 private:
  std::filesystem::path path_;
  mutable std::mutex mu_;
  UniqueFd fd_;
  uint64_t written_ = 0;
};

}  // namespace peregrine::router
