// A Peregrine stack for integration tests: one config file in a temp dir, ipc endpoints, free admin ports.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace peregrine::testing {

struct StackPorts {
  int sensor = free_port(), engine = free_port(), router = free_port(), intake = free_port();
};

/// Writes <dir>/peregrine.yaml wiring sensor, engine and router over ipc sockets in `dir`.
/// `engine_extra` / `router_extra` / `sensor_extra` are YAML lines appended (indented) to those sections.
/// The sensor gets `docker_socket: ""` (no container metadata) unless `sensor_extra` sets `docker_socket`.
std::string write_stack_config(const TempDir& dir, const StackPorts& ports, const std::string& rules_file,
                               const std::string& engine_extra = "", const std::string& router_extra = "",
                               const std::string& sensor_extra = "");

/// The three binaries on one config file, started downstream first (router, engine, sensor) so that nothing the
/// sensor sends finds its receiver missing. Logs go to <dir>/{router,engine,sensor}.*.
struct LiveStack {
  Child router, engine, sensor;
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
