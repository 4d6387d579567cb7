// The commented output examples in config/peregrine.yaml stay valid: each block, uncommented, builds an output
// through the registry (with its environment variables set to placeholders).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/config/config.h"
#include "outputs/registry.h"

using namespace peregrine;

TEST_CASE("config/peregrine.yaml: every commented output example loads") {
  std::ifstream in(std::string(PEREGRINE_SOURCE_DIR) + "/config/peregrine.yaml");
  REQUIRE(in.good());
  std::string line, block;
  bool inside = false;
  size_t examples = 0;
  while (std::getline(in, line)) {
    if (line.find("# --- examples ---") != std::string::npos) inside = true;
    else if (line.find("# --- end of examples ---") != std::string::npos) inside = false;
    else if (inside && line.rfind("    # ", 0) == 0) block += "    " + line.substr(6) + "\n", examples += line.find("# - type:") != std::string::npos;
  }
  REQUIRE(examples >= 2);
  // Placeholders for the ${VAR}s the examples need (secrets have no default on purpose).
  const std::regex var(R"(\$\{([A-Z0-9_]+)\})");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), var); it != std::sregex_iterator(); ++it)
    ::setenv((*it)[1].str().c_str(), "placeholder-value", 0);
  auto cfg = config::try_parse_config("router:\n  outputs:\n" + block, "config/peregrine.yaml (examples)");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message) << "\n" << block);
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  auto outs = reg.create_all(cfg->router.outputs);
  REQUIRE_MESSAGE(outs.ok(), (outs.ok() ? "" : outs.error().message) << "\n" << block);
  CHECK(outs->size() == examples);
}
