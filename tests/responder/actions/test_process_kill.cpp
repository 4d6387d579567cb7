#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <unistd.h>

#include "responder/actions/process_kill.h"
#include "tests/responder/alert_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine;
using namespace peregrine::responder;
using peregrine::testing::response_alert;

namespace {

Alert alert_for(pid_t pid, const std::string& name) {
  auto id = read_proc_identity(pid);
  return response_alert({{"proc.pid", int64_t{pid}},
                         {"proc.name", name},
                         {"proc.exepath", id ? id->exe : std::string()},
                         {"proc.start_ts", id ? id->start_ns : uint64_t{0}}});
}

}  // namespace

TEST_CASE("process:kill: parameters and signal names") {
  CHECK(parse_signal("SIGKILL") == 9);
  CHECK(parse_signal("TERM") == 15);
  CHECK(parse_signal("10") == 10);
  CHECK_FALSE(parse_signal("SIGLOUD"));
  CHECK_FALSE(parse_signal("0"));
}

TEST_CASE("process:kill: refuses pid 1, its own tree and host processes unless allowed") {
  ProcessKill strict(ProcessKillParams{9, false});
  auto host = response_alert({{"proc.pid", int64_t{1}}});
  CHECK(strict.run(host, false).reason.find("refused: pid 1") == 0);
  auto self = response_alert({{"proc.pid", int64_t{::getpid()}}});
  CHECK(strict.run(self, false).reason.find("refused: host process") == 0);
  ProcessKill lax(ProcessKillParams{9, true});
  CHECK(lax.run(self, false).reason.find("refused: pid is the responder") == 0);
  auto parent = response_alert({{"proc.pid", int64_t{::getppid()}}});
  CHECK(lax.run(parent, false).reason.find("refused: pid is the responder") == 0);
  CHECK(lax.run(response_alert({}), false).reason.find("no_target") == 0);
  CHECK(lax.run(response_alert({{"proc.pid", int64_t{::getpid()}}, {"container.id", std::string("abc")}}), false)
            .reason.find("refused: pid is the responder") == 0);
}

TEST_CASE("process:kill: a process that does not match the alert's identity is left alone") {
  peregrine::testing::TempDir dir;
  peregrine::testing::Child sleeper("/bin/sleep", {"600"}, dir / "sleep");
  ProcessKill k(ProcessKillParams{9, true});
  auto wrong_name = alert_for(sleeper.pid(), "bash");
  auto r = k.run(wrong_name, false);
  CHECK(r.outcome == Outcome::kSkipped);
  CHECK(r.reason.find("not_same_process: proc.name bash") == 0);
  auto wrong_start = alert_for(sleeper.pid(), "sleep");
  wrong_start.output_fields["proc.start_ts"] = uint64_t{1'000'000'000'000'000'000ull};
  CHECK(k.run(wrong_start, false).reason.find("not_same_process: proc.start_ts") == 0);
  auto wrong_exe = alert_for(sleeper.pid(), "sleep");
  wrong_exe.output_fields["proc.exepath"] = std::string("/usr/bin/other");
  CHECK(k.run(wrong_exe, false).reason.find("not_same_process: proc.exepath") == 0);
  CHECK(sleeper.running());
}

TEST_CASE("process:kill: dry run says what it would do, then the real run kills exactly that process") {
  peregrine::testing::TempDir dir;
  peregrine::testing::Child target("/bin/sleep", {"600"}, dir / "target");
  peregrine::testing::Child sibling("/bin/sleep", {"600"}, dir / "sibling");
  ProcessKill k(ProcessKillParams{9, true});
  auto a = alert_for(target.pid(), "sleep");
  auto dry = k.run(a, true);
  CHECK(dry.outcome == Outcome::kDryRun);
  CHECK(dry.reason == "would send signal 9 to pid " + std::to_string(target.pid()) + " (sleep)");
  CHECK(target.running());
  auto done = k.run(a, false);
  CHECK(done.outcome == Outcome::kDone);
  CHECK(target.wait_exit(std::chrono::seconds(10)) == 128 + SIGKILL);
  CHECK(sibling.running());
  // Gone now (reaped): a second run finds nothing to signal.
  CHECK(k.run(a, false).reason.find("gone") == 0);
}

TEST_CASE("process:kill: proc.exepath as executed through a symlink matches the resolved executable") {
  peregrine::testing::TempDir dir;
  std::filesystem::create_symlink("/bin/sleep", dir / "nap");
  peregrine::testing::Child napper((dir / "nap").string(), {"600"}, dir / "napper");
  REQUIRE(peregrine::testing::wait_until([&] {
    auto id = read_proc_identity(napper.pid());
    return id && id->comm == "nap";
  }));
  auto id = read_proc_identity(napper.pid());
  REQUIRE(id);
  CHECK(id->exe != (dir / "nap").string());  // /proc/<pid>/exe is the resolved path
  auto a = response_alert({{"proc.pid", int64_t{napper.pid()}}, {"proc.name", std::string("nap")},
                           {"proc.exepath", (dir / "nap").string()}});
  CHECK_FALSE(identity_mismatch(*id, a));
  a.output_fields["proc.exepath"] = std::string("/bin/true");
  CHECK(identity_mismatch(*id, a));
}
