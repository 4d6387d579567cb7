// Merged `or` alternatives (engine/filter/or_merge.h): a chain of `=`/`in`, `startswith` or `endswith` checks on
// one field gives, for every value, the result of evaluating its alternatives one by one, including prefixes that
// extend one another, the empty constant, and a field the event does not have.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/filter/compiler.h"
#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

std::unique_ptr<Filter> compile_ok(const std::string& cond) {
  auto f = compile_text(cond, nullptr, CompileOptions{});
  REQUIRE_MESSAGE(f.ok(), (cond + ": " + f.error().message));
  return std::move(f).value();
}

/// Every alternative of `alts` compiled alone, OR-ed by the test, against the chain compiled as one `or`.
void check_chain(const std::vector<std::string>& alts, const std::vector<std::string>& names) {
  std::string chain;
  std::vector<std::unique_ptr<Filter>> alone;
  for (const auto& a : alts) {
    chain += (chain.empty() ? "" : " or ") + a;
    alone.push_back(compile_ok(a));
  }
  auto merged = compile_ok(chain);
  EvalContext ctx;
  for (const auto& name : names) {
    Event e = make_open_event();
    e.fd.name = name;
    e.proc.comm = name;
    ctx.reset(e);
    bool expected = false;
    for (const auto& f : alone) expected = expected || f->eval(ctx);
    ctx.reset(e);
    INFO(chain, " on '", name, "'");
    CHECK(merged->eval(ctx) == expected);
  }
}

const std::vector<std::string> kNames = {
    "", "/", "/etc", "/etc/", "/etc/passwd", "/etcx", "/etc/cron.d/job", "/var/spool/cron/root", "/usr/lib/x.so",
    "/usr/lib64/y", "/usr/libexec", "/root/.bashrc", "/home/a/.bash_history", "history", "bash", "sh", "zsh",
    "/tmp/a.sh", "/dev/shm/x", "a", "ab", "abc"};

}  // namespace

TEST_CASE("startswith chains on one field match as their alternatives do") {
  check_chain({"fd.name startswith /etc/cron", "fd.name startswith /var/spool/cron", "fd.name startswith /etc/"},
              kNames);
  check_chain({"fd.name startswith /usr/lib", "fd.name startswith /usr/lib64", "fd.name startswith /usr/libexec/",
               "fd.name startswith /lib"},
              kNames);
  check_chain({"fd.name startswith /dev/shm", "fd.name startswith ''"}, kNames);  // "" matches any present value
  check_chain({"fd.name startswith /etc", "proc.name = bash", "fd.name startswith /root", "proc.name = sh"},
              kNames);
}

TEST_CASE("equality and in chains on one field match as their alternatives do") {
  check_chain({"proc.name = bash", "proc.name in (sh, zsh)", "proc.name = ''", "proc.name in (ab)"}, kNames);
  check_chain({"fd.name in (/etc, /etc/passwd)", "fd.name = /etcx", "fd.name startswith /usr"}, kNames);
}

TEST_CASE("endswith chains on one field match as their alternatives do") {
  check_chain({"fd.name endswith ash_history", "fd.name endswith .bashrc", "fd.name endswith .sh",
               "fd.name endswith sh"},
              kNames);
  check_chain({"fd.name endswith x", "fd.name endswith ''"}, kNames);
}

TEST_CASE("a merged chain is false when the event has no such field") {
  auto merged = compile_ok("fd.name startswith /etc or fd.name startswith /usr or fd.name endswith x or "
                           "fd.name endswith y or fd.name = a or fd.name in (b)");
  Event e = make_connect_event();
  e.fd.name.clear();
  e.type = EventType::kExecve;  // no fd at all
  EvalContext ctx;
  ctx.reset(e);
  CHECK_FALSE(merged->eval(ctx));
}
