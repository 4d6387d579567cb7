// Rendering parity with Falco: evt.arg.NAME, evt.arg[N], evt.args and %evt.arg in outputs, one row per parameter
// type and print format the sensor's events carry. Expected values are what libsinsp prints for the same
// syscall (sinsp_evt::get_param_as_str + the evt.arg/evt.args extractors, the exit-event table in libs
// driver/event_table.c, the name tables in driver/flags_table.c with their PPM_* values). The note on each row
// says which rule of Falco's rendering it pins down.
#include <doctest/doctest.h>

#include <initializer_list>
#include <set>
#include <variant>
#include <string>
#include <vector>

#include "engine/fields/registry.h"
#include "engine/rules/rule_engine.h"
#include "engine/filter/format.h"
#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

struct P {
  const char* name;
  int64_t num;
  const char* str = "";
};

struct Row {
  EventType type;
  std::initializer_list<P> params;
  const char* field;     // rendered through an output format "%<field>", as in a rule's output
  const char* expected;  // Falco's text
  const char* note;
};

// The acting process of make_open_event(): bash (pid 1234, tid 1235), cwd /root, uid 0 "root", parent sshd
// (1000), grandparent systemd (1); its fd 3 is the file /etc/shadow.
Event event_for(const Row& r) {
  Event e = make_open_event();
  e.type = r.type;
  e.params.assign(event_spec(e.type).nparams, Param{});
  for (const auto& p : r.params) {
    set_param(e, p.name, static_cast<uint64_t>(p.num), p.str);
    if (std::string_view(p.name) == "res") e.res = p.num;  // the sensor sets both
  }
  return e;
}

std::string render(const std::string& field, const Event& e) { return render_field(field, e); }

using T = EventType;
constexpr int64_t kCwd = -100;

const Row kRows[] = {
    // PT_FLAGS32 file_flags: PPM value in evt.args, names in Falco's table order.
    {T::kOpenat, {{"flags", 0}}, "evt.arg.flags", "O_RDONLY", "read-only open is PPM_O_RDONLY (1)"},
    {T::kOpenat, {{"flags", 01 | 0100 | 01000 | 02000000}}, "evt.arg.flags", "O_TRUNC|O_CREAT|O_WRONLY|O_CLOEXEC",
     "table order, not bit order"},
    {T::kOpenat, {{"flags", 02 | 02000}}, "evt.arg.flags", "O_APPEND|O_RDWR", "O_RDWR named once, after O_APPEND"},
    {T::kOpenat, {{"flags", 0200000 | 04000 | 02000000}}, "evt.arg.flags", "O_DIRECTORY|O_NONBLOCK|O_RDONLY|O_CLOEXEC|O_TMPFILE",
     "directory open as ls does it: the driver's `flags & O_TMPFILE` is true for O_DIRECTORY alone"},
    {T::kOpenat, {{"flags", 01 | 0400000}}, "evt.arg.flags", "O_WRONLY", "O_NOFOLLOW has no PPM value: dropped"},
    {T::kOpenat, {{"flags", 01 | 0100 | 01000 | 02000000}}, "evt.rawarg.flags", "524865",
     "evt.rawarg keeps the value the sensor sent"},
    {T::kOpenat2, {{"resolve", 0x08}}, "evt.arg.resolve", "RESOLVE_BENEATH", "openat2_flags with PPM bits"},
    // PT_UINT32 PF_OCT / PF_HEX.
    {T::kOpenat, {{"mode", 0644}}, "evt.arg.mode", "0644", "open mode: PF_OCT, no names"},
    {T::kOpenat, {{"mode", 0}}, "evt.arg.mode", "0", "%#o of 0"},
    {T::kCreat, {{"mode", 0755}}, "evt.arg.mode", "0755", "creat mode: PF_OCT"},
    {T::kOpenat, {{"dev", 0x803}}, "evt.arg.dev", "803", "PF_HEX: uppercase hex, no prefix"},
    {T::kMkdir, {{"mode", 0755}}, "evt.arg.mode", "1ED", "mkdir mode is PT_UINT32 PF_HEX"},
    {T::kMkdirat, {{"mode", 0700}}, "evt.arg.mode", "1C0", "mkdirat mode is PT_UINT32 PF_HEX"},
    // PT_MODE chmod_mode: octal number, S_I* names.
    {T::kChmod, {{"mode", 04755}}, "evt.arg.mode", "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID",
     "chmod u+s on a 0755 binary"},
    {T::kFchmod, {{"mode", 0400}}, "evt.arg.mode", "S_IRUSR", "a single matching entry ends the walk"},
    {T::kFchmodat, {{"mode", 02755}}, "evt.arg.mode", "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISGID",
     "setgid"},
    {T::kChmod, {{"mode", 0100644}}, "evt.arg.mode", "S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR", "file type bits are not modes"},
    {T::kChmod, {{"mode", 0}}, "evt.arg.mode", "0", "no name for 0: the number"},
    {T::kChmod, {{"mode", 04755}}, "evt.args", "res=NULL filename=NULL mode=04755(S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID) ",
     "raw(resolved), absent parameters as NULL, trailing blank"},
    // PT_FD.
    {T::kOpenat, {{"fd", 3}}, "evt.arg.fd", "<f>/etc/shadow", "fd resolved to <typechar>name"},
    {T::kOpenat, {{"dirfd", kCwd}}, "evt.arg.dirfd", "AT_FDCWD", "AT_FDCWD"},
    {T::kOpenat, {{"fd", -2}}, "evt.arg.fd", "ENOENT", "a negative fd is an errno"},
    {T::kOpenat, {{"fd", 7}}, "evt.arg.fd", "7", "an fd the engine has no name for: the number"},
    {T::kDup2, {{"res", 3}, {"oldfd", 1}}, "evt.arg.res", "<f>/etc/shadow", "dup2 res is PT_FD"},
    // PT_FSPATH / PT_FSRELPATH / PT_CHARBUF.
    {T::kOpenat, {{"dirfd", kCwd}, {"name", 0, "x/../y.txt"}}, "evt.arg.name", "/root/y.txt",
     "relative to cwd with AT_FDCWD, normalized"},
    {T::kOpenat, {{"dirfd", 5}, {"name", 0, "y.txt"}}, "evt.arg.name", "y.txt", "unknown dirfd: the raw path"},
    {T::kOpenat, {{"dirfd", kCwd}, {"name", 0, "/etc//shadow"}}, "evt.arg.name", "/etc/shadow", "absolute path normalized"},
    {T::kChmod, {{"filename", 0, "bin/tool"}}, "evt.arg.filename", "/root/bin/tool", "PT_FSPATH joins cwd"},
    {T::kSymlinkat, {{"target", 0, "../etc/passwd"}}, "evt.arg.target", "../etc/passwd", "symlink target: PT_CHARBUF"},
    {T::kSymlinkat, {{"linkdirfd", kCwd}, {"linkpath", 0, "l"}}, "evt.arg.linkpath", "/root/l", "linkpath: PT_FSRELPATH"},
    {T::kChdir, {{"path", 0, "sub"}}, "evt.arg.path", "sub", "chdir path: PT_CHARBUF"},
    {T::kChroot, {{"path", 0, "jail"}}, "evt.arg.path", "/root/jail", "chroot path: PT_FSPATH"},
    {T::kOpenat,
     {{"fd", 3}, {"dirfd", kCwd}, {"name", 0, "/etc/shadow"}, {"flags", 01 | 0100 | 01000 | 02000000},
      {"mode", 0644}, {"dev", 0x803}, {"ino", 1234}},
     "evt.args",
     "fd=3(<f>/etc/shadow) dirfd=-100(AT_FDCWD) name=/etc/shadow(/etc/shadow) "
     "flags=4358(O_TRUNC|O_CREAT|O_WRONLY|O_CLOEXEC) mode=0644 dev=803 ino=1234 ",
     "the whole openat exit event"},
    // PT_ERRNO.
    {T::kConnect, {{"res", -115}}, "evt.arg.res", "EINPROGRESS", "errno name"},
    {T::kConnect, {{"res", 0}}, "evt.arg.res", "0", "success: the number"},
    {T::kConnect, {{"res", -115}}, "evt.args", "res=-115(EINPROGRESS) tuple=NULL fd=NULL ", "raw(resolved)"},
    // PT_SOCKTUPLE / PT_SOCKADDR, PT_ENUMFLAGS32 socket_families, PT_UINT32 socket type.
    {T::kConnect, {{"tuple", 0, "10.0.0.5:40000->93.184.216.34:443"}}, "evt.arg.tuple",
     "10.0.0.5:40000->93.184.216.34:443", "tuple text"},
    {T::kBind, {{"addr", 0, "0.0.0.0:8080"}}, "evt.arg.addr", "0.0.0.0:8080", "sockaddr text"},
    {T::kSocket, {{"domain", 2}}, "evt.arg.domain", "AF_INET", "socket_families"},
    {T::kSocket, {{"domain", 1}}, "evt.arg.domain", "AF_LOCAL", "AF_LOCAL comes before AF_UNIX in Falco's table"},
    {T::kSocket, {{"domain", 16}}, "evt.arg.domain", "AF_ROUTE", "AF_ROUTE comes before AF_NETLINK"},
    {T::kSocket, {{"domain", 17}}, "evt.args", "fd=NULL domain=17(AF_PACKET) type=NULL proto=NULL ", "domain=N(AF_*)"},
    {T::kSocket, {{"type", 1 | 02000000}}, "evt.arg.type", "524289", "socket type is PT_UINT32: no names"},
    {T::kAccept4, {{"flags", 0x80800}}, "evt.arg.flags", "80800", "accept4 flags: PT_INT32 PF_HEX"},
    {T::kGetsockopt, {{"level", 1}, {"optname", 4}}, "evt.args",
     "res=NULL fd=NULL level=1(SOL_SOCKET) optname=4(SO_ERROR) ", "sockopt enums"},
    {T::kGetsockopt, {{"level", 6}}, "evt.arg.level", "SOL_TCP", "SOL_TCP is PPM 2"},
    {T::kSendto, {{"data", 0, "GET /\r\n"}, {"size", 7}}, "evt.args", "res=NULL data=GET /.. fd=NULL size=7 tuple=NULL ",
     "PT_BYTEBUF: non-printables as '.'"},
    // PT_FLAGS16 ptrace_requests (PPM numbering), PT_PID, PT_DYN PF_HEX.
    {T::kPtrace, {{"request", 16}}, "evt.args", "res=NULL request=11(PTRACE_ATTACH) pid=NULL addr=NULL data=NULL ",
     "PPM_PTRACE_ATTACH is 11"},
    {T::kPtrace, {{"request", 0x4206}}, "evt.arg.request", "PTRACE_SEIZE", "PTRACE_SEIZE"},
    {T::kPtrace, {{"request", 0}}, "evt.arg.request", "PTRACE_TRACEME", "PTRACE_TRACEME"},
    {T::kPtrace, {{"request", 12345}}, "evt.arg.request", "PTRACE_UNKNOWN", "unknown request"},
    {T::kPtrace, {{"pid", 1234}}, "evt.arg.pid", "bash", "PT_PID: comm of that process"},
    {T::kPtrace, {{"pid", 1}}, "evt.arg.pid", "systemd", "an ancestor's comm"},
    {T::kPtrace, {{"pid", 4242}}, "evt.arg.pid", "4242", "unknown process: the number"},
    {T::kPtrace, {{"addr", 0x7ffd1234}}, "evt.arg.addr", "7FFD1234", "PF_HEX"},
    // PT_FLAGS32 clone_flags (PPM bits).
    {T::kClone, {{"flags", 0x3d0f00}}, "evt.args",
     "res=NULL flags=41990659(CLONE_FILES|CLONE_FS|CLONE_PARENT_SETTID|CLONE_SIGHAND|CLONE_SYSVSEM|CLONE_THREAD|"
     "CLONE_VM|CLONE_CHILD_CLEARTID|CLONE_SETTLS) ",
     "pthread_create's clone"},
    {T::kClone, {{"flags", 0x11}}, "evt.arg.flags", "0", "fork: SIGCHLD only, no flag"},
    {T::kClone, {{"res", 4321}}, "evt.arg.res", "bash", "clone res: the child's comm"},
    {T::kUnshare, {{"flags", 0x10000000 | 0x20000}}, "evt.args", "res=NULL flags=1048608(CLONE_NEWNS|CLONE_NEWUSER) ",
     "unshare flags: clone_flags"},
    {T::kSetns, {{"nstype", 0x40000000}}, "evt.arg.nstype", "CLONE_NEWNET", "setns nstype: clone_flags"},
    // PT_UID / PT_GID.
    {T::kSetuid, {{"uid", 0}}, "evt.arg.uid", "root", "uid resolved to the user name"},
    {T::kSetuid, {{"uid", 1000}}, "evt.args", "res=NULL uid=1000(<NA>) ", "unknown user: <NA>"},
    {T::kSetuid, {{"uid", 0xffffffff}}, "evt.args", "res=NULL uid=-1(<NONE>) ", "-1: <NONE>"},
    {T::kSetuid, {{"res", -1}}, "evt.arg.res", "EPERM", "errno"},
    {T::kSetresgid, {{"egid", 0}}, "evt.arg.egid", "root", "gid resolved to the group name"},
    // execve: PT_BYTEBUF args/env (NUL-separated, shown with '.'), PT_FSPATH filename.
    {T::kExecve, {{"res", 0}, {"args", 0, "-c ls -la"}}, "evt.arg.args", "-c.ls -la.", "argv[1..] with NULs as '.'"},
    {T::kExecve, {{"res", 0}, {"env", 0, "x"}}, "evt.arg.env", "HOME=/root.PATH=/usr/bin:/bin.EMPTY=.", "env"},
    {T::kExecve, {{"filename", 0, "/usr/bin/../bin/bash"}}, "evt.arg.filename", "/usr/bin/bash", "filename: PT_FSPATH, normalized"},
    {T::kExecveat, {{"flags", 0x1000}}, "evt.arg[3]", "AT_EMPTY_PATH", "execveat_flags (PPM bits)"},
    // Other flag and enum tables.
    {T::kLinkat, {{"flags", 0x400}}, "evt.arg.flags", "AT_SYMLINK_FOLLOW", "linkat_flags"},
    {T::kUnlinkat, {{"flags", 0x200}}, "evt.arg.flags", "AT_REMOVEDIR", "unlinkat_flags"},
    {T::kUnlinkat, {{"flags", 0}}, "evt.arg.flags", "0", "no flag"},
    {T::kRenameat2, {{"flags", 1}}, "evt.arg.flags", "RENAME_NOREPLACE", "renameat2_flags"},
    {T::kRenameat, {{"olddirfd", 5}, {"oldpath", 0, "a"}}, "evt.arg.oldpath", "a", "unknown dirfd: raw"},
    {T::kDup3, {{"flags", 02000000}}, "evt.args", "res=NULL oldfd=NULL newfd=NULL flags=4096(O_CLOEXEC) ", "dup3"},
    {T::kDup3, {{"flags", 0}}, "evt.arg.flags", "O_NONE", "file_flags has a name for 0"},
    {T::kUserfaultfd, {{"res", -1}, {"flags", 04000}}, "evt.args", "res=-1(EPERM) flags=64(O_NONBLOCK) ",
     "userfaultfd: res PT_ERRNO, flags file_flags"},
    {T::kBpf, {{"cmd", 5}}, "evt.args", "fd=NULL cmd=5(BPF_PROG_LOAD) ", "bpf_commands"},
    {T::kMemfdCreate, {{"flags", 3}}, "evt.arg.flags", "MFD_CLOEXEC|MFD_ALLOW_SEALING", "memfd_create_flags"},
    {T::kFinitModule, {{"flags", 2}}, "evt.arg.flags", "MODULE_INIT_IGNORE_VERMAGIC", "finit_module_flags"},
    {T::kPrctl, {{"option", 15}}, "evt.arg.option", "PR_SET_NAME", "prctl_options"},
    {T::kCapset, {{"cap_effective", 0x3fffffffff}}, "evt.arg.cap_effective", "3FFFFFFFFF", "PT_UINT64 PF_HEX"},
    {T::kListen, {{"backlog", 128}}, "evt.arg.backlog", "128", "PT_INT32"},
    {T::kSetpgid, {{"res", 0}, {"pid", 1234}}, "evt.args", "res=0 pid=1234(bash) pgid=NULL ", "setpgid: PT_PID"},
    {T::kSetsid, {{"res", 1234}}, "evt.arg.res", "bash", "setsid res: PT_PID"},
    {T::kProcexit, {{"status", 9}, {"sig", 9}}, "evt.arg.sig", "SIGKILL", "PT_SIGTYPE"},
    {T::kProcexit, {{"ret", -2}}, "evt.arg.ret", "ENOENT", "procexit ret: PT_ERRNO"},
    {T::kInitModule, {{"length", 4096}, {"uargs", 0, "debug=1"}}, "evt.args", "res=NULL length=4096 uargs=debug=1 ",
     "init_module"},
    // Missing values.
    {T::kChmod, {}, "evt.arg.mode", "<NA>", "a parameter the sensor could not read"},
    {T::kConnect, {}, "evt.arg.mode", "<NA>", "a parameter this event does not have"},
};

}  // namespace

TEST_CASE("evt.arg, evt.args and %evt.arg render every parameter type as Falco does") {
  for (const Row& r : kRows) {
    const Event e = event_for(r);
    const std::string got = render(r.field, e);
    const std::string what = std::string(event_spec(r.type).name) + " " + r.field + " (" + r.note + ")";
    CHECK_MESSAGE(got == std::string(r.expected), what);
  }
}

// evt.arg keeps the last text of a flags/enum parameter and reuses it for the same number (engine/fields/evt.cpp):
// one compiled field over a run of events in one context, in an order that revisits numbers after other types,
// other numbers, execve's derived exe flags and an absent parameter, gives each event its own rendering.
TEST_CASE("one evt.arg.flags extractor reused across events renders each event as a fresh one does") {
  auto fmt = compile_output("%evt.arg.flags", builtin_fields());
  REQUIRE(fmt.ok());
  std::vector<Row> seq;
  for (const Row& r : kRows)
    if (std::string_view(r.field) == "evt.arg.flags") seq.push_back(r);
  REQUIRE(seq.size() > 8);
  Row exe{T::kExecve, {{"res", 0}}, "evt.arg.flags", "", "execve: derived exe flags"};
  Row absent{T::kOpenat, {}, "evt.arg.flags", "<NA>", "no flags parameter"};
  std::vector<Row> order;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Row& r : seq) {
      // Each row around execve (which writes another text into the slot), then the first open likewise.
      const Row* around[] = {&r, &exe, &r, &seq.front(), &exe, &seq.front()};
      for (const Row* x : around) order.push_back(*x);
    }
    order.push_back(absent);
    order.push_back(seq.front());
  }
  EvalContext ctx;
  std::string text;
  size_t compared = 0;
  for (const Row& r : order) {
    const Event e = event_for(r);
    ctx.reset(e);
    fmt.value().render(ctx, text, nullptr);
    const std::string fresh = render("evt.arg.flags", e);
    CHECK_MESSAGE(text == fresh, (std::string(event_spec(r.type).name) + " (" + r.note + ")"));
    if (*r.expected != 0) CHECK(fresh == std::string(r.expected));
    ++compared;
  }
  CHECK(compared == order.size());
}

TEST_CASE("the rendering table covers every parameter kind the sensor sends") {
  std::set<ParamKind> covered;
  for (const Row& r : kRows) {
    for (const auto& p : r.params) {
      const int i = param_index(r.type, p.name);
      REQUIRE_MESSAGE(i >= 0, event_spec(r.type).name << "." << p.name);
      covered.insert(event_spec(r.type).params[static_cast<size_t>(i)].kind);
    }
  }
  for (const auto& spec : event_specs()) {
    if (!spec.is_syscall) continue;
    for (size_t i = 0; i < spec.nparams; ++i) {
      CHECK_MESSAGE(covered.count(spec.params[i].kind) == 1, spec.name << "." << spec.params[i].name);
    }
  }
}

TEST_CASE("upstream's setuid-bit rule fires on chmod u+s, with Falco's text in the output") {
  RuleEngine eng;
  auto res = eng.load_string(R"(
- rule: Set Setuid or Setgid bit
  desc: as the incubating rule
  condition: evt.type in (chmod, fchmod, fchmodat) and (evt.arg.mode contains "S_ISUID" or evt.arg.mode contains "S_ISGID")
  output: Setuid or setgid bit is set via chmod (fd=%evt.arg.fd filename=%evt.arg.filename mode=%evt.arg.mode)
  priority: NOTICE
)",
                             "setuid.yaml");
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  Row r{T::kChmod, {{"res", 0}, {"filename", 0, "/tmp/copy"}, {"mode", 04755}}, "", "", ""};
  std::vector<Alert> alerts;
  eng.process(event_for(r), alerts);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].output.find("filename=/tmp/copy mode=S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID)") !=
        std::string::npos);
  CHECK(std::holds_alternative<std::monostate>(alerts[0].output_fields.at("evt.arg.fd")));  // chmod has no fd
  alerts.clear();
  Row plain{T::kChmod, {{"res", 0}, {"filename", 0, "/tmp/copy"}, {"mode", 0755}}, "", "", ""};
  eng.process(event_for(plain), alerts);
  CHECK(alerts.empty());
}
