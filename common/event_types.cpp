#include "common/event_types.h"

#include <unordered_map>

namespace peregrine {
namespace {

using K = ParamKind;
using T = EventType;

constexpr EventSpec make(T t, std::string_view n, std::initializer_list<ParamSpec> ps, bool sys = true) {
  EventSpec s{t, n, {}, 0, sys};
  for (const auto& p : ps) s.params[s.nparams++] = p;
  return s;
}

// Parameter names follow Falco's event table so that `evt.arg.NAME` in upstream rules resolves.
constexpr std::array<EventSpec, static_cast<size_t>(T::kCount)> kSpecs = {{
    make(T::kUnknown, "unknown", {}, false),
    make(T::kOpen, "open", {{"fd", K::kFd}, {"name", K::kPath}, {"flags", K::kOpenFlags}, {"mode", K::kMode}, {"dev", K::kUint}, {"ino", K::kUint}}),
    make(T::kOpenat, "openat", {{"fd", K::kFd}, {"dirfd", K::kFd}, {"name", K::kPath}, {"flags", K::kOpenFlags}, {"mode", K::kMode}, {"dev", K::kUint}, {"ino", K::kUint}}),
    make(T::kOpenat2, "openat2", {{"fd", K::kFd}, {"dirfd", K::kFd}, {"name", K::kPath}, {"flags", K::kOpenFlags}, {"mode", K::kMode}, {"resolve", K::kUint}, {"dev", K::kUint}, {"ino", K::kUint}}),
    make(T::kCreat, "creat", {{"fd", K::kFd}, {"name", K::kPath}, {"mode", K::kMode}, {"dev", K::kUint}, {"ino", K::kUint}}),
    make(T::kExecve, "execve", {{"res", K::kErrno}, {"exe", K::kStr}, {"args", K::kStr}, {"filename", K::kPath}, {"env", K::kStr}}),
    make(T::kExecveat, "execveat", {{"res", K::kErrno}, {"dirfd", K::kFd}, {"pathname", K::kPath}, {"flags", K::kUint}, {"exe", K::kStr}, {"args", K::kStr}, {"filename", K::kPath}, {"env", K::kStr}}),
    make(T::kClone, "clone", {{"res", K::kPid}, {"flags", K::kCloneFlags}}),
    make(T::kClone3, "clone3", {{"res", K::kPid}, {"flags", K::kCloneFlags}}),
    make(T::kFork, "fork", {{"res", K::kPid}}),
    make(T::kVfork, "vfork", {{"res", K::kPid}}),
    make(T::kProcexit, "procexit", {{"status", K::kInt}, {"ret", K::kInt}, {"sig", K::kInt}, {"core", K::kUint}, {"reaper_tid", K::kPid}}, false),
    make(T::kClose, "close", {{"res", K::kErrno}, {"fd", K::kFd}}),
    make(T::kDup, "dup", {{"res", K::kFd}, {"oldfd", K::kFd}}),
    make(T::kDup2, "dup2", {{"res", K::kFd}, {"oldfd", K::kFd}, {"newfd", K::kFd}}),
    make(T::kDup3, "dup3", {{"res", K::kFd}, {"oldfd", K::kFd}, {"newfd", K::kFd}, {"flags", K::kUint}}),
    make(T::kSocket, "socket", {{"fd", K::kFd}, {"domain", K::kSockDomain}, {"type", K::kSockType}, {"proto", K::kUint}}),
    make(T::kBind, "bind", {{"res", K::kErrno}, {"addr", K::kSockAddr}, {"fd", K::kFd}}),
    make(T::kConnect, "connect", {{"res", K::kErrno}, {"tuple", K::kSockAddr}, {"fd", K::kFd}}),
    make(T::kListen, "listen", {{"res", K::kErrno}, {"fd", K::kFd}, {"backlog", K::kInt}}),
    make(T::kAccept, "accept", {{"fd", K::kFd}, {"tuple", K::kSockAddr}, {"queuepct", K::kUint}}),
    make(T::kAccept4, "accept4", {{"fd", K::kFd}, {"tuple", K::kSockAddr}, {"queuepct", K::kUint}, {"flags", K::kUint}}),
    make(T::kGetsockopt, "getsockopt", {{"res", K::kErrno}, {"fd", K::kFd}, {"level", K::kInt}, {"optname", K::kInt}}),
    make(T::kSendto, "sendto", {{"res", K::kErrno}, {"data", K::kBytes}, {"fd", K::kFd}, {"size", K::kUint}, {"tuple", K::kSockAddr}}),
    make(T::kSendmsg, "sendmsg", {{"res", K::kErrno}, {"data", K::kBytes}, {"fd", K::kFd}, {"size", K::kUint}, {"tuple", K::kSockAddr}}),
    make(T::kRecvfrom, "recvfrom", {{"res", K::kErrno}, {"data", K::kBytes}, {"fd", K::kFd}, {"size", K::kUint}, {"tuple", K::kSockAddr}}),
    make(T::kRecvmsg, "recvmsg", {{"res", K::kErrno}, {"data", K::kBytes}, {"fd", K::kFd}, {"size", K::kUint}, {"tuple", K::kSockAddr}}),
    make(T::kSymlink, "symlink", {{"res", K::kErrno}, {"target", K::kPath}, {"linkpath", K::kPath}}),
    make(T::kSymlinkat, "symlinkat", {{"res", K::kErrno}, {"target", K::kPath}, {"linkdirfd", K::kFd}, {"linkpath", K::kPath}}),
    make(T::kLink, "link", {{"res", K::kErrno}, {"oldpath", K::kPath}, {"newpath", K::kPath}}),
    make(T::kLinkat, "linkat", {{"res", K::kErrno}, {"olddir", K::kFd}, {"oldpath", K::kPath}, {"newdir", K::kFd}, {"newpath", K::kPath}, {"flags", K::kUint}}),
    make(T::kUnlink, "unlink", {{"res", K::kErrno}, {"path", K::kPath}}),
    make(T::kUnlinkat, "unlinkat", {{"res", K::kErrno}, {"dirfd", K::kFd}, {"name", K::kPath}, {"flags", K::kUint}}),
    make(T::kRename, "rename", {{"res", K::kErrno}, {"oldpath", K::kPath}, {"newpath", K::kPath}}),
    make(T::kRenameat, "renameat", {{"res", K::kErrno}, {"olddirfd", K::kFd}, {"oldpath", K::kPath}, {"newdirfd", K::kFd}, {"newpath", K::kPath}}),
    make(T::kRenameat2, "renameat2", {{"res", K::kErrno}, {"olddirfd", K::kFd}, {"oldpath", K::kPath}, {"newdirfd", K::kFd}, {"newpath", K::kPath}, {"flags", K::kUint}}),
    make(T::kMkdir, "mkdir", {{"res", K::kErrno}, {"path", K::kPath}, {"mode", K::kMode}}),
    make(T::kMkdirat, "mkdirat", {{"res", K::kErrno}, {"dirfd", K::kFd}, {"path", K::kPath}, {"mode", K::kMode}}),
    make(T::kRmdir, "rmdir", {{"res", K::kErrno}, {"path", K::kPath}}),
    make(T::kChmod, "chmod", {{"res", K::kErrno}, {"filename", K::kPath}, {"mode", K::kMode}}),
    make(T::kFchmod, "fchmod", {{"res", K::kErrno}, {"fd", K::kFd}, {"mode", K::kMode}}),
    make(T::kFchmodat, "fchmodat", {{"res", K::kErrno}, {"dirfd", K::kFd}, {"filename", K::kPath}, {"mode", K::kMode}}),
    make(T::kPtrace, "ptrace", {{"res", K::kErrno}, {"request", K::kPtraceReq}, {"pid", K::kPid}, {"addr", K::kUint}, {"data", K::kUint}}),
    make(T::kSetuid, "setuid", {{"res", K::kErrno}, {"uid", K::kUid}}),
    make(T::kSetgid, "setgid", {{"res", K::kErrno}, {"gid", K::kGid}}),
    make(T::kSetresuid, "setresuid", {{"res", K::kErrno}, {"ruid", K::kUid}, {"euid", K::kUid}, {"suid", K::kUid}}),
    make(T::kSetresgid, "setresgid", {{"res", K::kErrno}, {"rgid", K::kGid}, {"egid", K::kGid}, {"sgid", K::kGid}}),
    make(T::kSetsid, "setsid", {{"res", K::kPid}}),
    make(T::kSetpgid, "setpgid", {{"res", K::kErrno}, {"pid", K::kPid}, {"pgid", K::kPid}}),
    make(T::kSetns, "setns", {{"res", K::kErrno}, {"fd", K::kFd}, {"nstype", K::kNsType}}),
    make(T::kUnshare, "unshare", {{"res", K::kErrno}, {"flags", K::kNsType}}),
    make(T::kUserfaultfd, "userfaultfd", {{"res", K::kFd}, {"flags", K::kUint}}),
    make(T::kBpf, "bpf", {{"fd", K::kFd}, {"cmd", K::kBpfCmd}}),
    make(T::kInitModule, "init_module", {{"res", K::kErrno}, {"length", K::kUint}, {"uargs", K::kStr}}),
    make(T::kFinitModule, "finit_module", {{"res", K::kErrno}, {"fd", K::kFd}, {"uargs", K::kStr}, {"flags", K::kUint}}),
    make(T::kChdir, "chdir", {{"res", K::kErrno}, {"path", K::kPath}}),
    make(T::kFchdir, "fchdir", {{"res", K::kErrno}, {"fd", K::kFd}}),
    make(T::kChroot, "chroot", {{"res", K::kErrno}, {"path", K::kPath}}),
    make(T::kPrctl, "prctl", {{"res", K::kErrno}, {"option", K::kInt}, {"arg2_str", K::kStr}, {"arg2_int", K::kInt}}),
    make(T::kCapset, "capset", {{"res", K::kErrno}, {"cap_inheritable", K::kUint}, {"cap_permitted", K::kUint}, {"cap_effective", K::kUint}}),
    make(T::kMemfdCreate, "memfd_create", {{"fd", K::kFd}, {"name", K::kStr}, {"flags", K::kUint}}),
    make(T::kK8sAudit, "k8s_audit", {}, false),
    make(T::kSensorDrops, "sensor_drops",
         {{"n_evts", K::kUint}, {"n_drops", K::kUint}, {"n_drops_buffer", K::kUint},
          {"n_drops_max_event_size", K::kUint}, {"n_drops_scratch_map", K::kUint}, {"n_drops_queue", K::kUint},
          {"interval_s", K::kUint}},
         false),
}};

}  // namespace

std::span<const EventSpec> event_specs() { return kSpecs; }

const EventSpec& event_spec(EventType t) {
  auto i = static_cast<size_t>(t);
  return i < kSpecs.size() ? kSpecs[i] : kSpecs[0];
}

std::optional<EventType> event_type_from_name(std::string_view name) {
  static const auto* by_name = [] {
    auto* m = new std::unordered_map<std::string_view, EventType>();
    for (const auto& s : kSpecs)
      if (s.type != T::kUnknown) m->emplace(s.name, s.type);
    return m;
  }();
  auto it = by_name->find(name);
  if (it == by_name->end()) return std::nullopt;
  return it->second;
}

int param_index(EventType t, std::string_view name) {
  const auto& s = event_spec(t);
  for (uint8_t i = 0; i < s.nparams; ++i)
    if (s.params[i].name == name) return i;
  return -1;
}

// Order of the table must match the enum: checked once here at compile time.
static_assert([] {
  for (size_t i = 0; i < kSpecs.size(); ++i)
    if (static_cast<size_t>(kSpecs[i].type) != i) return false;
  return true;
}());

}  // namespace peregrine
