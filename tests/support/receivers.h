// Real receivers for integration tests (OpenSearch, VictoriaLogs, Alertmanager, Kannel, rsyslog), started
// through scripts/receivers.sh (built and cached by `make receivers`; see tests/receivers/README.md). Each runs
// on 127.0.0.1 with its state under the test's directory and is stopped when the Receiver goes away.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace peregrine::testing {

class Receiver {
 public:
  /// "" when `name` is built (scripts/receivers.sh path NAME succeeds), else why not (for PEREGRINE_SKIP).
  static std::string unavailable(const std::string& name);

  /// Starts `name` with its state in `dir` and waits (up to 120 s) for its port file. `options` go after the
  /// standard arguments (e.g. {"--http-port", "9200"}). Throws std::runtime_error with its output on failure.
  Receiver(const std::string& name, const std::filesystem::path& dir, std::vector<std::string> options = {});
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  /// A port from the port file ("" = the first one, the main port).
  int port(const std::string& which = "") const;
  /// A raw value from the port file (e.g. rsyslog's "ca" path).
  std::string value(const std::string& key) const;
  std::string url(const std::string& path = "") const;
  const std::filesystem::path& dir() const { return dir_; }
  /// SIGTERM and wait (idempotent). Returns the exit status.
  int stop();
  bool running() { return child_ && child_->running(); }
  std::string output() const;

 private:
  std::string name_;
  std::filesystem::path dir_;
  std::unique_ptr<Child> child_;
  std::vector<std::pair<std::string, std::string>> ports_;  // in file order
};

/// Path of scripts/receivers.sh in the source tree.
std::string receivers_script();

}  // namespace peregrine::testing
