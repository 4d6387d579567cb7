#include "common/signals.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace peregrine {
namespace {

constexpr int kMaxInstances = 16;
// Write ends of the registered pipes, stored as fd + 1 so that the zero-initialised array means "empty".
std::atomic<int> g_write_fds[kMaxInstances];
volatile std::sig_atomic_t g_last_signal = 0;
std::mutex g_slots_mu;

void on_signal(int sig) {
  int saved = errno;
  g_last_signal = sig;
  for (auto& slot : g_write_fds) {
    int fd = slot.load() - 1;
    if (fd >= 0) {
      char b = 1;
      [[maybe_unused]] ssize_t n = ::write(fd, &b, 1);
    }
  }
  errno = saved;
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] { ShutdownSignal::install_handlers(); });
}

}  // namespace

void ShutdownSignal::install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, nullptr);
}

ShutdownSignal::ShutdownSignal() {
  install_once();
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  std::lock_guard lock(g_slots_mu);
  for (int i = 0; i < kMaxInstances; ++i) {
    if (g_write_fds[i].load() == 0) {
      slot_ = i;
      g_write_fds[i].store(write_fd_ + 1);
      return;
    }
  }
  ::close(read_fd_);
  ::close(write_fd_);
  throw std::runtime_error("too many ShutdownSignal instances");
}

ShutdownSignal::~ShutdownSignal() {
  {
    std::lock_guard lock(g_slots_mu);
    g_write_fds[slot_].store(0);
  }
  // A handler running concurrently on another thread may still hold the old fd number for a moment; the
  // write end is closed last so that window only ever sees a valid pipe or -1 in the common case.
  ::close(read_fd_);
  ::close(write_fd_);
}

bool ShutdownSignal::wait_for(std::chrono::milliseconds timeout) const {
  pollfd p{read_fd_, POLLIN, 0};
  // Very long timeouts ("forever") must neither overflow the deadline nor poll()'s int argument.
  timeout = std::min(timeout, std::chrono::milliseconds(std::chrono::hours(24 * 365 * 100)));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    int ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool ShutdownSignal::requested() const { return wait_for(std::chrono::milliseconds(0)); }

void ShutdownSignal::request() {
  char b = 1;
  [[maybe_unused]] ssize_t n = ::write(write_fd_, &b, 1);
}

int ShutdownSignal::last_signal() { return g_last_signal; }

}  // namespace peregrine
