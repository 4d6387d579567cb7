#include "router/delivery/dead_letter.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "common/alert.h"
#include "common/secrets.h"

namespace peregrine::router {

DeadLetterFile::DeadLetterFile(std::filesystem::path path) : path_(std::move(path)) {}

Result<void> DeadLetterFile::write(const std::string& output, const std::string& reason, std::optional<uint64_t> seq,
                                   const std::string& payload) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  nlohmann::json j;
  j["time"] = format_rfc3339_ns(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
  j["output"] = output;
  j["reason"] = secrets::redact(reason);  // an error text may echo a credential (a URL, a header)
  if (seq) j["seq"] = *seq;
  auto parsed = nlohmann::json::parse(payload, nullptr, false);
  j["alert"] = parsed.is_discarded() ? nlohmann::json(payload) : parsed;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');

  std::lock_guard lk(mu_);
  if (!fd_.valid()) {
    fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!fd_.valid()) return errno_error("open dead-letter file", path_.string());
  }
  if (auto r = write_all(fd_.get(), line, path_.string()); !r) return r;
  if (::fdatasync(fd_.get()) != 0) return errno_error("fdatasync", path_.string());
  ++written_;
  return {};
}

uint64_t DeadLetterFile::written() const {
  std::lock_guard lk(mu_);
  return written_;
}

}  // namespace peregrine::router
