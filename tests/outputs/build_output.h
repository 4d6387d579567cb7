// Builds one output from YAML keys through the real registry, or returns the error it gives: for the config
// tests of the SMS and syslog outputs. The YAML file is "<type>.yaml"; its output's keys start on line 5.
#pragma once

#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "common/config/config.h"
#include "outputs/registry.h"

namespace peregrine::test {

inline std::string output_yaml(const std::string& type, const std::string& keys) {
  return "router:\n  outputs:\n    - type: " + type + "\n      name: out\n" + keys;
}

inline std::unique_ptr<outputs::Output> build_output(const std::string& type, const std::string& keys) {
  auto cfg = config::try_parse_config(output_yaml(type, keys), type + ".yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
  return std::move(out).value();
}

/// The registry's error for these keys ("<type>.yaml:LINE:COL: ..."); fails the test when they are accepted.
inline std::string output_error(const std::string& type, const std::string& keys) {
  auto cfg = config::try_parse_config(output_yaml(type, keys), type + ".yaml");
  if (!cfg.ok()) return cfg.error().message;
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  auto out = reg.create(cfg->router.outputs.at(0));
  REQUIRE_MESSAGE(!out.ok(), "accepted: " << keys);
  return out.error().message;
}

}  // namespace peregrine::test
