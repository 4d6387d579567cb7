#include "responder/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace peregrine::responder {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

Journal::Journal(std::string path, size_t max_entries, std::chrono::milliseconds max_age)
    : path_(std::move(path)), max_entries_(max_entries), max_age_(max_age) {
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  load(wall_ms());
  if (auto c = compact(); !c) throw std::runtime_error(c.error().message);
}

Journal::~Journal() = default;

void Journal::load(int64_t now_ms) {
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no '\n': a torn last append, never acknowledged
    std::istringstream ls(line);
    std::string uuid;
    int64_t ms = 0;
    if (!(ls >> uuid >> ms)) continue;
    if (now_ms - ms > max_age_.count() || uuids_.count(uuid)) continue;
    uuids_.insert(uuid);
    order_.emplace_back(std::move(uuid), ms);
  }
  while (order_.size() > max_entries_) {
    uuids_.erase(order_.front().first);
    order_.pop_front();
  }
}

Result<void> Journal::compact() {
  // Rewrites the file with what is remembered: tmp + fsync + rename + fsync of the directory.
  const std::string tmp = path_ + ".tmp";
  std::string text;
  for (const auto& [uuid, ms] : order_) text += uuid + " " + std::to_string(ms) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(errno_text("cannot create", tmp), ErrorCode::kIo);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) return make_error(errno_text("cannot write", tmp), ErrorCode::kIo);
  const auto dir = std::filesystem::path(path_).parent_path();
  if (int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd_.valid()) return make_error(errno_text("cannot open", path_), ErrorCode::kIo);
  lines_in_file_ = order_.size();
  return {};
}

Result<void> Journal::append_line(const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(errno_text("cannot append to", path_), ErrorCode::kIo);
    off += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_.get()) != 0) return make_error(errno_text("cannot fsync", path_), ErrorCode::kIo);
  ++lines_in_file_;
  return {};
}

bool Journal::seen(const std::string& uuid) const {
  std::lock_guard lock(mu_);
  return uuids_.count(uuid) != 0;
}

size_t Journal::size() const {
  std::lock_guard lock(mu_);
  return uuids_.size();
}

Result<bool> Journal::record(const std::string& uuid, int64_t now_ms) {
  if (uuid.empty() || uuid.find_first_of(" \n") != std::string::npos)
    return make_error("alert uuid is empty or holds a space or newline", ErrorCode::kInvalid);
  std::lock_guard lock(mu_);
  if (uuids_.count(uuid)) return false;
  if (auto a = append_line(uuid + " " + std::to_string(now_ms) + "\n"); !a) return a.error();
  uuids_.insert(uuid);
  order_.emplace_back(uuid, now_ms);
  while (order_.size() > max_entries_ || (!order_.empty() && now_ms - order_.front().second > max_age_.count())) {
    uuids_.erase(order_.front().first);
    order_.pop_front();
  }
  if (lines_in_file_ > 2 * max_entries_) {
    if (auto c = compact(); !c) return c.error();
  }
  return true;
}

}  // namespace peregrine::responder
