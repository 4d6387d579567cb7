// Loads the real BPF programs, performs syscalls and checks the Events the sensor library produced.
// Needs root (or CAP_BPF+CAP_PERFMON) and kernel BTF; otherwise every test prints why and skips.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <arpa/inet.h>
#include <grp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <signal.h>
#include <thread>

#include "sensor/sensor.h"
#include "tests/sensor/live_fixture.h"

using namespace peregrine;
using namespace peregrine::sensor;
using namespace std::chrono_literals;

using namespace peregrine::sensor::testing;

TEST_CASE("open of /etc/shadow: openat event with fd path process and user context") {
  if (!can_run()) return;
  Live live;
  int fd = ::openat(AT_FDCWD, "/etc/../etc/shadow", O_RDONLY);
  REQUIRE(fd >= 0);
  const uint32_t tid = static_cast<uint32_t>(::syscall(SYS_gettid));
  auto ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kOpenat && e.fd.name == "/etc/shadow" && e.proc.pid == self_pid();
  });
  ::close(fd);
  REQUIRE(ev.has_value());
  CHECK(ev->res == fd);
  CHECK(ev->fd.num == fd);
  CHECK(ev->fd.nameraw == "/etc/../etc/shadow");
  CHECK(ev->fd.typechar == 'f');
  CHECK(ev->params[2].str == "/etc/../etc/shadow");
  CHECK((ev->params[3].num & O_ACCMODE) == O_RDONLY);
  CHECK(ev->proc.tid == tid);
  CHECK(ev->proc.comm == self_comm());
  CHECK(ev->proc.exepath == self_exe());
  CHECK(ev->proc.uid == 0);
  CHECK(ev->proc.user_name == "root");
  CHECK(ev->container.id == "host");
  CHECK(ev->num > 0);
  // The close that follows is reported with the fd's name from the fd table.
  auto cl = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kClose && e.proc.pid == self_pid() && e.fd.num == fd && e.fd.name == "/etc/shadow";
  });
  CHECK(cl.has_value());
}

TEST_CASE("execve from a forked child: exec event with exepath args parent chain - then procexit") {
  if (!can_run()) return;
  Live live;
  const char* bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  pid_t child = run_child([&] {
    char* const argv[] = {const_cast<char*>("true"), const_cast<char*>("--peregrine-marker"), nullptr};
    ::execv(bin, argv);
    return 127;
  });
  auto ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kExecve && e.proc.pid == static_cast<uint32_t>(child);
  });
  REQUIRE(ev.has_value());
  CHECK(ev->res == 0);
  CHECK(ev->proc.comm == "true");
  CHECK(ev->proc.exe == "true");
  CHECK(ev->proc.exepath == bin);
  CHECK(ev->proc.args == std::vector<std::string>{"--peregrine-marker"});
  CHECK(ev->params[3].str == bin);
  CHECK(ev->proc.ppid == self_pid());
  REQUIRE_FALSE(ev->proc.ancestors.empty());
  CHECK(ev->proc.ancestors[0].pid == self_pid());
  CHECK(ev->proc.ancestors[0].comm == self_comm());
  CHECK(ev->proc.ancestors[0].exepath == self_exe());
  CHECK(ev->proc.cwd == std::filesystem::current_path().string());
  CHECK(ev->container.id == "host");
  auto fork_ev = live.sink.wait_for([&](const Event& e) {
    return (e.type == EventType::kClone || e.type == EventType::kClone3 || e.type == EventType::kFork ||
            e.type == EventType::kVfork) && e.proc.pid == static_cast<uint32_t>(child);
  });
  CHECK(fork_ev.has_value());
  auto exit_ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kProcexit && e.proc.pid == static_cast<uint32_t>(child);
  });
  REQUIRE(exit_ev.has_value());
  CHECK(exit_ev->proc.comm == "true");
}

TEST_CASE("exec environment: proc.env of the exec and of later events once the engine asks for it") {
  if (!can_run()) return;
  Live live;
  REQUIRE(live.sensor->select({}, OpenFilter{}, /*proc_env=*/true).ok());
  const char* bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  const std::string big(300, 'x');  // several words long: not just the first page of the area
  pid_t child = run_child([&] {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    const std::string v1 = "PEREGRINE_ENV_MARKER=ld-preload-test", v2 = "PEREGRINE_BIG=" + big;
    char* const envp[] = {const_cast<char*>("HOME=/nonexistent"), const_cast<char*>(v1.c_str()),
                          const_cast<char*>(v2.c_str()), nullptr};
    ::execve(bin, argv, envp);
    return 127;
  });
  auto ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kExecve && e.proc.pid == static_cast<uint32_t>(child);
  });
  REQUIRE(ev.has_value());
  CHECK(ev->proc.env ==
        std::vector<std::string>{"HOME=/nonexistent", "PEREGRINE_ENV_MARKER=ld-preload-test", "PEREGRINE_BIG=" + big});
  CHECK(ev->params[4].str == "HOME=/nonexistent PEREGRINE_ENV_MARKER=ld-preload-test PEREGRINE_BIG=" + big);
  auto exit_ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kProcexit && e.proc.pid == static_cast<uint32_t>(child);
  });
  REQUIRE(exit_ev.has_value());
  CHECK(exit_ev->proc.env.size() == 3);  // later events of the process carry it too

  // An environment larger than PG_MAX_ENV_BYTES: a prefix of whole variables, none cut short.
  std::vector<std::string> vars;
  for (int i = 0; i < 30; ++i) vars.push_back("PEREGRINE_V" + std::to_string(i) + "=" + std::string(200, 'a' + i % 26));
  pid_t big_child = run_child([&] {
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    ::execve(bin, argv, envp.data());
    return 127;
  });
  auto big_ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kExecve && e.proc.pid == static_cast<uint32_t>(big_child);
  });
  REQUIRE(big_ev.has_value());
  const auto& got = big_ev->proc.env;
  CHECK(got.size() >= 15);  // 4096 bytes hold 19 of them
  CHECK(got.size() < vars.size());
  for (size_t i = 0; i < got.size() && i < vars.size(); ++i) CHECK(got[i] == vars[i]);
}

TEST_CASE("connect to a loopback listener: tuple from the kernel socket then accept on the server side") {
  if (!can_run()) return;
  Live live;
  int srv = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  REQUIRE(::listen(srv, 4) == 0);
  socklen_t len = sizeof(sa);
  ::getsockname(srv, reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t port = ntohs(sa.sin_port);
  int cli = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(::connect(cli, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  sockaddr_in local{};
  len = sizeof(local);
  ::getsockname(cli, reinterpret_cast<sockaddr*>(&local), &len);
  int acc = ::accept(srv, nullptr, nullptr);
  REQUIRE(acc >= 0);
  const std::string tuple =
      "127.0.0.1:" + std::to_string(ntohs(local.sin_port)) + "->127.0.0.1:" + std::to_string(port);
  auto ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kConnect && e.proc.pid == self_pid() && e.fd.num == cli;
  });
  REQUIRE(ev.has_value());
  CHECK(ev->res == 0);
  CHECK(ev->fd.name == tuple);
  CHECK(ev->params[1].str == tuple);
  CHECK(ev->fd.typechar == '4');
  CHECK(ev->fd.sock.remote_port == port);
  CHECK(ev->fd.sock.l4proto == IPPROTO_TCP);
  auto a = live.sink.wait_for([&](const Event& e) {
    return (e.type == EventType::kAccept || e.type == EventType::kAccept4) && e.proc.pid == self_pid() &&
           e.fd.num == acc;
  });
  REQUIRE(a.has_value());
  CHECK(a->fd.name == tuple);  // client->server
  CHECK(a->fd.sock.is_server);
  ::close(acc);
  ::close(cli);
  ::close(srv);
}

TEST_CASE("ptrace attach to a child: request and target pid") {
  if (!can_run()) return;
  Live live;
  pid_t child = ::fork();
  if (child == 0) {
    while (true) ::pause();
  }
  REQUIRE(::ptrace(PTRACE_ATTACH, child, nullptr, nullptr) == 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto ev = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kPtrace && e.proc.pid == self_pid() && e.params[1].num == PTRACE_ATTACH;
  });
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  REQUIRE(ev.has_value());
  CHECK(ev->res == 0);
  CHECK(static_cast<pid_t>(ev->params[2].num) == child);
}

TEST_CASE("exe_writable: the owner and other-writable files are writable - a root-owned 0755 binary is not for nobody") {
  if (!can_run()) return;
  Live live;
  const std::string bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  char dir_tmpl[] = "/tmp/pg-exe-writable-XXXXXX";
  REQUIRE(::mkdtemp(dir_tmpl) != nullptr);
  const std::string dir = dir_tmpl, open_copy = dir + "/true-0757";
  ::chmod(dir.c_str(), 0755);
  std::filesystem::copy_file(bin, open_copy);
  ::chmod(open_copy.c_str(), 0757);
  auto exec_as = [&](const std::string& path, bool as_nobody) {
    return run_child([&] {
      if (as_nobody && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) return 126;
      char* const argv[] = {const_cast<char*>("true"), nullptr};
      ::execv(path.c_str(), argv);
      return 127;
    });
  };
  auto writable = [&](pid_t child) -> std::optional<bool> {
    auto ev = live.sink.wait_for([&](const Event& e) {
      return e.type == EventType::kExecve && e.proc.pid == static_cast<uint32_t>(child);
    });
    if (!ev) return std::nullopt;
    return ev->proc.exe_writable;
  };
  CHECK(writable(exec_as(bin, false)) == std::optional<bool>(true));         // root owns it
  CHECK(writable(exec_as(bin, true)) == std::optional<bool>(false));         // nobody: 0755, no capabilities
  CHECK(writable(exec_as(open_copy, true)) == std::optional<bool>(true));    // nobody: other-writable
  std::filesystem::remove_all(dir);
}

TEST_CASE("fileless exec from a memfd: exe_from_memfd and the memfd_create fd") {
  if (!can_run()) return;
  Live live;
  const char* bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  int mfd = static_cast<int>(::syscall(SYS_memfd_create, "pg-fileless", 0));
  REQUIRE(mfd >= 0);
  {
    std::ifstream in(bin, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(::write(mfd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  }
  pid_t child = run_child([&] {
    char* const argv[] = {const_cast<char*>("fileless"), nullptr};
    char* const envp[] = {nullptr};
    ::fexecve(mfd, argv, envp);
    return 127;
  });
  auto mc = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kMemfdCreate && e.proc.pid == self_pid() && e.fd.num == mfd;
  });
  REQUIRE(mc.has_value());
  CHECK(mc->fd.typechar == 'm');
  CHECK(mc->params[1].str == "pg-fileless");
  auto ev = live.sink.wait_for([&](const Event& e) {
    return (e.type == EventType::kExecve || e.type == EventType::kExecveat) &&
           e.proc.pid == static_cast<uint32_t>(child);
  });
  ::close(mfd);
  REQUIRE(ev.has_value());
  CHECK(ev->proc.exe_from_memfd);
  CHECK(ev->proc.exe == "fileless");
}

TEST_CASE("the engine's selection filters in the kernel - state-set events still update the tables") {
  if (!can_run()) return;
  Live live;
  const EventType only[] = {EventType::kMkdirat, EventType::kMkdir};
  REQUIRE(live.sensor->select(only).ok());
  auto dir = std::filesystem::temp_directory_path() / ("pg-sel-" + std::to_string(::getpid()));
  int fd = ::open("/etc/hostname", O_RDONLY);  // not selected: must not reach the sink
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  auto ev = live.sink.wait_for([&](const Event& e) {
    return (e.type == EventType::kMkdir || e.type == EventType::kMkdirat) && e.proc.pid == self_pid();
  });
  ::close(fd);
  std::filesystem::remove(dir);
  REQUIRE(ev.has_value());
  CHECK(live.sink.count([](const Event& e) {
    return e.type == EventType::kOpenat || e.type == EventType::kOpen;
  }) == 0);
  // close is in the state set: traced (kernel events grow) but not forwarded.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (live.sensor->stats().state_only == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  CHECK(live.sensor->stats().state_only > 0);
  CHECK(live.sensor->stats().kernel.events > 0);
}

TEST_CASE("failure modes: a missing BTF file or no privileges give one clear message") {
  ProbeOptions o;
  o.btf_path = "/nonexistent/vmlinux";
  auto p = BpfProbe::open(o, [](std::span<const uint8_t>) {});
  REQUIRE_FALSE(p.ok());
  if (::geteuid() == 0) {
    CHECK(p.error().message.find("no kernel BTF") != std::string::npos);
  } else {
    CHECK(p.error().message.find("not running as root") != std::string::npos);
  }
}

TEST_CASE("exec from an overlayfs upper layer sets exe_upper_layer - a lower-layer binary exe_lower_layer") {
  if (!can_run()) return;
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("pg-ovl-" + std::to_string(::getpid()));
  fs::remove_all(base);
  for (const char* d : {"lower", "upper", "work", "merged"}) fs::create_directories(base / d);
  const char* bin = fs::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  fs::copy_file(bin, base / "lower" / "lower_true");
  Live live;
  // The mount lives in a private mount namespace of a child process and disappears with it.
  pid_t helper = ::fork();
  if (helper == 0) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(2);
    std::string opts = "lowerdir=" + (base / "lower").string() + ",upperdir=" + (base / "upper").string() +
                       ",workdir=" + (base / "work").string();
    if (::mount("overlay", (base / "merged").c_str(), "overlay", 0, opts.c_str()) != 0) _exit(3);
    std::error_code ec;
    fs::copy_file(bin, base / "merged" / "upper_true", ec);  // a new file: lands in the upper layer
    if (ec) _exit(4);
    for (const char* name : {"upper_true", "lower_true"}) {
      pid_t c = ::fork();
      if (c == 0) {
        std::string path = (base / "merged" / name).string();
        char* const argv[] = {const_cast<char*>(name), nullptr};
        ::execv(path.c_str(), argv);
        _exit(127);
      }
      int st = 0;
      ::waitpid(c, &st, 0);
    }
    _exit(0);
  }
  int status = 0;
  ::waitpid(helper, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 3) {
    fs::remove_all(base);
    PEREGRINE_SKIP_NOTE("cannot mount overlayfs here");
    return;
  }
  REQUIRE(WEXITSTATUS(status) == 0);
  auto upper = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kExecve && e.proc.exe == "upper_true";
  });
  auto lower = live.sink.wait_for([&](const Event& e) {
    return e.type == EventType::kExecve && e.proc.exe == "lower_true";
  });
  fs::remove_all(base);
  REQUIRE(upper.has_value());
  REQUIRE(lower.has_value());
  CHECK(upper->proc.exe_upper_layer);
  CHECK_FALSE(upper->proc.exe_lower_layer);
  CHECK_FALSE(lower->proc.exe_upper_layer);
  CHECK(lower->proc.exe_lower_layer);
  CHECK(upper->proc.exepath == (base / "merged" / "upper_true").string());
}
