#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/support/files.h"
#include "tests/support/wait.h"

extern char** environ;

namespace peregrine::testing {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> merged_env(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const auto name = kv.substr(0, kv.find('='));
    if (extra.count(name) == 0) env.push_back(std::move(kv));
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
  std::vector<char*> p;
  for (auto& s : v) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace

Child::Child(const std::string& exe, const std::vector<std::string>& args, const fs::path& log_prefix,
             const SpawnOptions& opts)
    : group_(opts.new_process_group), out_(log_prefix.string() + ".out"), err_(log_prefix.string() + ".err") {
  // Everything the child needs is prepared before fork(): between fork and exec only async-signal-safe calls.
  std::vector<std::string> argv_s{exe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  auto env_s = merged_env(opts.env);
  auto argv = pointers(argv_s);
  auto envp = pointers(env_s);
  const std::string out = out_.string(), err = err_.string(), cwd = opts.cwd.string();
  const pid_t parent = ::getpid();
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Dies with the test: a test killed by ctest's timeout leaves no router, receiver or dockerd behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (group_) ::setpgid(0, 0);
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || ::dup2(in, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(127);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execvpe(argv[0], argv.data(), envp.data());
    const int errno_copy = errno;
    (void)!::write(pipefd[1], &errno_copy, sizeof errno_copy);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  int child_errno = 0;
  const ssize_t n = ::read(pipefd[0], &child_errno, sizeof child_errno);  // EOF at a successful exec
  ::close(pipefd[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
    throw std::runtime_error("cannot start " + exe + ": " + std::strerror(child_errno));
  }
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(group_ ? -pid_ : pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool Child::running() {
  if (reaped_) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

int Child::wait_exit(std::chrono::milliseconds timeout) {
  if (!wait_until([&] { return !running(); }, timeout)) return -1;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : -1;
}

int Child::stop(int sig, std::chrono::milliseconds timeout) {
  if (running()) ::kill(group_ ? -pid_ : pid_, sig);
  return wait_exit(timeout);
}

std::string Child::stdout_text() const { return slurp(out_); }
std::string Child::stderr_text() const { return slurp(err_); }

CommandResult run_command(const std::string& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
  char tmpl[] = "/tmp/peregrine-cmd-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  const fs::path dir = tmpl;
  CommandResult r;
  {
    Child c(exe, args, dir / "cmd");
    r.rc = c.wait_exit(timeout);
    if (r.rc == -1) c.stop(SIGKILL, std::chrono::seconds(10));
    if (r.rc >= 128) r.rc = -1;
    r.out = c.stdout_text();
    r.err = c.stderr_text();
  }
  if (r.rc == -1) r.err += "\n(" + exe + " killed or timed out after " + std::to_string(timeout.count()) + " ms)";
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

nlohmann::json wait_ready(Child& child, const fs::path& ready_file, std::chrono::milliseconds timeout) {
  nlohmann::json info;
  bool died = false;
  const bool ok = wait_until(
      [&] {
        if (fs::exists(ready_file)) {
          info = nlohmann::json::parse(slurp(ready_file), nullptr, false);
          if (!info.is_discarded()) return true;
        }
        died = !child.running();
        return died;
      },
      timeout);
  if (ok && !died) return info;
  throw std::runtime_error((died ? "process exited before it was ready: " : "process not ready in time: ") +
                           child.stderr_text());
}

std::string binary(const std::string& name) {
  for (const char* sub : {"router", "engine", "sensor", "responder", "tests/integration", ""}) {
    const fs::path p = fs::path(PEREGRINE_BINARY_DIR) / sub / name;
    if (fs::exists(p)) return p.string();
  }
  return "";
}

std::string sensor_unavailable() {
  if (::geteuid() != 0) return "needs root to load the sensor's BPF programs";
  if (!fs::exists("/sys/kernel/btf/vmlinux")) return "needs /sys/kernel/btf/vmlinux (kernel BTF) to load the sensor";
  return "";
}

}  // namespace peregrine::testing
