// The load error parse_config gives for a YAML text ("<no error>" when it loads), for the config tests.
#pragma once

#include <string>

#include "common/config/config.h"

namespace peregrine::config::testing {

inline std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace peregrine::config::testing
