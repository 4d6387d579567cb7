// A Falco alert for responder tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/alert.h"

namespace peregrine::testing {

inline Alert response_alert(std::vector<std::pair<std::string, FieldValue>> fields = {},
                            std::string rule = "Terminal shell in container", Priority p = Priority::kWarning) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = 1'700'000'000'000'000'000ull;
  a.rule = std::move(rule);
  a.priority = p;
  a.tags = {"container", "mitre_execution", "shell"};
  a.hostname = "node-1";
  a.output = "A shell was spawned";
  for (auto& kv : fields) a.output_fields[kv.first] = std::move(kv.second);
  return a;
}

}  // namespace peregrine::testing
