#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "sensor/fd_table.h"
#include "sensor/proc_table.h"

using namespace peregrine::sensor;

namespace {

ProcEntry proc(uint32_t pid, uint32_t ppid, std::string comm) {
  ProcEntry e;
  e.pid = pid;
  e.ppid = ppid;
  e.comm = comm;
  e.exe = comm;
  e.exepath = "/usr/bin/" + comm;
  return e;
}

}  // namespace

TEST_CASE("process table: fork inherits the parent's image fds and container") {
  ProcTable t(16, 8);
  auto parent = proc(100, 1, "bash");
  parent.cwd = "/root";
  parent.args = {"-l"};
  parent.container_id = "abcdef012345";
  parent.fds.set(3, FdEntry{'f', "/etc/passwd", "/etc/passwd", {}});
  REQUIRE(t.upsert(std::move(parent)) != nullptr);
  auto* child = t.on_fork(200, 100, 100);
  REQUIRE(child != nullptr);
  CHECK(child->pid == 200);
  CHECK(child->ppid == 100);
  CHECK(child->comm == "bash");
  CHECK(child->cwd == "/root");
  CHECK(child->args == std::vector<std::string>{"-l"});
  CHECK(child->container_id == "abcdef012345");
  REQUIRE(child->fds.find(3) != nullptr);
  CHECK(child->fds.find(3)->name == "/etc/passwd");
  // The copy is independent: closing in the child leaves the parent's fd.
  child->fds.erase(3);
  CHECK(t.find(100)->fds.find(3) != nullptr);
}

TEST_CASE("process table: fork of an unknown parent still creates the child") {
  ProcTable t(16, 8);
  auto* child = t.on_fork(300, 299, 299);
  REQUIRE(child != nullptr);
  CHECK(child->ppid == 299);
  CHECK(child->comm.empty());
}

TEST_CASE("process table: container ids of live processes, distinct and sorted, without host or exited") {
  ProcTable t(16, 8);
  CHECK(t.container_ids().empty());
  auto add = [&](uint32_t pid, const char* id) {
    auto e = proc(pid, 1, "sleep");
    e.container_id = id;
    REQUIRE(t.upsert(std::move(e)) != nullptr);
  };
  add(10, "host");
  add(11, "bbbbbbbbbbbb");
  add(12, "aaaaaaaaaaaa");
  add(13, "bbbbbbbbbbbb");
  add(14, "cccccccccccc");
  t.on_exit(14);  // a container whose only process is gone has nothing left to look up
  CHECK(t.container_ids() == std::vector<std::string>{"aaaaaaaaaaaa", "bbbbbbbbbbbb"});
}

TEST_CASE("process table: ancestors walk parent first and stop at max / unknown / init") {
  ProcTable t(16, 8);
  REQUIRE(t.upsert(proc(1, 0, "systemd")));
  REQUIRE(t.upsert(proc(10, 1, "sshd")));
  REQUIRE(t.upsert(proc(20, 10, "bash")));
  REQUIRE(t.upsert(proc(30, 20, "python")));
  std::vector<peregrine::AncestorInfo> out;
  t.ancestors(30, 5, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].comm == "bash");
  CHECK(out[0].pid == 20);
  CHECK(out[1].comm == "sshd");
  CHECK(out[2].comm == "systemd");
  CHECK(out[2].exepath == "/usr/bin/systemd");
  t.ancestors(30, 2, out);
  CHECK(out.size() == 2);
  REQUIRE(t.upsert(proc(40, 999, "orphan")));
  t.ancestors(40, 5, out);
  CHECK(out.empty());
  // A self-parent loop terminates.
  REQUIRE(t.upsert(proc(50, 50, "loop")));
  t.ancestors(50, 5, out);
  CHECK(out.empty());
}

TEST_CASE("process table: exited entries are kept until room is needed oldest exited first") {
  ProcTable t(3, 8);
  REQUIRE(t.upsert(proc(1, 0, "a")));
  REQUIRE(t.upsert(proc(2, 1, "b")));
  REQUIRE(t.upsert(proc(3, 1, "c")));
  t.on_exit(2);
  t.on_exit(3);
  CHECK(t.find(2) != nullptr);  // still resolvable after exit
  CHECK(t.find(2)->exited);
  REQUIRE(t.upsert(proc(4, 1, "d")) != nullptr);
  CHECK(t.find(2) == nullptr);  // evicted (oldest exited)
  CHECK(t.find(3) != nullptr);
  CHECK(t.evicted() == 1);
  REQUIRE(t.upsert(proc(5, 1, "e")) != nullptr);
  CHECK(t.find(3) == nullptr);
  // Full of live processes: refused and counted, existing entries untouched.
  CHECK(t.upsert(proc(6, 1, "f")) == nullptr);
  CHECK(t.refused() == 1);
  CHECK(t.size() == 3);
}

TEST_CASE("process table: a pid reused after exit is not evicted as the old process") {
  ProcTable t(2, 8);
  REQUIRE(t.upsert(proc(1, 0, "a")));
  REQUIRE(t.upsert(proc(2, 1, "old")));
  t.on_exit(2);
  REQUIRE(t.on_fork(2, 1, 1));  // pid 2 reused by a live process
  t.find(2)->comm = "new";
  CHECK(t.upsert(proc(3, 1, "c")) == nullptr);  // the only exited record refers to a live pid now
  CHECK(t.find(2)->comm == "new");
}

TEST_CASE("fd table: set dup erase and the per-process bound") {
  FdTable f(2);
  CHECK(f.set(3, FdEntry{'f', "/a", "/a", {}}));
  CHECK(f.set(4, FdEntry{'f', "/b", "b", {}}));
  CHECK_FALSE(f.set(5, FdEntry{'f', "/c", "/c", {}}));
  CHECK(f.refused() == 1);
  CHECK(f.set(4, FdEntry{'f', "/b2", "b2", {}}));  // replacing never counts as growth
  f.dup(3, 4);
  REQUIRE(f.find(4) != nullptr);
  CHECK(f.find(4)->name == "/a");
  f.dup(9, 4);  // unknown old fd: new fd forgotten
  CHECK(f.find(4) == nullptr);
  f.erase(3);
  CHECK(f.size() == 0);
}

TEST_CASE("fd table: exec closes close-on-exec fds - dup copies do not inherit the flag") {
  FdTable f(8);
  FdEntry keep{'f', "/keep", "/keep", {}};
  FdEntry drop{'f', "/drop", "/drop", {}};
  drop.cloexec = true;
  REQUIRE(f.set(3, keep));
  REQUIRE(f.set(4, drop));
  f.dup(4, 5);        // dup/dup2: the new fd is not close-on-exec
  f.dup(3, 6, true);  // dup3(O_CLOEXEC)
  f.on_exec();
  CHECK(f.find(3) != nullptr);
  CHECK(f.find(4) == nullptr);
  CHECK(f.find(5) != nullptr);
  CHECK(f.find(6) == nullptr);
}

TEST_CASE("fd typechar from /proc links") {
  CHECK(typechar_from_link("/etc/passwd") == 'f');
  CHECK(typechar_from_link("pipe:[1234]") == 'p');
  CHECK(typechar_from_link("socket:[99]") == 's');
  CHECK(typechar_from_link("anon_inode:[eventfd]") == 'e');
  CHECK(typechar_from_link("anon_inode:[eventpoll]") == 'l');
  CHECK(typechar_from_link("anon_inode:inotify") == 'i');
  CHECK(typechar_from_link("anon_inode:bpf-map") == 'b');
  CHECK(typechar_from_link("/memfd:x (deleted)") == 'm');
  CHECK(typechar_from_link("net:[4026531840]") == 'o');
}

TEST_CASE("socket tuple text: local->remote or client->server for accepted sockets") {
  peregrine::SockInfo s;
  s.family = AF_INET;
  inet_pton(AF_INET, "10.0.0.1", s.local_ip.data());
  inet_pton(AF_INET, "93.184.216.34", s.remote_ip.data());
  s.local_port = 40000;
  s.remote_port = 443;
  CHECK(format_tuple(s) == "10.0.0.1:40000->93.184.216.34:443");
  CHECK(format_tuple(s, false) == "93.184.216.34:443->10.0.0.1:40000");
  peregrine::SockInfo v6;
  v6.family = AF_INET6;
  inet_pton(AF_INET6, "::1", v6.local_ip.data());
  inet_pton(AF_INET6, "::1", v6.remote_ip.data());
  v6.local_port = 1;
  v6.remote_port = 2;
  CHECK(format_tuple(v6) == "::1:1->::1:2");
  peregrine::SockInfo unix_sock;
  unix_sock.family = AF_UNIX;
  CHECK(format_tuple(unix_sock).empty());
}
