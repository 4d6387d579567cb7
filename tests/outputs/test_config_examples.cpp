// The commented output examples in config/peregrine.yaml stay valid: each block, uncommented, builds an output
// through the registry (with its environment variables set to placeholders), and every registered output type has
// an example there (or is configured outright, as stdout and file are).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/config/config.h"
#include "outputs/registry.h"

using namespace peregrine;

namespace {

const std::string kConfig = std::string(PEREGRINE_SOURCE_DIR) + "/config/peregrine.yaml";

struct Examples {
  std::string block;             // the examples, uncommented, as the items of router.outputs
  std::set<std::string> types;   // the `type` of each example
  size_t count = 0;
};

// Lines "    # ..." between the markers are example YAML; "    ## ..." lines are prose and stay comments.
Examples read_examples() {
  std::ifstream in(kConfig);
  REQUIRE(in.good());
  Examples ex;
  const std::regex type_line(R"(^    # - type: ([a-z_]+))");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.find("# --- examples ---") != std::string::npos) {
      inside = true;
    } else if (line.find("# --- end of examples ---") != std::string::npos) {
      inside = false;
    } else if (inside && line.rfind("    # ", 0) == 0) {
      ex.block += "    " + line.substr(6) + "\n";
      std::smatch m;
      if (std::regex_search(line, m, type_line)) ex.types.insert(m[1]), ++ex.count;
    }
  }
  return ex;
}

// Placeholders for the ${VAR}s the examples need (secrets have no default on purpose): a URL for *_URL, else
// letters and digits, long enough for a key (webhook hmac_secret) and valid as an id (Twilio's account SID).
void set_placeholders(const std::string& block) {
  const std::regex var(R"(\$\{([A-Z0-9_]+)\})");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), var); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    const bool url = name.size() > 4 && name.compare(name.size() - 4, 4, "_URL") == 0;
    ::setenv(name.c_str(), url ? "https://placeholder.invalid/hook" : "Placeholder0Secret0Value", 0);
  }
}

}  // namespace

TEST_CASE("config/peregrine.yaml: every commented output example loads") {
  const Examples ex = read_examples();
  REQUIRE(ex.count >= 2);
  set_placeholders(ex.block);
  auto cfg = config::try_parse_config("router:\n  outputs:\n" + ex.block, "config/peregrine.yaml (examples)");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message) << "\n" << ex.block);
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  auto outs = reg.create_all(cfg->router.outputs);
  REQUIRE_MESSAGE(outs.ok(), (outs.ok() ? "" : outs.error().message) << "\n" << ex.block);
  CHECK(outs->size() == ex.count);
}

TEST_CASE("config/peregrine.yaml: every registered output type is configured or has a commented example") {
  const Examples ex = read_examples();
  std::set<std::string> shown = ex.types;
  auto cfg = config::try_load_config(kConfig);
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  for (const auto& o : cfg->router.outputs) shown.insert(o.type);
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  REQUIRE(reg.types().size() >= 12);
  for (const auto& type : reg.types())
    CHECK_MESSAGE(shown.count(type) == 1, "output type '" << type << "' has no example in config/peregrine.yaml");
}
