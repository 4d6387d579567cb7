#include "engine/rules/append_output.h"

#include <algorithm>

#include "engine/rules/proc_env.h"

namespace peregrine::engine {

Result<std::shared_ptr<const CompiledAppend>> compile_append_output(const AppendOutputSpec& spec,
                                                                    const FieldRegistry& registry,
                                                                    ExtractorPool* pool) {
  auto fail = [&](const std::string& what, const std::string& msg) -> Result<std::shared_ptr<const CompiledAppend>> {
    return make_error((spec.where.empty() ? "" : spec.where + ": ") + "append_output." + what + ": " + msg);
  };
  auto c = std::make_shared<CompiledAppend>();
  if (!spec.extra_output.empty()) {
    auto out = compile_output(spec.extra_output, registry, pool);
    if (!out) return fail("extra_output", out.error().message);
    c->extra_output = std::move(out).value();
    c->has_output = true;
  }
  std::string fields;
  for (const auto& f : spec.extra_fields) {
    // Each name must be exactly one field: output formats would read "proc.namex" as %proc.name + "x".
    auto one = compile_output("%" + f, registry, pool);
    if (!one) return fail("extra_fields", one.error().message);
    if (one->tokens().size() != 1 || !one->tokens()[0].extractor || one->tokens()[0].key != f)
      return fail("extra_fields", "'" + f + "' is not a field name");
    fields.append(fields.empty() ? "%" : " %").append(f);
  }
  auto ff = compile_output(fields, registry, pool);
  if (!ff) return fail("extra_fields", ff.error().message);
  c->extra_fields = std::move(ff).value();
  c->static_fields = spec.static_fields;
  c->needs_proc_env = output_reads_proc_env(c->extra_output) || output_reads_proc_env(c->extra_fields);
  return std::shared_ptr<const CompiledAppend>(std::move(c));
}

bool append_output_matches(const AppendOutputSpec& spec, const std::string& source,
                           const std::vector<std::string>& tags, const std::string& rule) {
  if (!spec.source.empty() && spec.source != source) return false;
  if (!spec.rule.empty() && spec.rule != rule) return false;
  for (const auto& t : spec.tags)
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) return false;
  return true;
}

}  // namespace peregrine::engine
