#include "responder/actions/process_kill.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/boot_clock.h"
#include "common/fd_util.h"

namespace peregrine::responder {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {{"HUP", SIGHUP}, {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                                   {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
                                   {"ABRT", SIGABRT}};

bool is_host_process(const Alert& alert) {
  const std::string id = field_or_empty(alert, "container.id");
  return id.empty() || id == "host";
}

std::optional<uint64_t> number_field(const Alert& alert, const std::string& field) {
  const std::string s = field_or_empty(alert, field);
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) return std::nullopt;
  return std::stoull(s);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat x {}, y {};
  return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

bool exe_matches(const ProcIdentity& id, const std::string& exepath) {
  if (id.exe.empty() || exepath == id.exe || exepath + " (deleted)" == id.exe) return true;
  if (id.pid <= 0 || exepath.empty() || exepath[0] != '/') return false;
  const std::string proc = "/proc/" + std::to_string(id.pid);
  return same_file(proc + "/root" + exepath, proc + "/exe");
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int fd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0)); }

}  // namespace

std::optional<int> parse_signal(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 4) {
    const int n = std::stoi(s);
    return n >= 1 && n <= 64 ? std::optional<int>(n) : std::nullopt;
  }
  const std::string name = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
  for (const auto& sn : kSignals)
    if (name == sn.name) return sn.number;
  return std::nullopt;
}

std::optional<ProcIdentity> read_proc_identity(pid_t pid) try {
  const std::string dir = "/proc/" + std::to_string(pid);
  const std::string stat = read_all(dir + "/stat");
  // "pid (comm) state ppid ... starttime(22nd)": comm may hold spaces and ')', so split at the last ')'.
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcIdentity id;
  id.pid = pid;
  id.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 2));
  std::string tok;
  std::vector<std::string> f;
  while (rest >> tok) f.push_back(tok);
  if (f.size() < 20) return std::nullopt;  // f[0] = state (field 3), f[19] = starttime (field 22)
  id.ppid = static_cast<pid_t>(std::stol(f[1]));
  const long ticks = ::sysconf(_SC_CLK_TCK);
  id.start_ns = boot_epoch_ns() + std::stoull(f[19]) * (1000000000ull / static_cast<uint64_t>(ticks > 0 ? ticks : 100));
  char buf[4096];
  const ssize_t n = ::readlink((dir + "/exe").c_str(), buf, sizeof buf - 1);
  if (n > 0) id.exe.assign(buf, static_cast<size_t>(n));
  return id;
} catch (const std::exception&) {  // a number that does not parse: not a process we can identify
  return std::nullopt;
}

std::optional<std::string> identity_mismatch(const ProcIdentity& id, const Alert& alert) {
  const std::string name = field_or_empty(alert, "proc.name");
  // comm holds at most 15 bytes; proc.name may be longer (Falco takes it from the exe's name at exec).
  if (!name.empty() && name.substr(0, 15) != id.comm) return "proc.name " + name + " but the process is " + id.comm;
  const std::string exe = field_or_empty(alert, "proc.exepath");
  if (!exe.empty() && !exe_matches(id, exe))
    return "proc.exepath " + exe + " but the process runs " + id.exe;
  if (auto start = number_field(alert, "proc.start_ts"); start && *start != 0) {
    const uint64_t diff = *start > id.start_ns ? *start - id.start_ns : id.start_ns - *start;
    if (diff > static_cast<uint64_t>(std::chrono::nanoseconds(kStartTolerance).count()))
      return "proc.start_ts differs from the process's start by " + std::to_string(diff / 1000000) + " ms";
  }
  return std::nullopt;
}

bool in_own_tree(pid_t pid) {
  pid_t p = ::getpid();
  for (int depth = 0; p > 0 && depth < 4096; ++depth) {
    if (p == pid) return true;
    auto id = read_proc_identity(p);
    if (!id) break;
    p = id->ppid;
  }
  return false;
}

ProcessKillParams parse_process_kill(config::NodeReader& params) {
  ProcessKillParams p;
  const std::string sig = params.str("signal", "SIGKILL");
  auto n = parse_signal(sig);
  if (!n) params.fail("signal", "unknown signal (SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSTOP, SIGUSR1, SIGUSR2, SIGABRT or 1..64)");
  p.signal = *n;
  p.allow_host = params.boolean("allow_host", false);
  return p;
}

ActionResult ProcessKill::run(const Alert& alert, bool dry_run) {
  auto pid_field = number_field(alert, "proc.pid");
  if (!pid_field) return skipped("no_target: the alert has no numeric proc.pid");
  const auto pid = static_cast<pid_t>(*pid_field);
  ActionResult r;
  r.fields = {{"proc.pid", std::to_string(pid)}, {"signal", std::to_string(p_.signal)}};
  if (pid <= 1) return {Outcome::kSkipped, "refused: pid " + std::to_string(pid) + " is never signalled", r.fields};
  if (!p_.allow_host && is_host_process(alert))
    return {Outcome::kSkipped, "refused: host process (not in a container) and allow_host is false", r.fields};
  if (in_own_tree(pid)) return {Outcome::kSkipped, "refused: pid is the responder or one of its ancestors", r.fields};
  UniqueFd fd(pidfd_open(pid));
  if (fd.get() < 0) return {Outcome::kSkipped, "gone: process " + std::to_string(pid) + " no longer exists", r.fields};
  auto id = read_proc_identity(pid);
  // Alive after the read: the pinned process is the one /proc/<pid> described (a pid is not reused while its
  // process, or its zombie, exists).
  if (!id || pidfd_send_signal(fd.get(), 0) != 0)
    return {Outcome::kSkipped, "gone: process " + std::to_string(pid) + " exited", r.fields};
  if (auto why = identity_mismatch(*id, alert)) return {Outcome::kSkipped, "not_same_process: " + *why, r.fields};
  const std::string what = "signal " + std::to_string(p_.signal) + " to pid " + std::to_string(pid) + " (" + id->comm + ")";
  if (dry_run) return {Outcome::kDryRun, "would send " + what, r.fields};
  if (pidfd_send_signal(fd.get(), p_.signal) != 0) {
    if (errno == ESRCH) return {Outcome::kSkipped, "gone: process exited before the signal", r.fields};
    return {Outcome::kFailed, "pidfd_send_signal: " + std::string(std::strerror(errno)), r.fields};
  }
  return {Outcome::kDone, "sent " + what, r.fields};
}

}  // namespace peregrine::responder
