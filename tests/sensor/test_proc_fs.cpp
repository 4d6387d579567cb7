#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sensor/proc_fs.h"

using namespace peregrine::sensor;
namespace fs = std::filesystem;

namespace {

const std::string kCid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// A fake /proc with two processes (a containerised one with a socket and a file fd) and net/tcp.
struct FakeProc {
  fs::path root;
  FakeProc() {
    root = fs::temp_directory_path() / ("pg-fakeproc-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto p = root / "4242";
    write(p / "stat", "4242 (my (odd) name) S 4000 4242 4000 34816 4242 4194560 0 0 0 0 1 2 0 0 20 0 1 0 "
                      "123456 1000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    write(p / "status", "Name:\tx\nTgid:\t4242\nNSpid:\t4242\t7\nNSpgid:\t4242\t7\nCapInh:\t0000000000000000\n"
                        "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n");
    write(p / "cmdline", std::string("/usr/bin/python3\0-m\0http.server\0", 32));
    write(p / "cgroup", "0::/system.slice/docker-" + kCid + ".scope\n");
    write(p / "loginuid", "1000");
    fs::create_directories(p / "fd");
    fs::create_symlink("/usr/bin/true", p / "exe");
    fs::create_symlink("/tmp", p / "cwd");
    fs::create_symlink("/etc/hostname", p / "fd" / "3");
    fs::create_symlink("socket:[777]", p / "fd" / "4");
    fs::create_symlink("pipe:[5]", p / "fd" / "5");
    fs::create_symlink("socket:[888]", p / "fd" / "6");
    auto q = root / "4000";
    write(q / "stat", "4000 (bash) S 1 4000 4000 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                      "0 0 0 0 0 0 0\n");
    write(q / "cgroup", "0::/user.slice\n");
    write(root / "self" / "ignored", "");  // non-numeric entries are skipped
    // 127.0.0.1:8000 <- 127.0.0.1:51000, established, inode 777
    write(root / "net" / "tcp",
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          "   0: 0100007F:1F40 0100007F:C738 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0\n");
    write(root / "net" / "unix",
          "Num       RefCount Protocol Flags    Type St Inode Path\n"
          "0000000000000000: 00000003 00000000 00000000 0001 03 888 /run/systemd/journal/stdout\n");
  }
  ~FakeProc() { fs::remove_all(root); }
};

}  // namespace

TEST_CASE("parse /proc/<pid>/stat with a comm containing spaces and parentheses") {
  auto s = parse_proc_stat("7 (a (b) c) R 1 7 5 34817 0 0 0 0 0 0 0 0 0 0 0 0 1 0 999 0 0\n");
  REQUIRE(s.has_value());
  CHECK(s->comm == "a (b) c");
  CHECK(s->state == 'R');
  CHECK(s->ppid == 1);
  CHECK(s->pgrp == 7);
  CHECK(s->session == 5);
  CHECK(s->tty == 34817u);  // /dev/pts/1 (major 136, minor 1), kept in Falco's (and tty_nr's) encoding
  CHECK(s->start_ticks == 999);
  CHECK_FALSE(parse_proc_stat("garbage").has_value());
  CHECK_FALSE(parse_proc_stat("1 (x) S 1 2").has_value());
}

TEST_CASE("parse /proc/<pid>/status capabilities and namespaced ids") {
  auto s = parse_proc_status("Tgid:\t9\nNSpid:\t9\t3\nCapInh:\t0\nCapPrm:\t00000000a80425fb\nCapEff:\t1f\n");
  CHECK(s.tgid == 9);
  CHECK(s.vpid == 3);
  CHECK(s.cap_permitted == 0xa80425fbull);
  CHECK(s.cap_effective == 0x1f);
}

TEST_CASE("split_argv handles trailing NULs and empty args") {
  CHECK(split_argv(std::string("a\0b\0\0c\0", 7)) == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(split_argv("").empty());
}

TEST_CASE("read one process from a fake /proc tree") {
  FakeProc fp;
  auto sockets = read_socket_inodes(fp.root.string());
  REQUIRE(sockets.count(777) == 1);
  auto e = read_proc_entry(fp.root.string(), 4242, 1'000'000'000ull, &sockets, 16);
  REQUIRE(e.ok());
  CHECK(e->comm == "my (odd) name");
  CHECK(e->ppid == 4000);
  CHECK(e->exe == "/usr/bin/python3");
  CHECK(e->args == std::vector<std::string>{"-m", "http.server"});
  CHECK(e->exepath == "/usr/bin/true");
  CHECK(e->cwd == "/tmp");
  CHECK(e->loginuid == 1000);
  CHECK(e->container_id == kCid.substr(0, 12));
  CHECK(e->vpid == 7);
  CHECK(e->cap_effective == 0x1ffffffffffull);
  CHECK(e->start_ts > 1'000'000'000ull);
  REQUIRE(e->fds.find(3) != nullptr);
  CHECK(e->fds.find(3)->name == "/etc/hostname");
  CHECK(e->fds.find(3)->typechar == 'f');
  REQUIRE(e->fds.find(4) != nullptr);
  CHECK(e->fds.find(4)->typechar == '4');
  CHECK(e->fds.find(4)->name == "127.0.0.1:8000->127.0.0.1:51000");
  CHECK(e->fds.find(5)->typechar == 'p');
  REQUIRE(e->fds.find(6) != nullptr);
  CHECK(e->fds.find(6)->typechar == 'u');
  CHECK_FALSE(read_proc_entry(fp.root.string(), 1, 0, nullptr, 16).ok());
}

TEST_CASE("seed the process table from a fake /proc tree") {
  FakeProc fp;
  ProcTable t(100, 16);
  CHECK(seed_proc_table(t, fp.root.string(), 0) == 2);
  REQUIRE(t.find(4000) != nullptr);
  CHECK(t.find(4000)->container_id == "host");
  CHECK(t.find(4000)->loginuid == 0xffffffffu);  // no loginuid file
  std::vector<peregrine::AncestorInfo> anc;
  t.ancestors(4242, 5, anc);
  REQUIRE(anc.size() == 1);
  CHECK(anc[0].comm == "bash");
}

TEST_CASE("seed from the real /proc finds this process") {
  ProcTable t(1 << 16, 64);
  CHECK(seed_proc_table(t, "/proc", boot_epoch_ns()) > 1);
  auto* self = t.find(static_cast<uint32_t>(::getpid()));
  REQUIRE(self != nullptr);
  CHECK(self->exepath == fs::read_symlink("/proc/self/exe").string());
  CHECK(self->cwd == fs::current_path().string());
}

TEST_CASE("split_env: NUL-separated variables - a cut last one and empty entries are left out") {
  CHECK(split_env(std::string("A=1\0B=2\0", 8), 4096) == std::vector<std::string>{"A=1", "B=2"});
  CHECK(split_env(std::string("A=1\0B=2", 7), 4096) == std::vector<std::string>{"A=1"});          // cut short
  CHECK(split_env(std::string("A=1\0\0B=2\0", 9), 4096) == std::vector<std::string>{"A=1", "B=2"});
  CHECK(split_env(std::string("A=1\0B=22\0", 9), 6) == std::vector<std::string>{"A=1"});           // limit cuts B
  CHECK(split_env("", 4096).empty());
}
