// RAII owner of a POSIX file descriptor plus small I/O helpers (the router queue, dead letters, file outputs).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "common/result.h"

namespace peregrine {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline Error errno_error(std::string_view what, const std::string& path) {
  return make_error(std::string(what) + " " + path + ": " + std::strerror(errno), ErrorCode::kIo);
}

/// write() until done, retrying EINTR and short writes.
inline Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

/// pread() exactly `len` bytes; error on EOF.
inline Result<void> pread_all(int fd, char* buf, size_t len, uint64_t off, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("pread", path);
    }
    if (n == 0) return make_error("unexpected end of file in " + path, ErrorCode::kIo);
    buf += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return {};
}

/// fsync of a directory, so that created/renamed/deleted entries survive a crash.
inline Result<void> fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open dir", dir);
  if (::fsync(fd.get()) != 0) return errno_error("fsync dir", dir);
  return {};
}

}  // namespace peregrine
