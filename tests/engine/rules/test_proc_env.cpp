// Whether the loaded rules read proc.env (RuleEngine::needs_proc_env, CompiledRule::needs_proc_env): the engine
// tells the sensor in the control message, which then attaches process environments to events only if needed.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <filesystem>
#include <string>
#include <vector>

#include "engine/filter/parser.h"
#include "engine/rules/proc_env.h"
#include "engine/rules/rule_engine.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

std::string rule_yaml(const std::string& name, const std::string& cond, const std::string& output = "o %proc.name",
                      const std::string& extra = "") {
  return "- rule: " + name + "\n  desc: d\n  condition: " + cond + "\n  output: \"" + output +
         "\"\n  priority: WARNING\n" + extra;
}

// Loads `yaml` (which must load without errors) into `eng`.
void load(RuleEngine& eng, const std::string& yaml) {
  auto res = eng.load_string(yaml, "rules.yaml");
  REQUIRE_MESSAGE(res.successful(), res.to_text());
}

bool needs(const std::string& yaml) {
  RuleEngine eng;
  load(eng, yaml);
  return eng.needs_proc_env();
}

const CompiledRule& rule(const RuleEngine& eng, const std::string& name) {
  const CompiledRule* found = nullptr;
  for (const auto& r : eng.rules())
    if (r->name == name) found = r.get();
  REQUIRE_MESSAGE(found != nullptr, "no rule " << name);
  return *found;
}

bool cond_reads(const std::string& cond) {
  auto ast = parse_condition(cond);
  REQUIRE_MESSAGE(ast.ok(), cond);
  return ast_reads_proc_env(*ast.value());
}

bool output_reads(const std::string& fmt) {
  auto f = compile_output(fmt, builtin_fields());
  REQUIRE_MESSAGE(f.ok(), fmt);
  return output_reads_proc_env(f.value());
}

const std::string kPlain = rule_yaml("Shell", "evt.type = execve and proc.name = bash");

}  // namespace

TEST_CASE("proc.env: the condition walk finds fields in checks, transformers and lists") {
  CHECK(cond_reads("proc.env contains LD_PRELOAD"));
  CHECK(cond_reads("proc.env[HOME] = /root"));
  CHECK(cond_reads("proc.name = bash and not proc.env exists"));
  CHECK(cond_reads("toupper(b64(proc.env[B64])) = X"));
  CHECK(cond_reads("concat(proc.pname, '-', proc.env[USER]) = sshd-root"));
  CHECK(cond_reads("proc.name = val(proc.env[SHELL])"));
  CHECK_FALSE(cond_reads("proc.name in (proc.env, bash)"));  // a value in a list is text, not a field
  CHECK_FALSE(cond_reads("proc.name = bash and proc.cmdline contains proc.env"));
  CHECK_FALSE(cond_reads("evt.type = execve and proc.exepath = /bin/env"));
}

TEST_CASE("proc.env: output formats") {
  CHECK(output_reads("env=%proc.env"));
  CHECK(output_reads("home=%proc.env[HOME] user=%user.name"));
  CHECK(output_reads("%20proc.env[PATH]"));
  CHECK(output_reads("%tolower(proc.env[LANG])"));
  CHECK_FALSE(output_reads("proc.env %proc.name %proc.cmdline"));  // literal text only
}

TEST_CASE("needs_proc_env: false for rules that do not read proc.env") {
  CHECK_FALSE(needs(kPlain));
  RuleEngine empty;
  CHECK_FALSE(empty.needs_proc_env());
}

TEST_CASE("needs_proc_env: condition with proc.env contains LD_PRELOAD") {
  RuleEngine eng;
  load(eng, kPlain + rule_yaml("Preload", "evt.type = execve and proc.env contains LD_PRELOAD"));
  CHECK(eng.needs_proc_env());
  CHECK(rule(eng, "Preload").needs_proc_env);
  CHECK_FALSE(rule(eng, "Shell").needs_proc_env);
}

TEST_CASE("needs_proc_env: condition with proc.env[HOME] = /root") {
  CHECK(needs(rule_yaml("Root home", "evt.type = execve and proc.env[HOME] = /root")));
}

TEST_CASE("needs_proc_env: only the output reads proc.env") {
  RuleEngine eng;
  load(eng, rule_yaml("Shell env", "evt.type = execve and proc.name = bash", "shell env=%proc.env"));
  CHECK(eng.needs_proc_env());
  CHECK(rule(eng, "Shell env").reads_proc_env);
  CHECK(needs(rule_yaml("Shell home", "evt.type = execve", "home=%proc.env[HOME]")));
}

TEST_CASE("needs_proc_env: through a macro, nested macros and a list-substituted condition") {
  const std::string macros = R"(
- macro: preloaded
  condition: proc.env contains LD_PRELOAD
- macro: suspicious_exec
  condition: evt.type = execve and preloaded
)";
  CHECK(needs(macros + rule_yaml("Preload", "suspicious_exec")));
  CHECK(needs(macros + rule_yaml("Preload direct", "evt.type = execve and preloaded")));
  CHECK(needs("- list: root_homes\n  items: [/root, /var/root]\n" +
              rule_yaml("Root home", "evt.type = execve and proc.env[HOME] in (root_homes)")));
}

TEST_CASE("needs_proc_env: through a rule exception on proc.env") {
  const std::string exc = R"(  exceptions:
    - name: known_preload
      fields: [proc.name, proc.env]
      comps: [=, contains]
      values:
        - [java, LD_PRELOAD]
)";
  RuleEngine eng;
  load(eng, rule_yaml("Shell", "evt.type = execve and proc.name in (bash, java)", "o %proc.name", exc));
  CHECK(rule(eng, "Shell").condition.find("proc.env") != std::string::npos);
  CHECK(eng.needs_proc_env());
}

TEST_CASE("needs_proc_env: a disabled or filtered-out rule does not count") {
  const std::string off = rule_yaml("Preload", "evt.type = execve and proc.env contains LD_PRELOAD", "o %proc.name",
                                    "  enabled: false\n");
  RuleEngine eng;
  load(eng, kPlain + off);
  CHECK_FALSE(eng.needs_proc_env());
  CHECK(rule(eng, "Preload").needs_proc_env);  // per rule, enabled or not
  CHECK(eng.enable_rules("Preload", true) == 1);
  CHECK(eng.needs_proc_env());
  CHECK(eng.enable_rules_by_tag("nope", false) == 0);
  CHECK(eng.enable_rules("Pre*", false) == 1);
  CHECK_FALSE(eng.needs_proc_env());

  // Below the minimum priority a rule is never evaluated.
  RuleEngine low;
  load(low, "- rule: Debug env\n  desc: d\n  condition: evt.type = execve and proc.env exists\n"
            "  output: o\n  priority: DEBUG\n");
  CHECK(low.needs_proc_env());
  low.set_min_priority(Priority::kWarning);
  CHECK_FALSE(low.needs_proc_env());
}

TEST_CASE("needs_proc_env: an append_output entry that adds proc.env to a matching rule") {
  RuleEngine eng;
  load(eng, kPlain);
  REQUIRE_FALSE(eng.needs_proc_env());

  AppendOutputSpec other;
  other.rule = "Some other rule";
  other.extra_output = "env=%proc.env";
  REQUIRE(eng.set_append_output({other}).ok());
  CHECK_FALSE(eng.needs_proc_env());  // matches no loaded rule

  AppendOutputSpec out;
  out.rule = "Shell";
  out.extra_output = "home=%proc.env[HOME]";
  REQUIRE(eng.set_append_output({out}).ok());
  CHECK(eng.needs_proc_env());
  CHECK(rule(eng, "Shell").needs_proc_env);
  CHECK_FALSE(rule(eng, "Shell").reads_proc_env);

  AppendOutputSpec fields;
  fields.source = "syscall";
  fields.extra_fields = {"proc.env"};
  REQUIRE(eng.set_append_output({fields}).ok());
  CHECK(eng.needs_proc_env());

  AppendOutputSpec static_only;
  static_only.static_fields = {{"proc.env", "constant"}};  // a constant named like the field reads nothing
  REQUIRE(eng.set_append_output({static_only}).ok());
  CHECK_FALSE(eng.needs_proc_env());

  // The entries stay in force across reloads and apply to the new rules.
  REQUIRE(eng.set_append_output({fields}).ok());
  load(eng, rule_yaml("Other", "evt.type = openat"));
  CHECK(eng.needs_proc_env());
  REQUIRE(eng.set_append_output({}).ok());
  CHECK_FALSE(eng.needs_proc_env());
}

TEST_CASE("needs_proc_env: the default rules and upstream falco_rules.yaml do not read proc.env") {
  const std::string src = PEREGRINE_SOURCE_DIR;
  RuleEngine ours;
  auto res = ours.load_files({src + "/rules/peregrine_rules.yaml"});
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  CHECK_FALSE(ours.needs_proc_env());
  for (const auto& r : ours.rules()) CHECK_MESSAGE(!r->needs_proc_env, r->name);

  const std::string upstream = src + "/../shared/falco-rules/falco_rules.yaml";
  if (!std::filesystem::exists(upstream)) {
    PEREGRINE_SKIP_NOTE("upstream rules file " << upstream << " is not present");
    return;
  }
  RuleEngine up;
  auto ures = up.load_files({upstream});
  REQUIRE_MESSAGE(ures.successful(), ures.to_text());
  CHECK_FALSE(up.needs_proc_env());
  for (const auto& r : up.rules()) CHECK_MESSAGE(!r->needs_proc_env, r->name);
}
