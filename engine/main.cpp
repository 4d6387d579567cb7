// peregrine-engine: flags -> offline command or daemon. Everything else lives in peregrine_engine.
#include <iostream>

#include "common/ready_file.h"
#include "engine/cli/cli.h"
#include "engine/runtime/daemon.h"

int main(int argc, char** argv) {
  const auto opts = peregrine::engine::parse_cli(argc, argv, std::cout, std::cerr);
  if (opts.command == peregrine::engine::CliOptions::Command::kDaemon) {
    peregrine::set_ready_file(opts.ready_file);
    return peregrine::engine::run_daemon(opts.config_path);
  }
  return peregrine::engine::run_offline_command(opts, std::cout, std::cerr);
}
