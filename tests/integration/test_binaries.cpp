// Each binary: --version, --help, and a bad config file rejected with file:line before anything starts.
#include <doctest/doctest.h>

#include <fstream>

#include "tests/integration/harness.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

namespace {

const char* kBinaries[] = {"peregrine-engine", "peregrine-router", "peregrine-sensor"};

bool built(const std::string& name) {
  try {
    binary(name);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

int run_to_exit(Child& c) {
  REQUIRE(wait_until([&] { return !c.running(); }, 30s));
  return c.stop(0, 1s);
}

}  // namespace

TEST_CASE("every binary prints its version and help") {
  TempDir dir;
  for (const char* name : kBinaries) {
    if (!built(name)) {
      MESSAGE("SKIPPED: " << name << " is not built in this configuration");
      continue;
    }
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
    if (!built(name)) {
      MESSAGE("SKIPPED: " << name << " is not built in this configuration");
      continue;
    }
    INFO(std::string(name));
    Child c(binary(name), {"--config", cfg.string()}, dir / name);
    CHECK(run_to_exit(c) == 2);
    auto err = c.stderr_text();
    CHECK(err.find(cfg.string() + ":3:") != std::string::npos);
    CHECK(err.find("no_such_key") != std::string::npos);
  }
}
