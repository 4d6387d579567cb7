// EventBuilder on synthesized ring-buffer records: no kernel needed.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "sensor/event_builder.h"

using namespace peregrine;
using namespace peregrine::sensor;

namespace {

const std::string kCid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Builds one record exactly as the BPF side lays it out.
class Record {
 public:
  Record(EventType t, int64_t res, uint32_t pid, uint32_t tid = 0) {
    std::memset(&h_, 0, sizeof(h_));
    h_.type = static_cast<uint16_t>(t);
    h_.res = res;
    h_.pid = pid;
    h_.tid = tid ? tid : pid;
    h_.ppid = 1;
    h_.ts_boot_ns = 5;
    std::strncpy(h_.comm, "tester", sizeof(h_.comm));
    for (auto& l : h_.param_len) l = PG_PARAM_ABSENT;
  }
  Record& u64(int slot, uint64_t v) { return raw(slot, &v, sizeof(v)); }
  Record& str(int slot, std::string_view s) { return raw(slot, s.data(), s.size()); }
  Record& raw(int slot, const void* p, size_t n) {
    slots_[slot].assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    h_.param_len[slot] = static_cast<uint16_t>(n);
    return *this;
  }
  Record& ppid(uint32_t v) { h_.ppid = v; return *this; }
  Record& uid(uint32_t v) { h_.uid = h_.euid = v; return *this; }
  Record& flags(uint32_t v) { h_.flags = v; return *this; }
  std::vector<uint8_t> bytes() {
    std::vector<uint8_t> payload;
    for (int i = 0; i < PG_MAX_SLOTS; ++i)
      if (h_.param_len[i] != PG_PARAM_ABSENT) payload.insert(payload.end(), slots_[i].begin(), slots_[i].end());
    h_.len = static_cast<uint32_t>(sizeof(h_) + payload.size());
    std::vector<uint8_t> out(sizeof(h_) + payload.size());  // sized once: g++ 12 -O3 misreads insert() here
    std::memcpy(out.data(), &h_, sizeof(h_));
    if (!payload.empty()) std::memcpy(out.data() + sizeof(h_), payload.data(), payload.size());
    return out;
  }

 private:
  pg_event_header h_{};
  std::array<std::vector<uint8_t>, PG_MAX_SLOTS> slots_;
};

pg_sock_tuple tcp_tuple(const char* l, uint16_t lport, const char* r, uint16_t rport) {
  pg_sock_tuple t{};
  t.family = AF_INET;
  t.l4proto = IPPROTO_TCP;
  t.connected = 1;
  t.lport = lport;
  t.rport = rport;
  inet_pton(AF_INET, l, t.laddr);
  inet_pton(AF_INET, r, t.raddr);
  return t;
}

struct Fixture {
  ProcTable procs{64, 16};
  UserDb users;
  BuilderOptions opts;
  std::unique_ptr<EventBuilder> b;
  Event ev;
  Fixture() {
    opts.proc_root = "/nonexistent-proc";  // never fall back to the real /proc in these tests
    opts.max_ancestors = 3;
    ProcEntry init;
    init.pid = 1;
    init.comm = "systemd";
    init.exe = "/sbin/init";
    init.cwd = std::string(1, '/');  // not = "/": g++ 12 -O3 false -Wrestrict (GCC PR105651)
    REQUIRE(procs.upsert(init));
    ProcEntry shell;
    shell.pid = 100;
    shell.ppid = 1;
    shell.comm = "bash";
    shell.exe = "bash";
    shell.cwd = "/home/user";
    shell.loginuid = 0;
    REQUIRE(procs.upsert(shell));
    b = std::make_unique<EventBuilder>(opts, procs, users, nullptr, 1'000'000'000ull);
  }
  bool build(Record& r) {
    auto bytes = r.bytes();
    return b->build(bytes, ev);
  }
};

}  // namespace

TEST_CASE("fork then exec: process record params container id ancestors and user names") {
  Fixture f;
  Record fork(EventType::kClone, 0, 200);
  fork.ppid(100).u64(0, 0).u64(1, 0x11);
  REQUIRE(f.build(fork));
  CHECK(f.ev.num == 1);
  REQUIRE(f.procs.find(200) != nullptr);
  CHECK(f.procs.find(200)->cwd == "/home/user");

  pg_exec_info x{};
  x.cap_effective = 0x1ff;
  x.loginuid = 0;
  x.tty = 34819;  // /dev/pts/3 in tty_nr encoding
  x.start_boot_ns = 7;
  x.flags = PG_EXE_FROM_MEMFD;
  std::string argv("cat\0-n\0/etc/shadow\0", 19);
  Record exec(EventType::kExecve, 0, 200);
  exec.ppid(100).uid(0).u64(0, 0).str(2, argv).str(3, "../../bin/cat").raw(PG_SLOT_EXEC_INFO, &x, sizeof(x))
      .str(PG_SLOT_CGROUP, "/system.slice/docker-" + kCid + ".scope");
  REQUIRE(f.build(exec));
  const Event& ev = f.ev;
  CHECK(ev.num == 2);
  CHECK(ev.type == EventType::kExecve);
  CHECK(ev.ts_ns == 1'000'000'005ull);
  REQUIRE(ev.params.size() == 5);  // res exe args filename env
  CHECK_FALSE(ev.params[4].present);  // no env captured
  CHECK(ev.params[1].str == "cat");
  CHECK(ev.params[2].str == "-n /etc/shadow");
  CHECK(ev.params[3].str == "../../bin/cat");
  CHECK(ev.proc.pid == 200);
  CHECK(ev.proc.comm == "tester");
  CHECK(ev.proc.exe == "cat");
  CHECK(ev.proc.args == std::vector<std::string>{"-n", "/etc/shadow"});
  CHECK(ev.proc.exepath == "/bin/cat");  // relative filename resolved against the cwd
  CHECK(ev.proc.cwd == "/home/user");
  CHECK(ev.proc.cap_effective == 0x1ff);
  CHECK(ev.proc.tty == 34819u);
  CHECK(ev.proc.start_ts == 1'000'000'007ull);
  CHECK(ev.proc.exe_from_memfd);
  CHECK(ev.proc.user_name == "root");
  CHECK(ev.proc.loginname == "root");
  CHECK(ev.container.id == kCid.substr(0, 12));
  REQUIRE(ev.proc.ancestors.size() == 2);
  CHECK(ev.proc.ancestors[0].comm == "bash");
  CHECK(ev.proc.ancestors[1].comm == "systemd");
}

TEST_CASE("openat resolves fd.name against the cwd keeps nameraw and close reports then forgets the fd") {
  Fixture f;
  Record open(EventType::kOpenat, 3, 100);
  open.u64(0, 3).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "../../etc/../etc/shadow").u64(3, O_RDONLY);
  REQUIRE(f.build(open));
  CHECK(f.ev.fd.num == 3);
  CHECK(f.ev.fd.name == "/etc/shadow");
  CHECK(f.ev.fd.nameraw == "../../etc/../etc/shadow");
  CHECK(f.ev.fd.typechar == 'f');
  CHECK(f.ev.fd.name_changed);
  CHECK(f.ev.container.id == "host");
  // openat relative to a directory fd
  Record dir(EventType::kOpenat, 4, 100);
  dir.u64(0, 4).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "/var/log").u64(3, O_DIRECTORY);
  REQUIRE(f.build(dir));
  CHECK(f.ev.fd.typechar == 'd');
  Record rel(EventType::kOpenat, 5, 100);
  rel.u64(0, 5).u64(1, 4).str(2, "syslog").u64(3, O_WRONLY);
  REQUIRE(f.build(rel));
  CHECK(f.ev.fd.name == "/var/log/syslog");

  Record close(EventType::kClose, 0, 100);
  close.u64(0, 0).u64(1, 3);
  REQUIRE(f.build(close));
  CHECK(f.ev.fd.num == 3);
  CHECK(f.ev.fd.name == "/etc/shadow");
  CHECK(f.ev.fd.typechar == 'f');
  CHECK(f.procs.find(100)->fds.find(3) == nullptr);
}

TEST_CASE("connect carries the kernel socket tuple - later sendto and dup resolve it from the fd table") {
  Fixture f;
  Record sock(EventType::kSocket, 7, 100);
  sock.u64(0, 7).u64(1, AF_INET).u64(2, SOCK_STREAM).u64(3, 0);
  REQUIRE(f.build(sock));
  CHECK(f.ev.fd.typechar == '4');
  CHECK(f.ev.fd.sock.l4proto == IPPROTO_TCP);

  auto t = tcp_tuple("10.0.0.1", 40000, "93.184.216.34", 443);
  Record conn(EventType::kConnect, 0, 100);
  conn.u64(0, 0).raw(1, &t, sizeof(t)).u64(2, 7);
  REQUIRE(f.build(conn));
  CHECK(f.ev.params[1].str == "10.0.0.1:40000->93.184.216.34:443");
  CHECK(f.ev.fd.num == 7);
  CHECK(f.ev.fd.name == "10.0.0.1:40000->93.184.216.34:443");
  CHECK(f.ev.fd.typechar == '4');
  CHECK(f.ev.fd.sock.remote_port == 443);
  CHECK(f.ev.fd.sock.connected);

  Record dup(EventType::kDup2, 1, 100);
  dup.u64(0, 1).u64(1, 7).u64(2, 1);
  REQUIRE(f.build(dup));
  CHECK(f.ev.fd.num == 1);
  CHECK(f.ev.fd.name == "10.0.0.1:40000->93.184.216.34:443");

  Record send(EventType::kSendto, 5, 100);
  send.u64(0, 5).str(1, "hello").u64(2, 1).u64(3, 5);
  REQUIRE(f.build(send));
  CHECK(f.ev.params[1].str == "hello");
  CHECK(f.ev.payload == "hello");  // evt.buffer
  CHECK(f.ev.fd.typechar == '4');
  CHECK(f.ev.fd.sock.remote_port == 443);
}

TEST_CASE("accept renders the tuple client->server and remembers the new fd") {
  Fixture f;
  auto t = tcp_tuple("127.0.0.1", 8080, "127.0.0.1", 51000);
  Record acc(EventType::kAccept4, 9, 100);
  acc.u64(0, 9).raw(1, &t, sizeof(t)).u64(3, 0);
  REQUIRE(f.build(acc));
  CHECK(f.ev.fd.num == 9);
  CHECK(f.ev.fd.name == "127.0.0.1:51000->127.0.0.1:8080");
  CHECK(f.ev.fd.sock.is_server);
  REQUIRE(f.procs.find(100)->fds.find(9) != nullptr);
}

TEST_CASE("bind renders the raw sockaddr argument") {
  Fixture f;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(8443);
  inet_pton(AF_INET, "0.0.0.0", &sa.sin_addr);
  Record bind(EventType::kBind, 0, 100);
  bind.u64(0, 0).raw(1, &sa, sizeof(sa)).u64(2, 3);
  REQUIRE(f.build(bind));
  CHECK(f.ev.params[1].str == "0.0.0.0:8443");
}

TEST_CASE("chdir and fchdir move the cwd used by later relative opens") {
  Fixture f;
  Record cd(EventType::kChdir, 0, 100);
  cd.u64(0, 0).str(1, "../other/./x");
  REQUIRE(f.build(cd));
  CHECK(f.procs.find(100)->cwd == "/home/other/x");
  Record open(EventType::kOpen, 3, 100);
  open.u64(0, 3).str(1, "f.txt");
  REQUIRE(f.build(open));
  CHECK(f.ev.fd.name == "/home/other/x/f.txt");
}

TEST_CASE("procexit of the last thread marks the process exited - other threads do not") {
  Fixture f;
  Record thread_exit(EventType::kProcexit, 0, 100, 101);
  thread_exit.u64(0, 0);
  REQUIRE(f.build(thread_exit));
  CHECK_FALSE(f.procs.find(100)->exited);
  Record exit(EventType::kProcexit, 0, 100);
  exit.flags(PG_EVT_GROUP_DEAD).u64(0, 0);
  REQUIRE(f.build(exit));
  CHECK(f.ev.proc.comm == "tester");
  CHECK(f.procs.find(100)->exited);
}

TEST_CASE("malformed records are rejected and counted") {
  Fixture f;
  std::vector<uint8_t> tiny(10, 0);
  CHECK_FALSE(f.b->build(tiny, f.ev));
  Record r(EventType::kOpenat, 3, 100);
  r.str(2, "/x");
  auto bytes = r.bytes();
  bytes.pop_back();  // length no longer matches the header
  CHECK_FALSE(f.b->build(bytes, f.ev));
  Record bad(static_cast<EventType>(999), 0, 100);
  auto b2 = bad.bytes();
  CHECK_FALSE(f.b->build(b2, f.ev));
  CHECK(f.b->stats().malformed == 3);
}

TEST_CASE("absent parameters stay absent - unknown processes get header context only") {
  Fixture f;
  Record r(EventType::kOpenat, -13, 555);
  r.u64(0, static_cast<uint64_t>(-13));
  REQUIRE(f.build(r));
  CHECK(f.ev.params[0].present);
  CHECK_FALSE(f.ev.params[2].present);
  CHECK(f.ev.res == -13);
  CHECK(f.ev.proc.pid == 555);
  CHECK(f.ev.proc.exe == "tester");
  CHECK(f.ev.proc.ancestors.empty());
  CHECK(f.ev.container.id == "host");
}

TEST_CASE("a successful exec drops O_CLOEXEC fds from the table and keeps the others") {
  Fixture f;
  Record a(EventType::kOpenat, 3, 100);
  a.u64(0, 3).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "/etc/cloexec").u64(3, O_RDONLY | O_CLOEXEC);
  REQUIRE(f.build(a));
  Record b(EventType::kOpenat, 4, 100);
  b.u64(0, 4).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "/etc/kept").u64(3, O_RDONLY);
  REQUIRE(f.build(b));
  pg_exec_info x{};
  Record exec(EventType::kExecve, 0, 100);
  exec.u64(0, 0).str(2, std::string("sh\0", 3)).str(3, "/bin/sh").raw(PG_SLOT_EXEC_INFO, &x, sizeof(x));
  REQUIRE(f.build(exec));
  CHECK(f.procs.find(100)->fds.find(3) == nullptr);
  REQUIRE(f.procs.find(100)->fds.find(4) != nullptr);
  CHECK(f.procs.find(100)->fds.find(4)->name == "/etc/kept");
}

TEST_CASE("exec environment: kept per process and inherited - attached to events only when proc.env is needed") {
  Fixture f;
  pg_exec_info x{};
  // The kernel cut the blob at the room the record had: the last variable has no NUL and is left out.
  const std::string env("HOME=/root\0LD_PRELOAD=/tmp/evil.so\0\0PATH=/usr/bin\0TRUNCA", 55);
  auto exec_with_env = [&](uint32_t pid) {
    Record exec(EventType::kExecve, 0, pid);
    exec.ppid(100).u64(0, 0).str(2, std::string("sh\0", 3)).str(3, "/bin/sh").raw(PG_SLOT_EXEC_INFO, &x, sizeof(x))
        .str(4, env);
    return exec;
  };
  const std::vector<std::string> want{"HOME=/root", "LD_PRELOAD=/tmp/evil.so", "PATH=/usr/bin"};

  // Off (the default): the table keeps it, nothing travels.
  auto e1 = exec_with_env(300);
  REQUIRE(f.build(e1));
  CHECK_FALSE(f.ev.params[4].present);
  CHECK(f.ev.proc.env.empty());
  REQUIRE(f.procs.find(300) != nullptr);
  REQUIRE(f.procs.find(300)->env != nullptr);
  CHECK(*f.procs.find(300)->env == want);

  // On: the exec event renders env like args, and every later event of the process carries proc.env.
  f.b->set_proc_env(true);
  auto e2 = exec_with_env(301);
  REQUIRE(f.build(e2));
  CHECK(f.ev.params[4].str == "HOME=/root LD_PRELOAD=/tmp/evil.so PATH=/usr/bin");
  CHECK(f.ev.proc.env == want);
  Record fork(EventType::kClone, 0, 302);
  fork.ppid(301).u64(0, 0).u64(1, 0x11);
  REQUIRE(f.build(fork));
  CHECK(f.ev.proc.env == want);  // the child inherits it
  Record open(EventType::kOpenat, 3, 302);
  open.u64(0, 3).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "/etc/hosts").u64(3, O_RDONLY);
  REQUIRE(f.build(open));
  CHECK(f.ev.proc.env == want);

  // A process whose environment is unknown carries none, and neither does the reused event after it.
  Record other(EventType::kOpenat, 3, 100);
  other.u64(0, 3).u64(1, static_cast<uint64_t>(AT_FDCWD)).str(2, "/etc/hosts").u64(3, O_RDONLY);
  REQUIRE(f.build(other));
  CHECK(f.ev.proc.env.empty());
  f.b->set_proc_env(false);
  REQUIRE(f.build(open));
  CHECK(f.ev.proc.env.empty());
}
