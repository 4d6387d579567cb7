// One entry of engine.append_output (falco.yaml's append_output): parsed by the config loader, applied by the
// rule engine (engine/rules/append_output.h). Kept apart from config.h so the engine's headers need no YAML.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace peregrine::config {

struct AppendOutputConfig {
  std::string source;                      // match.source: only rules of this source ("" = any)
  std::vector<std::string> tags;           // match.tags: only rules carrying all of these
  std::string rule;                        // match.rule: only the rule with this exact name
  std::string extra_output;                // extra_output: appended to the output line
  std::vector<std::string> extra_fields;   // extra_fields: field names, added to output_fields only ...
  std::vector<std::pair<std::string, std::string>> static_fields;  // ... or {name: value} constants
  std::string where;                       // "FILE:LINE:COL" of the entry, for engine-side errors
  bool operator==(const AppendOutputConfig&) const = default;
};

}  // namespace peregrine::config
