// A Peregrine stack for integration tests: one config file in a temp dir, ipc endpoints, every HTTP port 0 and
// read back from the processes' ready files (no port is picked by the test and hoped to stay free).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace peregrine::testing {

/// Writes <dir>/peregrine.yaml wiring sensor, engine and router over ipc sockets in `dir`, admin and intake
/// servers on port 0, and a file output `alerts` at <dir>/alerts.jsonl.
/// `engine_extra` / `router_extra` / `sensor_extra` are YAML lines appended (indented) to those sections.
/// The sensor gets `docker_socket: ""` (no container metadata) unless `sensor_extra` sets `docker_socket`.
std::string write_stack_config(const TempDir& dir, const std::string& rules_file, const std::string& engine_extra = "",
                               const std::string& router_extra = "", const std::string& sensor_extra = "");

/// One Peregrine binary ("router", "engine", "sensor") on `cfg`, started with --ready-file; logs in
/// <dir>/<name>.{out,err}.
class Process {
 public:
  Process(const TempDir& dir, const std::string& name, const std::string& cfg,
          const std::vector<std::string>& extra_args = {});
  /// The same, with its logs and ready file named `label` (several instances of one binary in one dir) and
  /// `env` added to its environment.
  Process(const TempDir& dir, const std::string& name, const std::string& cfg, const std::string& label,
          const std::map<std::string, std::string>& env);
  /// The ready file's JSON, waiting for it the first time (throws with the process's stderr on failure).
  const nlohmann::json& ready(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  int admin_port() { return ready().at("admin_port").get<int>(); }
  int intake_port() { return ready().at("intake_port").get<int>(); }
  Child& child() { return child_; }
  int stop(int sig, std::chrono::milliseconds timeout) { return child_.stop(sig, timeout); }
  bool running() { return child_.running(); }
  std::string stderr_text() const { return child_.stderr_text(); }
  std::string stdout_text() const { return child_.stdout_text(); }

 private:
  std::filesystem::path ready_file_;
  Child child_;
  nlohmann::json info_;
};

/// The three binaries on one config file, started downstream first (router, engine, sensor), each ready before
/// the next starts, so that nothing the sensor sends finds its receiver missing.
struct LiveStack {
  Process router, engine, sensor;
  LiveStack(const TempDir& dir, const std::string& cfg);
  /// SIGTERM upstream first (sensor, engine, router); "" when each exited with status 0, else what did not.
  std::string stop_all();
};

/// The alerts of the router's JSON-lines file output, parsed (missing file = none).
std::vector<nlohmann::json> alerts_in(const std::filesystem::path& file);

/// promtool's verdict on a metrics text: "" when it passes (or promtool is missing: see has_promtool()).
std::string promtool_check(const std::string& metrics_text);
bool has_promtool();

}  // namespace peregrine::testing
