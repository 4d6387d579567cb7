// Shared by the live sensor tests: root/BTF check, an EventSink that keeps this process's events and waits on
// conditions with a deadline, and a started Sensor with the full selection.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>

#include "sensor/sensor.h"

namespace peregrine::sensor::testing {

using namespace std::chrono_literals;

inline bool can_run() {
  if (::geteuid() != 0) {
    PEREGRINE_SKIP_NOTE("loading BPF programs needs root");
    return false;
  }
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
    PEREGRINE_SKIP_NOTE("no kernel BTF at /sys/kernel/btf/vmlinux");
    return false;
  }
  return true;
}

// Keeps events of this process and its descendants; waits on conditions with a deadline.
class Collector : public EventSink {
 public:
  void on_event(const Event& ev) override {
    const uint32_t self = static_cast<uint32_t>(::getpid());
    bool mine = ev.proc.pid == self || ev.proc.ppid == self;
    for (const auto& a : ev.proc.ancestors) mine = mine || a.pid == self;
    if (!mine) return;
    std::lock_guard lk(mu_);
    events_.push_back(ev);
    cv_.notify_all();
  }
  /// The first kept event matching `pred`, waiting up to `timeout`.
  std::optional<Event> wait_for(const std::function<bool(const Event&)>& pred, std::chrono::seconds timeout = 10s) {
    std::unique_lock lk(mu_);
    std::optional<Event> found;
    cv_.wait_for(lk, timeout, [&] {
      for (const auto& e : events_)
        if (pred(e)) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }
  /// Waits until at least `n` kept events match `pred`; false on timeout.
  bool wait_count(const std::function<bool(const Event&)>& pred, size_t n, std::chrono::seconds timeout = 10s) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] {
      return static_cast<size_t>(std::count_if(events_.begin(), events_.end(), pred)) >= n;
    });
  }
  size_t count(const std::function<bool(const Event&)>& pred) {
    std::lock_guard lk(mu_);
    return static_cast<size_t>(std::count_if(events_.begin(), events_.end(), pred));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

struct Live {
  Collector sink;
  std::unique_ptr<Sensor> sensor;
  explicit Live(const std::function<void(SensorOptions&)>& tweak = {}) {
    SensorOptions o;
    o.docker_socket.clear();
    o.probe.ring_buffer_mib = 16;
    if (tweak) tweak(o);
    auto s = Sensor::create(o, sink);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message));
    sensor = std::move(s).value();
    sensor->start();
  }
  ~Live() { sensor->stop(); }
};

inline std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }
inline std::string self_comm() {
  std::ifstream in("/proc/self/comm");
  std::string c;
  std::getline(in, c);
  return c;
}
inline uint32_t self_pid() { return static_cast<uint32_t>(::getpid()); }

// Forks a child that runs `fn` and exits with its result; returns the child's pid (already reaped).
inline pid_t run_child(const std::function<int()>& fn) {
  pid_t c = ::fork();
  if (c == 0) _exit(fn());
  int status = 0;
  ::waitpid(c, &status, 0);
  return c;
}

}  // namespace peregrine::sensor::testing
