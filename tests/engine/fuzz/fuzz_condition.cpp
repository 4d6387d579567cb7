// libFuzzer target: arbitrary text through the condition parser, the canonical printer, the compiler and the
// output-format compiler. Nothing may crash, hang or leak; a parsed tree must print to text that re-parses to
// an equal tree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/event.h"
#include "engine/fields/eval_context.h"
#include "engine/fields/registry.h"
#include "engine/filter/compiler.h"
#include "engine/filter/evttypes.h"
#include "engine/filter/format.h"
#include "engine/filter/parser.h"

using namespace peregrine;
using namespace peregrine::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static ExtractorPool pool;  // keep the shared pool from growing without bound across inputs
  auto ast = parse_condition(text, 200);
  if (ast) {
    std::string canon = ast.value()->to_string();
    auto again = parse_condition(canon, 400);
    if (!again || !(*again.value() == *ast.value())) std::abort();
    (void)event_types(*ast.value());
    CompileOptions opts;
    opts.pool = &pool;
    std::vector<Diagnostic> warnings;
    auto f = compile_filter(*ast.value(), builtin_fields(), &warnings, opts);
    if (f) {
      Event e;
      e.type = EventType::kOpenat;
      e.params.resize(event_spec(e.type).nparams);
      EvalContext ctx(e);
      (void)f.value()->eval(ctx);
    }
  }
  auto fmt = compile_output(text, builtin_fields(), &pool);
  if (fmt) {
    Event e;
    EvalContext ctx(e);
    std::string out;
    fmt.value().render(ctx, out, nullptr);
  }
  return 0;
}
