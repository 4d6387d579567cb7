#include "outputs/file/file_output.h"

#include <cstdio>

#include <sys/stat.h>

#include "outputs/json_lines.h"

namespace peregrine::outputs {
namespace {

SendFailure io_failure(const std::string& what, const std::string& path) {
  return SendFailure{SendFailure::Kind::kIo, 0, std::nullopt, errno_error(what, path).message};
}

}  // namespace

FileOutputConfig parse_file_output_config(config::NodeReader& node) {
  FileOutputConfig c;
  c.path = node.required_str("path");
  if (c.path.empty()) node.fail("path", "must not be empty");
  c.rotate_bytes = static_cast<uint64_t>(node.bytes("rotate_bytes", 0, 0, 1LL << 40));
  if (c.rotate_bytes != 0 && c.rotate_bytes < 4096) node.fail("rotate_bytes", "must be 0 (never) or >= 4096");
  c.keep_files = static_cast<uint32_t>(node.integer("keep_files", 5, 1, 1000));
  c.fsync = node.choice("fsync", "batch", {"batch", "none"}) == "batch";
  return c;
}

std::unique_ptr<Output> make_file_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<FileOutput>(std::move(common), parse_file_output_config(node));
}

FileOutput::FileOutput(OutputCommon common, FileOutputConfig config)
    : common_(std::move(common)), config_(std::move(config)) {}

Result<Formatted> FileOutput::format(std::span<const Alert> batch) const {
  return lines_payload(batch, false, config_.path);
}

std::optional<SendFailure> FileOutput::ensure_open() {
  if (fd_.valid()) return std::nullopt;
  fd_ = UniqueFd(::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd_.valid()) return io_failure("open", config_.path);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return io_failure("fstat", config_.path);
  size_ = static_cast<uint64_t>(st.st_size);
  return std::nullopt;
}

std::optional<SendFailure> FileOutput::rotate() {
  if (config_.fsync && dirty_ && ::fdatasync(fd_.get()) != 0) return io_failure("fdatasync", config_.path);
  fd_.reset();
  for (uint32_t i = config_.keep_files; i >= 1; --i) {
    const std::string from = i == 1 ? config_.path : config_.path + "." + std::to_string(i - 1);
    const std::string to = config_.path + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return io_failure("rename", from);
  }
  dirty_ = false;
  return ensure_open();
}

SendResult FileOutput::send(const Payload& payload) {
  SendResult r;
  if (auto f = ensure_open()) {
    r.failure = std::move(f);
    return r;
  }
  if (config_.rotate_bytes != 0 && size_ != 0 && size_ + payload.body.size() > config_.rotate_bytes) {
    if (auto f = rotate()) {
      r.failure = std::move(f);
      return r;
    }
  }
  if (auto w = write_all(fd_.get(), payload.body, config_.path); !w) {
    // Cut a partial batch off (best effort) so a retry never leaves half a JSON line in the file.
    (void)!::ftruncate(fd_.get(), static_cast<off_t>(size_));
    fd_.reset();
    r.failure = SendFailure{SendFailure::Kind::kIo, 0, std::nullopt, w.error().message};
    return r;
  }
  size_ += payload.body.size();
  dirty_ = true;
  return r;
}

SendResult FileOutput::flush() {
  SendResult r;
  if (!fd_.valid() || !dirty_ || !config_.fsync) return r;
  if (::fdatasync(fd_.get()) != 0) r.failure = io_failure("fdatasync", config_.path);
  else dirty_ = false;
  return r;
}

}  // namespace peregrine::outputs
