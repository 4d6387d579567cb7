// Sub-condition sharing (engine/filter/nodes.h): identical sub-conditions of different rules are one node,
// evaluated at most once per event, with the same results as unshared filters; a rule's guard names its first
// shared conjunct; the rule engine's guard skip never changes which rules match; and after a load only
// sub-conditions reached from more than one place keep a memo slot.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/filter/compiler.h"
#include "engine/filter/nodes.h"
#include "engine/rules/rule_engine.h"
#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

std::unique_ptr<Filter> compile_pooled(const std::string& cond, FilterNodePool& nodes) {
  CompileOptions opts;
  opts.nodes = &nodes;
  auto f = compile_text(cond, nullptr, opts);
  REQUIRE_MESSAGE(f.ok(), f.error().message);
  return std::move(f).value();
}

}  // namespace

TEST_CASE("identical sub-conditions are compiled once and shared") {
  FilterNodePool nodes;
  auto a = compile_pooled("(proc.name = bash and fd.num >= 0) and fd.name startswith /etc", nodes);
  const size_t after_first = nodes.size();
  auto b = compile_pooled("(proc.name = bash and fd.num >= 0) and not fd.name startswith /usr", nodes);
  CHECK(nodes.hits() >= 1);              // the shared conjunction was found, not compiled anew
  CHECK(nodes.size() == after_first + 2);  // only b's own `not ...` and its root are new
  CHECK(a->guard_memo_id() >= 0);
  CHECK(a->guard_memo_id() == b->guard_memo_id());  // both guarded by the shared first conjunct
}

TEST_CASE("shared filters give the results unshared ones give, event after event, in any order") {
  const std::vector<std::string> conds = {
      "(proc.name = bash and fd.num >= 0) and fd.name startswith /etc",
      "(proc.name = bash and fd.num >= 0) and not fd.name startswith /etc",
      "not (proc.name = bash and fd.num >= 0) or fd.name contains shadow",
      "(fd.name contains shadow or proc.name = sh) and (proc.name = bash and fd.num >= 0)",
  };
  FilterNodePool nodes;
  std::vector<std::unique_ptr<Filter>> shared;
  for (const auto& c : conds) shared.push_back(compile_pooled(c, nodes));
  std::vector<Event> events = {make_open_event(), make_connect_event(), make_open_event()};
  events[2].proc.comm = "sh";
  events[2].fd.name = "/usr/lib/x";
  EvalContext ctx;
  for (int round = 0; round < 2; ++round) {
    for (const auto& e : events) {
      ctx.reset(e);
      // Evaluate in reverse on the second round so that a kept result is read by a different filter first.
      for (size_t k = 0; k < conds.size(); ++k) {
        const size_t i = round == 0 ? k : conds.size() - 1 - k;
        CAPTURE(conds[i]);
        CHECK(shared[i]->eval(ctx) == eval_on(conds[i], e));
      }
    }
  }
}

TEST_CASE("the rule engine's guard skip does not change which rules match") {
  // Rules sharing a first conjunct; with rule_matching: all every rule is tried on every event.
  const std::string rules = R"(
- macro: bash_fd
  condition: (proc.name = bash and fd.num >= 0)
- rule: A
  desc: d
  condition: evt.type = openat and bash_fd and fd.name startswith /etc
  output: a
  priority: NOTICE
- rule: B
  desc: d
  condition: evt.type = openat and bash_fd and fd.name contains shadow
  output: b
  priority: NOTICE
- rule: C
  desc: d
  condition: evt.type = openat and not bash_fd
  output: c
  priority: NOTICE
)";
  RuleEngine eng;
  eng.set_rule_matching(RuleMatching::kAll);
  REQUIRE(eng.load_string(rules, "r.yaml").successful());
  auto names = [&](const Event& e) {
    std::vector<Alert> out;
    eng.process(e, out);
    std::string s;
    for (const auto& a : out) s += a.rule;
    return s;
  };
  Event bash_open = make_open_event();
  Event sh_open = make_open_event();
  sh_open.proc.comm = "sh";
  CHECK(names(bash_open) == "AB");
  CHECK(names(sh_open) == "C");  // A and B skipped by their guard (bash_fd already false), C matches
  CHECK(names(bash_open) == "AB");
}

TEST_CASE("memo slots stay only on sub-conditions reached from more than one place") {
  FilterNodePool nodes;
  auto a = compile_pooled("(proc.name = bash and fd.num >= 0) and (fd.name startswith /etc or fd.num = 3)", nodes);
  auto b = compile_pooled("(proc.name = bash and fd.num >= 0) and not fd.name startswith /usr", nodes);
  auto c = compile_pooled("(proc.name = sh or fd.num = 7) and fd.name contains x", nodes);
  std::vector<NodePtr*> roots = {a->root_edge(), b->root_edge(), c->root_edge()};
  drop_unshared_memos(roots);
  for (auto* f : {a.get(), b.get(), c.get()}) f->refresh_guard();
  // The rules' roots and c's own `or` are single-use: no memo left on them.
  CHECK((*a->root_edge())->memo_id() < 0);
  CHECK((*b->root_edge())->memo_id() < 0);
  CHECK((*c->root_edge())->memo_id() < 0);
  CHECK(c->guard_memo_id() < 0);
  // The shared conjunct keeps its slot and still guards both rules that share it.
  CHECK(a->guard_memo_id() >= 0);
  CHECK(a->guard_memo_id() == b->guard_memo_id());
  // And the results do not change.
  std::vector<Event> events = {make_open_event(), make_connect_event(), make_open_event()};
  events[2].proc.comm = "sh";
  events[2].fd.name = "/usr/lib/x";
  EvalContext ctx;
  for (const auto& e : events) {
    ctx.reset(e);
    CHECK(a->eval(ctx) == eval_on("(proc.name = bash and fd.num >= 0) and (fd.name startswith /etc or fd.num = 3)", e));
    CHECK(b->eval(ctx) == eval_on("(proc.name = bash and fd.num >= 0) and not fd.name startswith /usr", e));
    CHECK(c->eval(ctx) == eval_on("(proc.name = sh or fd.num = 7) and fd.name contains x", e));
  }
}
