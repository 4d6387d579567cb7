// libFuzzer target: arbitrary bytes as a k8s audit webhook body (untrusted: whatever reaches the port). Parsing
// must never crash or throw; an accepted body yields k8s_audit events whose payload is a JSON object, and every
// ka.* field extracts from them without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "engine/fields/eval_context.h"
#include "engine/fields/registry.h"
#include "engine/filter/format.h"
#include "engine/runtime/audit_intake.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

// One output format naming every ka.* field that needs no argument.
const OutputFormat& all_ka_fields() {
  static const OutputFormat fmt = [] {
    std::string text;
    builtin_fields().for_each_field([&](const FieldInfo& f) {
      if (f.name.rfind("ka.", 0) == 0 && !f.has(kFieldArgRequired)) text += " %" + f.name;
    });
    auto r = compile_output(text, builtin_fields());
    if (!r.ok()) std::abort();
    return std::move(r.value());
  }();
  return fmt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_audit_body(body, 1);
  auto* events = std::get_if<std::vector<Event>>(&parsed);
  if (!events) return 0;
  for (const Event& e : *events) {
    if (e.source != EventSource::kK8sAudit) std::abort();
    auto doc = nlohmann::json::parse(e.payload, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) std::abort();
    EvalContext ctx(e);
    std::string out;
    all_ka_fields().render(ctx, out, nullptr);
  }
  return 0;
}
