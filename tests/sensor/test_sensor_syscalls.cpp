// Every syscall recipe against the real kernel: perform the call with known arguments and check the event's
// parameters by name. Catches a wrong argument register or slot in sensor/syscall_table.cpp. Root only.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>

#include "sensor/sensor.h"

using namespace peregrine;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Sink : public sensor::EventSink {
 public:
  void on_event(const Event& ev) override {
    const uint32_t self = static_cast<uint32_t>(::getpid());
    bool mine = ev.proc.pid == self || ev.proc.ppid == self;
    if (!mine) return;
    std::lock_guard lk(mu_);
    events_.push_back(ev);
    cv_.notify_all();
  }
  std::optional<Event> wait(EventType t, const std::function<bool(const Event&)>& pred) {
    std::unique_lock lk(mu_);
    std::optional<Event> out;
    cv_.wait_for(lk, 10s, [&] {
      for (const auto& e : events_)
        if (e.type == t && pred(e)) {
          out = e;
          return true;
        }
      return false;
    });
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

const Param& arg(const Event& e, std::string_view name) {
  static const Param kMissing;
  int i = param_index(e.type, name);
  return i < 0 ? kMissing : e.params[static_cast<size_t>(i)];
}

std::string s(const Event& e, std::string_view name) { return arg(e, name).str; }
int64_t n(const Event& e, std::string_view name) { return static_cast<int64_t>(arg(e, name).num); }

}  // namespace

TEST_CASE("syscall recipes: file syscalls carry their path and flag arguments") {
  if (::geteuid() != 0 || !fs::exists("/sys/kernel/btf/vmlinux")) {
    PEREGRINE_SKIP_NOTE("needs root and kernel BTF");
    return;
  }
  Sink sink;
  sensor::SensorOptions o;
  o.docker_socket.clear();
  auto sen = sensor::Sensor::create(o, sink);
  REQUIRE(sen.ok());
  (*sen)->start();
  const fs::path d = fs::temp_directory_path() / ("pg-sc-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string a = (d / "a").string(), b = (d / "b").string(), c = (d / "c").string();
  int dfd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(dfd >= 0);

  int fd = static_cast<int>(::syscall(SYS_creat, a.c_str(), 0640));
  REQUIRE(fd >= 0);
  open_how how{};
  how.flags = O_RDONLY;
  int fd2 = static_cast<int>(::syscall(SYS_openat2, dfd, "a", &how, sizeof(how)));
  REQUIRE(fd2 >= 0);
  REQUIRE(::syscall(SYS_symlinkat, "/etc", dfd, "etc_link") == 0);
  REQUIRE(::syscall(SYS_linkat, AT_FDCWD, a.c_str(), dfd, "hard", 0) == 0);
  REQUIRE(::syscall(SYS_renameat2, dfd, "hard", dfd, "hard2", 0) == 0);
  REQUIRE(::syscall(SYS_mkdirat, dfd, "sub", 0750) == 0);
  REQUIRE(::syscall(SYS_fchmodat, dfd, "a", 04755) == 0);
  REQUIRE(::syscall(SYS_fchmod, fd, 0600) == 0);
  REQUIRE(::syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR) == 0);
  REQUIRE(::syscall(SYS_dup3, fd, 100, O_CLOEXEC) == 100);
  ::close(100);
  ::close(fd2);

  auto ev = sink.wait(EventType::kCreat, [&](const Event& e) { return s(e, "name") == a; });
  REQUIRE(ev);
  CHECK(n(*ev, "fd") == fd);
  CHECK(n(*ev, "mode") == 0640);
  CHECK(ev->fd.name == a);
  ev = sink.wait(EventType::kOpenat2, [&](const Event& e) { return s(e, "name") == "a"; });
  REQUIRE(ev);
  CHECK(n(*ev, "dirfd") == dfd);
  CHECK(n(*ev, "flags") == O_RDONLY);
  CHECK(ev->fd.name == a);  // resolved against the dirfd's path
  ev = sink.wait(EventType::kSymlinkat, [](const Event& e) { return s(e, "linkpath") == "etc_link"; });
  REQUIRE(ev);
  CHECK(s(*ev, "target") == "/etc");
  CHECK(n(*ev, "linkdirfd") == dfd);
  ev = sink.wait(EventType::kLinkat, [](const Event& e) { return s(e, "newpath") == "hard"; });
  REQUIRE(ev);
  CHECK(s(*ev, "oldpath") == a);
  CHECK(n(*ev, "newdir") == dfd);
  ev = sink.wait(EventType::kRenameat2, [](const Event& e) { return s(e, "newpath") == "hard2"; });
  REQUIRE(ev);
  CHECK(s(*ev, "oldpath") == "hard");
  CHECK(n(*ev, "olddirfd") == dfd);
  ev = sink.wait(EventType::kMkdirat, [](const Event& e) { return s(e, "path") == "sub"; });
  REQUIRE(ev);
  CHECK(n(*ev, "mode") == 0750);
  ev = sink.wait(EventType::kFchmodat, [](const Event& e) { return s(e, "filename") == "a"; });
  REQUIRE(ev);
  CHECK(n(*ev, "mode") == 04755);
  ev = sink.wait(EventType::kFchmod, [&](const Event& e) { return n(e, "fd") == fd; });
  REQUIRE(ev);
  CHECK(n(*ev, "mode") == 0600);
  CHECK(ev->fd.name == a);  // from the fd table
  ev = sink.wait(EventType::kUnlinkat, [](const Event& e) { return s(e, "name") == "sub"; });
  REQUIRE(ev);
  CHECK(n(*ev, "flags") == AT_REMOVEDIR);
  ev = sink.wait(EventType::kDup3, [](const Event& e) { return e.res == 100; });
  REQUIRE(ev);
  CHECK(n(*ev, "oldfd") == fd);
  CHECK(n(*ev, "newfd") == 100);
  CHECK(n(*ev, "flags") == O_CLOEXEC);
  ::close(fd);
  ::close(dfd);
  (*sen)->stop();
  fs::remove_all(d);
}

TEST_CASE("syscall recipes: process / network / privilege syscalls carry their arguments") {
  if (::geteuid() != 0 || !fs::exists("/sys/kernel/btf/vmlinux")) {
    PEREGRINE_SKIP_NOTE("needs root and kernel BTF");
    return;
  }
  Sink sink;
  sensor::SensorOptions o;
  o.docker_socket.clear();
  auto sen = sensor::Sensor::create(o, sink);
  REQUIRE(sen.ok());
  (*sen)->start();

  // UDP sendto to an unconnected socket: the destination comes from the call's sockaddr.
  int u = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(u >= 0);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(9);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::sendto(u, "ping", 4, 0, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) == 4);
  int opt = 0;
  socklen_t optlen = sizeof(opt);
  REQUIRE(::getsockopt(u, SOL_SOCKET, SO_TYPE, &opt, &optlen) == 0);
  int pk = ::socket(AF_PACKET, SOCK_RAW, htons(0x0003));  // ETH_P_ALL
  pid_t child = ::fork();
  if (child == 0) {
    // In a child: changes that must not leak into the test process.
    ::prctl(PR_SET_NAME, "pg-renamed");
    ::setsid();
    ::unshare(CLONE_NEWUTS);
    ::setresgid(1, 1, 1);
    ::setresuid(1, 1, 1);  // daemon
    _exit(0);
  }
  int st = 0;
  ::waitpid(child, &st, 0);
  REQUIRE(WIFEXITED(st));
  long uffd = ::syscall(SYS_userfaultfd, O_CLOEXEC);
  bpf_attr attr{};
  long bfd = ::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));  // fails (EINVAL): still reported
  const int bpf_errno = errno;
  long im = ::syscall(SYS_init_module, nullptr, 0, "pg=1");            // fails: still reported

  auto ev = sink.wait(EventType::kSendto, [&](const Event& e) { return n(e, "fd") == u; });
  REQUIRE(ev);
  CHECK(n(*ev, "size") == 4);
  CHECK(s(*ev, "tuple").find("->127.0.0.1:9") != std::string::npos);
  CHECK(ev->fd.typechar == '4');
  CHECK(ev->fd.sock.l4proto == IPPROTO_UDP);
  ev = sink.wait(EventType::kGetsockopt, [&](const Event& e) { return n(e, "fd") == u; });
  REQUIRE(ev);
  CHECK(n(*ev, "level") == SOL_SOCKET);
  CHECK(n(*ev, "optname") == SO_TYPE);
  ev = sink.wait(EventType::kSocket, [](const Event& e) { return e.params[1].num == AF_PACKET; });
  REQUIRE(ev);
  CHECK(n(*ev, "type") == SOCK_RAW);
  CHECK(n(*ev, "fd") == pk);
  ev = sink.wait(EventType::kPrctl, [](const Event& e) { return n(e, "option") == PR_SET_NAME; });
  REQUIRE(ev);
  CHECK(s(*ev, "arg2_str") == "pg-renamed");
  ev = sink.wait(EventType::kSetsid, [&](const Event& e) { return e.proc.pid == static_cast<uint32_t>(child); });
  REQUIRE(ev);
  CHECK(ev->res == child);
  ev = sink.wait(EventType::kUnshare, [&](const Event& e) { return e.proc.pid == static_cast<uint32_t>(child); });
  REQUIRE(ev);
  CHECK(n(*ev, "flags") == CLONE_NEWUTS);
  ev = sink.wait(EventType::kSetresuid, [&](const Event& e) { return e.proc.pid == static_cast<uint32_t>(child); });
  REQUIRE(ev);
  CHECK(n(*ev, "ruid") == 1);
  CHECK(n(*ev, "euid") == 1);
  CHECK(ev->proc.uid == 1);  // the header carries the credentials after the call
  CHECK(ev->proc.comm == "pg-renamed");
  ev = sink.wait(EventType::kSetresgid, [&](const Event& e) { return e.proc.pid == static_cast<uint32_t>(child); });
  REQUIRE(ev);
  CHECK(n(*ev, "sgid") == 1);
  ev = sink.wait(EventType::kUserfaultfd, [](const Event&) { return true; });
  REQUIRE(ev);
  CHECK(ev->res == uffd);
  CHECK(n(*ev, "flags") == O_CLOEXEC);
  ev = sink.wait(EventType::kBpf, [](const Event& e) { return n(e, "cmd") == BPF_PROG_LOAD; });
  REQUIRE(ev);
  CHECK(ev->res == (bfd < 0 ? -bpf_errno : bfd));
  ev = sink.wait(EventType::kInitModule, [](const Event& e) { return s(e, "uargs") == "pg=1"; });
  REQUIRE(ev);
  CHECK(ev->res < 0);
  CHECK(im < 0);
  if (uffd >= 0) ::close(static_cast<int>(uffd));
  if (pk >= 0) ::close(pk);
  ::close(u);
  (*sen)->stop();
}
