// peregrine-bench-responder: alert-to-kill latency of process:kill through the real binaries.
//
// Each run spawns a throwaway `sleep 600`, POSTs a Falco alert naming it (proc.pid, proc.name, proc.exepath,
// proc.start_ts) to the router's HTTP intake, and measures until the process is dead (its pidfd becomes
// readable). The path covered: router intake (durable append, fsync per batch) → delivery worker → `responder`
// output (HTTP) → responder intake (journal fdatasync) → queue → rule match → pidfd identity check → signal.
// Not covered in this mode: sensor and engine.
//
// With --syscall (root, BTF, the sensor built): the sensor, engine, router and responder all run; each run spawns a
// shell that opens a bait file itself (a real openat) and then waits, and the latency is from the syscall's own
// timestamp (the engine's alert `time`, read back from the router's file output) to the moment the shell is dead
// (pidfd readable, wall clock): the whole chain, kernel to kill.
//
//   peregrine-bench-responder [runs=100] [--syscall]
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/alert.h"

#include "tests/integration/response_rig.h"

extern char** environ;

using namespace peregrine::testing;

namespace {

const char* kRules = R"(
- action: kill
  actionner: process:kill
  parameters: {allow_host: true}
- rule: bench
  match: {rules: [Bench sleeper], output_fields: ["proc.name=sleep"]}
  actions: [{action: kill}]
)";

uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count());
}

// Spawns `argv` in a process group of its own; returns its pid (-1 on failure).
pid_t spawn(std::vector<std::string> argv) {
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, a[0], nullptr, &attr, a.data(), environ);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

// Waits until `pid` (pinned by `pidfd`) is dead; true within 10 s. Reaps it and checks it died of SIGKILL.
bool killed(pid_t pid, int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  const bool dead = ::poll(&p, 1, 10'000) == 1;
  ::close(pidfd);
  ::kill(-pid, SIGKILL);  // whatever the process group still holds (the shell's child)
  int st = 0;
  ::waitpid(pid, &st, 0);
  return dead && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

// The whole chain: a shell's own openat of a bait file -> sensor -> engine -> router -> responder -> dead.
int syscall_mode(int runs, std::vector<double>& ms) {
  if (auto why = sensor_unavailable(); !why.empty()) return std::fprintf(stderr, "--syscall: %s\n", why.c_str()), 2;
  if (binary("peregrine-sensor").empty()) return std::fprintf(stderr, "--syscall: peregrine-sensor not built\n"), 2;
  TempDir dir;
  const std::string bait = (dir / "bait-").string();
  write_file(dir / "falco_rules.yaml",
             "- rule: Bench bait opened\n  desc: bench\n"
             "  condition: evt.type in (open, openat, openat2) and fd.name startswith \"" + bait + "\"\n"
             "  output: bait (proc.pid=%proc.pid proc.name=%proc.name proc.exepath=%proc.exepath "
             "proc.start_ts=%proc.start_ts)\n  priority: CRITICAL\n");
  ResponseRig rig(dir, R"(
- action: kill
  actionner: process:kill
  parameters: {allow_host: true}
- rule: bench
  match: {rules: [Bench bait opened]}
  actions: [{action: kill}]
)", "dry_run: false\nlog: {level: warn}\n", (dir / "falco_rules.yaml").string());
  for (int i = 0; i < runs; ++i) {
    const std::string file = bait + std::to_string(i);
    write_file(file, "x\n");
    const pid_t pid = spawn({"/bin/sh", "-c", ": < " + file + "; sleep 600 & wait"});
    if (pid < 0) return 1;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return std::fprintf(stderr, "run %d: not killed within 10 s\n", i), 1;
    const uint64_t dead_ns = wall_ns();
    if (!killed(pid, pidfd)) return std::fprintf(stderr, "run %d: not SIGKILLed\n", i), 1;
    uint64_t syscall_ns = 0;
    const bool found = wait_until([&] {
      for (const auto& a : rig.alerts())
        if (a.value("rule", "") == "Bench bait opened" && a["output_fields"].value("proc.pid", 0) == pid)
          if (auto t = peregrine::parse_rfc3339_ns(a.value("time", "")); t.ok()) return syscall_ns = *t, true;
      return false;
    }, std::chrono::seconds(10));
    if (!found) return std::fprintf(stderr, "run %d: the alert is not in the router's file\n", i), 1;
    ms.push_back(static_cast<double>(dead_ns - syscall_ns) / 1e6);
  }
  return 0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100;
  bool syscall_chain = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--syscall") == 0) syscall_chain = true;
    else runs = std::atoi(argv[i]);
  }
  if (syscall_chain) {
    std::vector<double> ms;
    if (int rc = syscall_mode(runs, ms); rc != 0) return rc;
    std::printf("process:kill, syscall (alert time) -> process dead, sensor+engine+router+responder, %d runs: p50 %.2f "
                "ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                runs, percentile(ms, 0.50), percentile(ms, 0.90), percentile(ms, 0.99),
                *std::max_element(ms.begin(), ms.end()));
    return 0;
  }
  TempDir dir;
  ResponseRig rig(dir, kRules, "dry_run: false\nlog: {level: warn}\n");
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    pid_t pid = -1;
    char sleep_path[] = "/bin/sleep";
    char arg[] = "600";
    char* args[] = {sleep_path, arg, nullptr};
    if (::posix_spawn(&pid, "/bin/sleep", nullptr, nullptr, args, environ) != 0) return 1;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    const auto alert = alert_naming(pid, "Bench sleeper");  // read /proc before the clock starts
    const auto t0 = std::chrono::steady_clock::now();
    if (rig.post_to_router(alert) != 200) return std::fprintf(stderr, "router refused the alert\n"), 1;
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return std::fprintf(stderr, "run %d: not killed within 10 s\n", i), 1;
    const auto t1 = std::chrono::steady_clock::now();
    ::close(pidfd);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) return std::fprintf(stderr, "run %d: not SIGKILLed\n", i), 1;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("process:kill, router HTTP intake -> process dead, %d runs: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
              "max %.2f ms\n",
              runs, percentile(ms, 0.50), percentile(ms, 0.90), percentile(ms, 0.99),
              *std::max_element(ms.begin(), ms.end()));
  return 0;
}
