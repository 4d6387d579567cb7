// Event-type set algebra (libs ppm_event_codes semantics) and macro substitution.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include "engine/filter/evttypes.h"
#include "engine/filter/macros.h"
#include "engine/filter/parser.h"
#include "tests/engine/filter/upstream_rules.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

std::vector<std::string> types_of(const std::string& cond) {
  auto ast = parse_condition(cond);
  REQUIRE_MESSAGE(ast.ok(), cond);
  return names(event_types(*ast.value()));
}
using V = std::vector<std::string>;
size_t all_count() { return all_event_types().count(); }
size_t count_of(const std::string& cond) { return event_types(*parse_condition(cond).value()).count(); }

}  // namespace

TEST_CASE("evt.type leaves narrow the set") {
  CHECK(types_of("evt.type = open") == V{"open"});
  CHECK(types_of("evt.type == open") == V{"open"});
  CHECK(types_of("evt.type in (open, openat)") == V{"open", "openat"});
  CHECK(types_of("evt.type in open") == V{"open"});
  CHECK(types_of("syscall.type = connect") == V{"connect"});
  CHECK(count_of("evt.type != open") == all_count() - 1);
  CHECK(count_of("evt.type exists") == all_count());
  CHECK(count_of("not evt.type exists") == 0);
}

TEST_CASE("and intersects, or unions") {
  CHECK(types_of("evt.type in (open, openat) and evt.type in (openat, execve)") == V{"openat"});
  CHECK(types_of("evt.type = open or evt.type = execve") == V{"execve", "open"});
  CHECK(types_of("evt.type = open and evt.type = execve").empty());
  CHECK(types_of("(evt.type = open or evt.type = openat) and proc.name = bash") == V{"open", "openat"});
}

TEST_CASE("not is pushed to the leaves and neutral checks never narrow") {
  CHECK(count_of("not evt.type = open") == all_count() - 1);
  CHECK(types_of("not evt.type != open") == V{"open"});
  CHECK(types_of("not (evt.type != open and evt.type != execve)") == V{"execve", "open"});
  CHECK(count_of("not (evt.type = open or evt.type = execve)") == all_count() - 2);
  CHECK(count_of("proc.name = bash") == all_count());
  CHECK(count_of("not proc.name = bash") == all_count());
  CHECK(types_of("evt.type = open and not proc.name = bash") == V{"open"});
  CHECK(count_of("evt.type = open or proc.name = bash") == all_count());
  CHECK(count_of("evt.type startswith open") == all_count());  // only = == != in narrow
  CHECK(count_of("evt.type[1] = open") == all_count());
  CHECK(count_of("tolower(evt.type) = open") == all_count());
  CHECK(count_of("some_macro") == all_count());
}

TEST_CASE("never_true (evt.num = 0) is the empty set") {
  CHECK(count_of("evt.num = 0") == 0);
  CHECK(count_of("evt.num = 0 and evt.type = open") == 0);
  CHECK(types_of("evt.num = 0 or evt.type = open") == V{"open"});
  CHECK(count_of("not evt.num = 0") == all_count());
}

TEST_CASE("names unknown to us but valid in Falco contribute nothing") {
  CHECK(types_of("evt.type = kill").empty());
  CHECK(types_of("evt.type in (kill, open)") == V{"open"});
  CHECK(is_known_event_name("kill"));
  CHECK(is_known_event_name("open"));
  CHECK(is_uncaptured_event_name("kill"));
  CHECK(!is_uncaptured_event_name("open"));
  CHECK(!is_known_event_name("notasyscall"));
  CHECK(names(EventTypeSet{}).empty());
}

TEST_CASE("macro substitution and referenced identifiers") {
  auto m1 = parse_condition("evt.type in (open, openat)").value();
  auto m2 = parse_condition("m1 and proc.name = bash").value();
  auto root = parse_condition("m2 or (m1 and not m2)").value();
  CHECK(referenced_identifiers(*root) == V{"m2", "m1"});
  auto lookup = [&](std::string_view n) -> const Ast* {
    if (n == "m1") return m1.get();
    if (n == "m2") return m2.get();
    return nullptr;
  };
  REQUIRE(substitute_macros(root, lookup).ok());
  CHECK(referenced_identifiers(*root).empty());
  CHECK(root->to_string() ==
        "((evt.type in (open, openat) and proc.name = bash) or (evt.type in (open, openat) and "
        "not (evt.type in (open, openat) and proc.name = bash)))");
  CHECK(names(event_types(*root)) == V{"open", "openat"});
  // the macro ASTs are cloned, not moved
  CHECK(m1->to_string() == "evt.type in (open, openat)");

  auto undefined = parse_condition("m1 and nope").value();
  auto r = substitute_macros(undefined, lookup);
  REQUIRE(!r.ok());
  CHECK(r.error().message == "Undefined macro 'nope' used in filter.");

  auto self = parse_condition("loop").value();
  auto loop = parse_condition("loop or x.y = 1").value();
  auto lr = substitute_macros(self, [&](std::string_view) -> const Ast* { return loop.get(); }, 50);
  CHECK(!lr.ok());
}

TEST_CASE("upstream: Read sensitive file untrusted resolves to {open, openat, openat2}") {
  std::string path = fixtures::upstream_path("falco_rules.yaml");
  if (path.empty()) {
    PEREGRINE_SKIP_NOTE("upstream falco_rules.yaml not found beside the repo");
    return;
  }
  auto file = fixtures::load_upstream(path);
  const fixtures::UpstreamRule* rule = nullptr;
  for (const auto& r : file.rules)
    if (r.name == "Read sensitive file untrusted") rule = &r;
  REQUIRE(rule);
  auto ast = fixtures::expand_rule(file, rule->condition);
  CHECK(names(event_types(*ast)) == V{"open", "openat", "openat2"});
}

TEST_CASE("upstream: every syscall rule resolves to a finite, non-empty event-type set") {
  std::string path = fixtures::upstream_path("falco_rules.yaml");
  if (path.empty()) {
    PEREGRINE_SKIP_NOTE("upstream falco_rules.yaml not found beside the repo");
    return;
  }
  auto file = fixtures::load_upstream(path);
  REQUIRE(file.rules.size() == 25);
  for (const auto& r : file.rules) {
    auto ast = fixtures::expand_rule(file, r.condition);
    size_t n = event_types(*ast).count();
    CHECK_MESSAGE(n >= 1, r.name);
    CHECK_MESSAGE(n <= 11, r.name << " has " << n << " types");
  }
}
