// Live: `chmod u+s` on a copy of a binary, seen by the real sensor, matched by the engine on Falco's rendering
// of chmod's mode ("...|S_ISUID", engine/fields/falco_params.h) and delivered by the router. The condition is
// that of upstream's incubating rule "Set Setuid or Setgid bit". Needs root and kernel BTF; says why it skips.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/stack.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const char* kRules = R"(
- rule: Set Setuid or Setgid bit
  desc: the condition of upstream's incubating rule of that name
  condition: evt.type in (chmod, fchmod, fchmodat) and evt.arg.mode contains "S_ISUID"
  output: Setuid or setgid bit is set via chmod (fd=%evt.arg.fd filename=%evt.arg.filename mode=%evt.arg.mode evt_type=%evt.type process=%proc.name)
  priority: NOTICE
)";

// Runs the system's chmod(1) and returns its exit status.
int run_chmod(const std::string& how, const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    execlp("chmod", "chmod", how.c_str(), path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool mentions(const nlohmann::json& alert, const std::string& path) {
  return alert["output_fields"].value("evt.arg.filename", "").find(path) != std::string::npos;
}

}  // namespace

TEST_CASE("live: chmod u+s on a copy of a binary raises 'Set Setuid or Setgid bit' with Falco's mode text") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  auto rules = dir / "rules.yaml";
  std::ofstream(rules) << kRules;
  auto cfg = write_stack_config(dir, rules.string());
  LiveStack stack(dir, cfg);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  // The selection that includes chmod is in force once the sensor has applied the engine's control message.
  REQUIRE(wait_until([&] { return stack.sensor.stderr_text().find("engine selection generation") != std::string::npos; }, 60s));

  const fs::path bin = fs::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  const std::string plain = (dir / "plain-copy").string();
  const std::string setuid = (dir / "setuid-copy").string();
  fs::copy_file(bin, plain);
  fs::copy_file(bin, setuid);
  // First a chmod without S_ISUID (must not fire), then the one that sets it.
  REQUIRE(run_chmod("0755", plain) == 0);
  REQUIRE(run_chmod("0755", setuid) == 0);
  REQUIRE(run_chmod("u+s", setuid) == 0);
  REQUIRE((fs::status(setuid).permissions() & fs::perms::set_uid) == fs::perms::set_uid);

  auto file = dir / "alerts.jsonl";
  std::vector<nlohmann::json> alerts;
  REQUIRE(wait_until([&] {
    alerts = alerts_in(file);
    for (const auto& a : alerts)
      if (mentions(a, setuid)) return true;
    return false;
  }, 30s));
  int ours = 0;
  for (const auto& a : alerts) {
    if (mentions(a, plain)) FAIL("the plain chmod fired: " << a.dump());
    if (!mentions(a, setuid)) continue;  // another chmod u+s on this host
    ++ours;
    CHECK(a["rule"] == "Set Setuid or Setgid bit");
    CHECK(a["output_fields"]["evt.arg.filename"] == setuid);
    CHECK(a["output_fields"]["evt.arg.mode"] ==
          "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID");
    CHECK(a["output_fields"]["proc.name"] == "chmod");
    CHECK(a["output"].get<std::string>().find("mode=S_IXOTH|") != std::string::npos);
  }
  CHECK(ours == 1);
  CHECK(stack.stop_all() == "");
}
