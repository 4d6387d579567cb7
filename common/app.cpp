#include "common/app.h"

#include <cstdio>
#include <exception>
#include <iostream>

#include "common/config/node_reader.h"
#include "common/ready_file.h"

namespace peregrine {

int run_main(int argc, char** argv, std::string_view name, std::function<int(const std::string& config)> body,
             std::function<void(CLI::App&)> extra_flags) {
  const std::string prog = "peregrine-" + std::string(name);
  CommonFlags flags;
  CLI::App app{prog + " — part of Peregrine, runtime security", prog};
  app.add_option("-c,--config", flags.config, "configuration file")->capture_default_str();
  app.add_flag("--version", flags.version, "print the version and exit");
  app.add_option("--ready-file", flags.ready_file,
                 "once serving, write the bound ports and endpoints here as JSON (for supervisors and tests)");
  if (extra_flags) extra_flags(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitLoadError;
  }
  if (flags.version) {
    std::cout << prog << " " << PEREGRINE_VERSION << "\n";
    return 0;
  }
  set_ready_file(flags.ready_file);
  try {
    return body(flags.config);
  } catch (const config::ConfigError& e) {
    std::cerr << prog << ": configuration error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << prog << ": " << e.what() << "\n";
  }
  return kExitLoadError;
}

}  // namespace peregrine
