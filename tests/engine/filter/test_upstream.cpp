// Compatibility: every condition and output of the upstream rule files parses, expands and compiles against the
// built-in fields, and realistic events trigger the rules they should.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include "engine/filter/evttypes.h"
#include "engine/filter/format.h"
#include "tests/engine/filter/event_fixture.h"
#include "tests/engine/filter/upstream_rules.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

void compile_all(const std::string& file_name, EventSource source, size_t expected_rules) {
  std::string path = upstream_path(file_name);
  if (path.empty()) {
    PEREGRINE_SKIP_NOTE("" << file_name << " not found beside the repo");
    return;
  }
  auto file = load_upstream(path);
  CHECK(file.rules.size() == expected_rules);
  CompileOptions opts;
  opts.source = source;
  for (const auto& r : file.rules) {
    auto ast = expand_rule(file, r.condition);
    std::vector<Diagnostic> warnings;
    auto f = compile_filter(*ast, builtin_fields(), &warnings, opts);
    CHECK_MESSAGE(f.ok(), r.name << ": " << (f.ok() ? "" : f.error().message));
    for (const auto& w : warnings) CHECK_MESSAGE(w.code != "LOAD_DEPRECATED_ITEM", r.name << ": " << w.message);
    auto out = compile_output(r.output, builtin_fields());
    CHECK_MESSAGE(out.ok(), r.name << " output: " << (out.ok() ? "" : out.error().message));
  }
}

}  // namespace

TEST_CASE("every falco_rules.yaml rule and output compiles") {
  compile_all("falco_rules.yaml", EventSource::kSyscall, 25);
}

TEST_CASE("every k8s_audit_rules.yaml rule and output compiles") {
  compile_all("k8s_audit_rules.yaml", EventSource::kK8sAudit, 48);
}

TEST_CASE("Read sensitive file untrusted fires on an unknown program reading /etc/shadow") {
  std::string path = upstream_path("falco_rules.yaml");
  if (path.empty()) {
    PEREGRINE_SKIP_NOTE("falco_rules.yaml not found beside the repo");
    return;
  }
  auto file = load_upstream(path);
  std::string cond;
  for (const auto& r : file.rules)
    if (r.name == "Read sensitive file untrusted") cond = r.condition;
  REQUIRE(!cond.empty());
  auto ast = expand_rule(file, cond);
  auto f = compile_filter(*ast, builtin_fields(), nullptr);
  REQUIRE(f.ok());
  Event e = make_open_event();
  e.proc.comm = "evil";  // shells are trusted readers upstream (shell_binaries is in the exception list)
  EvalContext ctx(e);
  CHECK(f.value()->eval(ctx));
  Event other = e;
  other.fd.name = "/etc/hostname";
  ctx.reset(other);
  CHECK(!f.value()->eval(ctx));
  Event trusted = e;
  trusted.proc.comm = "sshd";  // in the trusted readers list
  ctx.reset(trusted);
  CHECK(!f.value()->eval(ctx));
}
