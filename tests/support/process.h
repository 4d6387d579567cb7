// Child processes for tests that start real binaries and receivers: stdout/stderr captured to files, killed on
// destruction, exit status and readiness read back without sleeps.
//
// Ports: processes are started on port 0 and tell the test which ports they bound through a ready file
// (`--ready-file PATH`, written by the Peregrine binaries once they serve; receivers' port files likewise), so
// no test picks a port, closes it and hopes it is still free when the process binds it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace peregrine::testing {

struct SpawnOptions {
  std::map<std::string, std::string> env;   // added to (or replacing in) the test's environment
  std::filesystem::path cwd;                // empty = the test's working directory
  bool new_process_group = false;           // the child leads a process group; stop() signals the whole group
};

/// A child process with stdout/stderr captured to `<log_prefix>.out` / `.err`. SIGKILLed (with its process
/// group, when it leads one) on destruction if still running.
class Child {
 public:
  Child(const std::string& exe, const std::vector<std::string>& args, const std::filesystem::path& log_prefix,
        const SpawnOptions& opts = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Waits up to `timeout` for the exit; returns the exit code, 128 + signal when killed by one, -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  /// Sends `sig` (to the group when it leads one), then wait_exit(timeout).
  int stop(int sig, std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stdout_path() const { return out_; }
  const std::filesystem::path& stderr_path() const { return err_; }

 private:
  pid_t pid_ = -1;
  bool group_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path out_, err_;
};

/// Exit code and captured output of one command.
struct CommandResult {
  int rc = -1;  // -1: killed on timeout or by a signal
  std::string out, err;
};

/// Runs `exe args...` (no shell) with stdin from /dev/null and waits up to `timeout`.
CommandResult run_command(const std::string& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Waits until `child` has written its ready file (JSON, written atomically) and returns it. Throws
/// std::runtime_error with the child's stderr when it exits first or `timeout` passes.
nlohmann::json wait_ready(Child& child, const std::filesystem::path& ready_file,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Path of a built Peregrine binary under PEREGRINE_BINARY_DIR ("" when not built).
std::string binary(const std::string& name);

/// "" when the sensor can load here (root and /sys/kernel/btf/vmlinux), otherwise why not.
std::string sensor_unavailable();

}  // namespace peregrine::testing
