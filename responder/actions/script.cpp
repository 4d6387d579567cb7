#include "responder/actions/script.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/alert_text.h"
#include "common/fd_util.h"

namespace peregrine::responder {
namespace {

int64_t ms_left(std::chrono::steady_clock::time_point deadline) {
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
}

// Pumps stdin and stdout until the child exits (pidfd readable) or the deadline passes.
void pump(int pidfd, UniqueFd& in, int out, const std::string& input, std::chrono::steady_clock::time_point deadline,
          ScriptRun& r) {
  size_t written = 0;
  bool out_open = true;
  while (true) {
    pollfd fds[3] = {{pidfd, POLLIN, 0}, {out_open ? out : -1, POLLIN, 0}, {in.get(), POLLOUT, 0}};
    const int left = static_cast<int>(ms_left(deadline));
    if (left == 0) {
      r.timed_out = true;
      return;
    }
    if (::poll(fds, 3, left) < 0 && errno != EINTR) return;
    if (fds[1].revents) {
      char buf[4096];
      const ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) out_open = false;
      else if (r.output.size() < kMaxScriptOutput)
        r.output.append(buf, std::min<size_t>(static_cast<size_t>(n), kMaxScriptOutput - r.output.size()));
    }
    if (fds[2].revents & (POLLERR | POLLHUP)) in.reset();
    else if (fds[2].revents & POLLOUT) {
      const ssize_t n = ::write(in.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) in.reset();  // EOF on the child's stdin
    }
    if (fds[0].revents & POLLIN && !out_open) return;
    if (fds[0].revents & POLLIN && !(fds[1].revents & POLLIN)) return;
  }
}

}  // namespace

ScriptRun run_script(const ScriptParams& p, const std::string& input) {
  ScriptRun r;
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return r.error = std::strerror(errno), r;
  UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return r.error = std::strerror(errno), r;
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);  // a script that does not read its stdin must not kill the responder

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  std::vector<std::string> env_s{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  for (const auto& kv : p.env) env_s.push_back(kv.first + "=" + kv.second);
  std::vector<char*> argv, envp;
  for (const auto& a : p.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env_s) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  in_r.reset();
  out_w.reset();
  if (rc != 0) return r.error = "cannot run " + p.command[0] + ": " + std::strerror(rc), r;

  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  pump(pidfd.get(), in_w, out_r.get(), input, std::chrono::steady_clock::now() + p.timeout, r);
  if (r.timed_out) ::kill(-pid, SIGKILL);  // the whole group: what the script started goes too
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

ScriptParams parse_script(config::NodeReader& params) {
  ScriptParams p;
  p.command = params.strings("command");
  if (p.command.empty() || p.command[0].empty() || p.command[0][0] != '/')
    params.fail("command", "expected an argv list whose first entry is an absolute path (no shell is used)");
  p.timeout = params.duration("timeout", p.timeout, std::chrono::milliseconds(10), std::chrono::hours(1));
  p.env = params.string_map("env");
  return p;
}

ActionResult Script::run(const Alert& alert, bool dry_run) {
  std::string argv;
  for (const auto& a : p_.command) argv += (argv.empty() ? "" : " ") + a;
  ActionResult res;
  res.fields = {{"script.command", argv}};
  if (dry_run) return {Outcome::kDryRun, "would run " + argv + " with the alert on stdin", res.fields};
  ScriptRun r = run_script(p_, alert_json_text(alert));
  if (!r.error.empty()) return {Outcome::kFailed, r.error, res.fields};
  res.fields.emplace_back("script.exit_code", std::to_string(r.exit_code));
  if (r.timed_out)
    return {Outcome::kFailed, "timeout: killed after " + std::to_string(p_.timeout.count()) + " ms", res.fields};
  if (r.signal) return {Outcome::kFailed, "killed by signal " + std::to_string(r.signal), res.fields};
  if (r.exit_code != 0)
    return {Outcome::kFailed, "exit status " + std::to_string(r.exit_code) + ": " + r.output.substr(0, 512), res.fields};
  return {Outcome::kDone, "ran " + argv + " (exit 0)", res.fields};
}

}  // namespace peregrine::responder
