// falco.yaml `append_output`: extra output text and extra output_fields for a subset of the loaded rules.
//
// Each entry matches rules by source, tags (the rule must carry all of them) and/or exact rule name; an entry
// without criteria matches every rule. `extra_output` is appended to the rule's output line (after a space) and
// its fields appear in output_fields like the rule's own; `extra_fields` appear only in output_fields: a field
// name is extracted from the event, a {name: value} pair is a constant. Entries apply in order.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/config/append_output.h"
#include "common/result.h"
#include "engine/filter/format.h"

namespace peregrine::engine {

/// The config loader's entry type (common/config/append_output.h) is the spec: no second copy of it here.
using AppendOutputSpec = config::AppendOutputConfig;

/// One spec compiled against the field registry; shared by every rule it matches.
struct CompiledAppend {
  bool has_output = false;
  OutputFormat extra_output;
  OutputFormat extra_fields;  // "%f1 %f2 ...": rendered only for its typed fields
  std::vector<std::pair<std::string, std::string>> static_fields;
  bool needs_proc_env = false;  // extra_output or extra_fields reads proc.env
};

/// Compiles a spec; the error names the offending field and the spec's position.
Result<std::shared_ptr<const CompiledAppend>> compile_append_output(const AppendOutputSpec& spec,
                                                                    const FieldRegistry& registry,
                                                                    ExtractorPool* pool);

/// True if the spec's match criteria select a rule with this source, tags and name.
bool append_output_matches(const AppendOutputSpec& spec, const std::string& source,
                           const std::vector<std::string>& tags, const std::string& rule);

}  // namespace peregrine::engine
