// Each binary: --version, --help, and a bad config file rejected with file:line before anything starts.
#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

namespace {

const char* kBinaries[] = {"peregrine-engine", "peregrine-router", "peregrine-sensor"};

int run_to_exit(Child& c) { return c.wait_exit(30s); }

}  // namespace

TEST_CASE("every binary prints its version and help") {
  TempDir dir;
  for (const char* name : kBinaries) {
    // The sensor is not built with -DPEREGRINE_BUILD_SENSOR=OFF; the others always are.
    if (binary(name).empty() && std::string(name) == "peregrine-sensor") continue;
    REQUIRE_MESSAGE(!binary(name).empty(), name << " is not built");
    INFO(std::string(name));
    Child v(binary(name), {"--version"}, dir / (std::string(name) + "-version"));
    CHECK(run_to_exit(v) == 0);
    CHECK(v.stdout_text().find(std::string(name) + " ") == 0);
    Child h(binary(name), {"--help"}, dir / (std::string(name) + "-help"));
    CHECK(run_to_exit(h) == 0);
    CHECK(h.stdout_text().find("--config") != std::string::npos);
  }
}

TEST_CASE("an unknown config key is rejected with file:line by every binary") {
  TempDir dir;
  auto cfg = dir / "bad.yaml";
  std::ofstream(cfg) << "engine:\n  rule_matching: first\n  no_such_key: 1\n";
  for (const char* name : kBinaries) {
    // The sensor is not built with -DPEREGRINE_BUILD_SENSOR=OFF; the others always are.
    if (binary(name).empty() && std::string(name) == "peregrine-sensor") continue;
    REQUIRE_MESSAGE(!binary(name).empty(), name << " is not built");
    INFO(std::string(name));
    Child c(binary(name), {"--config", cfg.string()}, dir / name);
    CHECK(run_to_exit(c) == 2);
    auto err = c.stderr_text();
    CHECK(err.find(cfg.string() + ":3:") != std::string::npos);
    CHECK(err.find("no_such_key") != std::string::npos);
  }
}
