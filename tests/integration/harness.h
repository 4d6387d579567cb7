// Test harness for integration tests that start the real binaries: child processes, temp dirs, free ports,
// HTTP GETs and condition waits with deadlines (never sleeps as synchronisation).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace peregrine::testing {

/// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// A child process with stdout/stderr captured to files. Killed (SIGKILL) on destruction if still running.
class Child {
 public:
  Child(const std::string& exe, const std::vector<std::string>& args, const std::filesystem::path& log_prefix);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Sends `sig` and waits up to `timeout` for exit; returns the exit status (or -1 on timeout / signal death).
  int stop(int sig, std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path out_, err_;
};

/// Polls `pred` until it is true or `timeout` passes (short back-off between polls).
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

/// GET http://127.0.0.1:port/path; returns the body, or "" with status set to 0 when unreachable.
std::string http_get(int port, const std::string& path, int* status = nullptr);

/// The value of a Prometheus sample `name` (exact series text, e.g. `peregrine_x_total`), or -1 if absent.
double metric_value(const std::string& metrics_text, const std::string& series);

/// Lines of a text file (missing file = none).
std::vector<std::string> read_lines(const std::filesystem::path& p);

/// Path of a built binary under PEREGRINE_BINARY_DIR.
std::string binary(const std::string& name);

/// True when running as root with BTF available (the sensor can load).
bool can_run_sensor();

}  // namespace peregrine::testing
