// The shared shape of the three mains: flags, config path, version, and turning load-time exceptions into
// one clear line on stderr and exit code 2.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace peregrine {

struct CommonFlags {
  std::string config = "config/peregrine.yaml";  // --config / -c
  bool version = false;                          // --version
  std::string ready_file;                        // --ready-file: JSON with the bound ports, once serving
};

inline constexpr int kExitLoadError = 2;

/// Parses --config, --help, --version (prints "peregrine-<name> <version>") plus `extra_flags`, then runs
/// body(config_path). A ConfigError or any other exception escaping body() (load time) is printed as
/// "peregrine-<name>: <message>" and returns 2; a bad command line also returns 2.
int run_main(int argc, char** argv, std::string_view name, std::function<int(const std::string& config)> body,
             std::function<void(CLI::App&)> extra_flags = {});

}  // namespace peregrine
