#include "engine/rules/proc_env.h"

#include <string>
#include <string_view>

#include "engine/filter/parser.h"

namespace peregrine::engine {
namespace {

// Every field that extracts from Event::proc.env (there is no ancestor variant such as proc.aenv).
bool is_env_field(std::string_view name) { return name == "proc.env"; }

}  // namespace

bool ast_reads_proc_env(const Ast& ast) {
  if (ast.kind == AstKind::kField && is_env_field(ast.text)) return true;
  for (const auto& c : ast.children)
    if (c && ast_reads_proc_env(*c)) return true;
  return false;
}

bool output_reads_proc_env(const OutputFormat& format) {
  for (const auto& t : format.tokens()) {
    if (!t.extractor) continue;
    // A token's key is the operand text exactly as compile_output parsed it, so it parses again here.
    auto ast = parse_condition(t.key + " exists");
    if (ast ? ast_reads_proc_env(*ast.value()) : t.key.find("proc.env") != std::string::npos) return true;
  }
  return false;
}

}  // namespace peregrine::engine
