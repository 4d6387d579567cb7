// The engine daemon: events in (sensor link), rules, alerts out (router link). Owned by the runtime work.
#pragma once

#include <string>

namespace peregrine::engine {

/// Runs the engine daemon with the config file at `config_path` until SIGINT/SIGTERM.
/// Returns the process exit code.
int run_daemon(const std::string& config_path);

}  // namespace peregrine::engine
