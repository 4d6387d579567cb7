#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "common/alert_text.h"
#include "responder/actions/script.h"
#include "tests/responder/alert_fixture.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::responder;

TEST_CASE("script: runs the argv with the alert JSON on stdin and reports its exit status") {
  peregrine::testing::TempDir dir;
  const std::string out = (dir / "stdin.json").string();
  Script s(ScriptParams{{"/bin/sh", "-c", "cat > \"$OUT\"; echo done"}, std::chrono::seconds(10), {{"OUT", out}}});
  auto a = peregrine::testing::response_alert();
  auto r = s.run(a, false);
  CHECK(r.outcome == Outcome::kDone);
  std::ifstream in(out);
  std::stringstream got;
  got << in.rdbuf();
  CHECK(got.str() == alert_json_text(a));
  auto dry = s.run(a, true);
  CHECK(dry.outcome == Outcome::kDryRun);
  CHECK(dry.reason == "would run /bin/sh -c cat > \"$OUT\"; echo done with the alert on stdin");
}

TEST_CASE("script: a failing command is failed with its exit status and output") {
  Script s(ScriptParams{{"/bin/sh", "-c", "echo nope >&2; exit 3"}, std::chrono::seconds(10), {}});
  auto r = s.run(peregrine::testing::response_alert(), false);
  CHECK(r.outcome == Outcome::kFailed);
  CHECK(r.reason == "exit status 3: nope\n");
  Script missing(ScriptParams{{"/nonexistent/tool"}, std::chrono::seconds(10), {}});
  CHECK(missing.run(peregrine::testing::response_alert(), false).outcome == Outcome::kFailed);
}

TEST_CASE("script: a command past its timeout is killed with what it started") {
  Script s(ScriptParams{{"/bin/sh", "-c", "sleep 600 & sleep 600"}, std::chrono::milliseconds(200), {}});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s.run(peregrine::testing::response_alert(), false);
  CHECK(r.outcome == Outcome::kFailed);
  CHECK(r.reason == "timeout: killed after 200 ms");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}
