// peregrine-bench-responder: alert-to-kill latency of process:kill through the real binaries.
//
// Each run spawns a throwaway `sleep 600`, POSTs a Falco alert naming it (proc.pid, proc.name, proc.exepath,
// proc.start_ts) to the router's HTTP intake, and measures until the process is dead (its pidfd becomes
// readable). The path covered: router intake (durable append, fsync per batch) → delivery worker → `responder`
// output (HTTP) → responder intake (journal fdatasync) → queue → rule match → pidfd identity check → signal.
// Not covered: sensor and engine (a syscall's way to an alert; see docs/performance.md for those).
//
//   peregrine-bench-responder [runs=100]
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

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

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 100;
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
