#include "sensor/syscall_table.h"

#include <sys/syscall.h>

#include <array>

namespace peregrine::sensor {
namespace {

using T = EventType;

// One slot of a recipe: what to read and from which argument register(s).
struct S {
  uint8_t kind = PG_P_NONE;
  uint8_t arg = 0;
  uint8_t arg2 = 0;
};

constexpr S kRes{PG_P_RES};
constexpr S kNone{PG_P_NONE};
constexpr S arg(uint8_t i) { return S{PG_P_ARG, i}; }
constexpr S str(uint8_t i) { return S{PG_P_ARG_STR, i}; }
constexpr S sock_fd(uint8_t fd_arg, uint8_t addr_arg) { return S{PG_P_SOCK_ARG_FD, fd_arg, addr_arg}; }
constexpr S kSockRes{PG_P_SOCK_RES_FD};
// dev/ino of opened files (PG_P_FD_DEV / PG_P_FD_INO) cost two fd-table walks per open and no upstream rule
// reads them, so the open rows leave those slots absent.
constexpr S data(uint8_t i) { return S{PG_P_DATA, i}; }
constexpr S cap(uint8_t which) { return S{PG_P_CAP, which}; }

enum Flag : uint8_t {
  kPlain = 0,
  kOnlyFailure = PG_RF_ONLY_FAILURE,
  kToctou = PG_RF_TOCTOU,
  kNewFd = PG_RF_NEW_FD,  // user space remembers the fd it returns: the close filter must report its close
};

constexpr SyscallRow row(T t, int nr, pg_drop_category cat, bool state, uint8_t flags, std::initializer_list<S> slots) {
  SyscallRow r{t, nr, {}, state};
  for (const auto& s : slots) {
    r.recipe.kind[r.recipe.nparams] = s.kind;
    r.recipe.arg[r.recipe.nparams] = s.arg;
    r.recipe.arg2[r.recipe.nparams] = s.arg2;
    ++r.recipe.nparams;
  }
  r.recipe.category = static_cast<uint8_t>(cat);
  r.recipe.flags = flags;
  return r;
}

constexpr auto F = PG_CAT_FILE;
constexpr auto N = PG_CAT_NET;
constexpr auto P = PG_CAT_PROC;
constexpr auto C = PG_CAT_CLOSE;
constexpr auto O = PG_CAT_OTHER;

// Slot lists follow the EventSpec parameter order in common/event_types.cpp (checked by tests/sensor).
const std::array kRows = {
    row(T::kOpen, SYS_open, F, false, kToctou | kNewFd, {kRes, str(0), arg(1), arg(2), kNone, kNone}),
    row(T::kOpenat, SYS_openat, F, false, kToctou | kNewFd, {kRes, arg(0), str(1), arg(2), arg(3), kNone, kNone}),
    row(T::kOpenat2, SYS_openat2, F, false, kToctou | kNewFd,
        {kRes, arg(0), str(1), S{PG_P_USER_U64, 2}, kNone, kNone, kNone, kNone}),
    row(T::kCreat, SYS_creat, F, false, kToctou | kNewFd, {kRes, str(0), arg(1), kNone, kNone}),
    row(T::kExecve, SYS_execve, P, true, kOnlyFailure, {kRes, kNone, kNone, str(0), kNone}),
    row(T::kExecveat, SYS_execveat, P, true, kOnlyFailure, {kRes, arg(0), str(1), arg(4), kNone, kNone, kNone, kNone}),
    row(T::kClone, SYS_clone, P, true, kOnlyFailure, {kRes, arg(0)}),
    row(T::kClone3, SYS_clone3, P, true, kOnlyFailure, {kRes, S{PG_P_USER_U64, 0}}),
    row(T::kFork, SYS_fork, P, true, kOnlyFailure, {kRes}),
    row(T::kVfork, SYS_vfork, P, true, kOnlyFailure, {kRes}),
    row(T::kClose, SYS_close, C, true, kPlain, {kRes, arg(0)}),
    row(T::kDup, SYS_dup, C, true, kNewFd, {kRes, arg(0)}),
    row(T::kDup2, SYS_dup2, C, true, kNewFd, {kRes, arg(0), arg(1)}),
    row(T::kDup3, SYS_dup3, C, true, kNewFd, {kRes, arg(0), arg(1), arg(2)}),
    row(T::kSocket, SYS_socket, N, true, kNewFd, {kRes, arg(0), arg(1), arg(2)}),
    row(T::kBind, SYS_bind, N, true, kPlain, {kRes, S{PG_P_SOCKADDR, 1, 2}, arg(0)}),
    row(T::kConnect, SYS_connect, N, false, kPlain, {kRes, sock_fd(0, 1), arg(0)}),
    row(T::kListen, SYS_listen, N, false, kPlain, {kRes, arg(0), arg(1)}),
    row(T::kAccept, SYS_accept, N, false, kNewFd, {kRes, kSockRes, kNone}),
    row(T::kAccept4, SYS_accept4, N, false, kNewFd, {kRes, kSockRes, kNone, arg(3)}),
    row(T::kGetsockopt, SYS_getsockopt, N, true, kPlain, {kRes, arg(0), arg(1), arg(2)}),
    row(T::kSendto, SYS_sendto, N, false, kPlain, {kRes, data(1), arg(0), arg(2), sock_fd(0, 4)}),
    row(T::kSendmsg, SYS_sendmsg, N, false, kPlain, {kRes, kNone, arg(0), kNone, sock_fd(0, 0)}),
    row(T::kRecvfrom, SYS_recvfrom, N, false, kPlain, {kRes, data(1), arg(0), arg(2), sock_fd(0, 0)}),
    row(T::kRecvmsg, SYS_recvmsg, N, false, kPlain, {kRes, kNone, arg(0), kNone, sock_fd(0, 0)}),
    row(T::kSymlink, SYS_symlink, F, false, kPlain, {kRes, str(0), str(1)}),
    row(T::kSymlinkat, SYS_symlinkat, F, false, kPlain, {kRes, str(0), arg(1), str(2)}),
    row(T::kLink, SYS_link, F, false, kPlain, {kRes, str(0), str(1)}),
    row(T::kLinkat, SYS_linkat, F, false, kPlain, {kRes, arg(0), str(1), arg(2), str(3), arg(4)}),
    row(T::kUnlink, SYS_unlink, F, false, kPlain, {kRes, str(0)}),
    row(T::kUnlinkat, SYS_unlinkat, F, false, kPlain, {kRes, arg(0), str(1), arg(2)}),
    row(T::kRename, SYS_rename, F, false, kPlain, {kRes, str(0), str(1)}),
    row(T::kRenameat, SYS_renameat, F, false, kPlain, {kRes, arg(0), str(1), arg(2), str(3)}),
    row(T::kRenameat2, SYS_renameat2, F, false, kPlain, {kRes, arg(0), str(1), arg(2), str(3), arg(4)}),
    row(T::kMkdir, SYS_mkdir, F, false, kPlain, {kRes, str(0), arg(1)}),
    row(T::kMkdirat, SYS_mkdirat, F, false, kPlain, {kRes, arg(0), str(1), arg(2)}),
    row(T::kRmdir, SYS_rmdir, F, false, kPlain, {kRes, str(0)}),
    row(T::kChmod, SYS_chmod, F, false, kPlain, {kRes, str(0), arg(1)}),
    row(T::kFchmod, SYS_fchmod, F, false, kPlain, {kRes, arg(0), arg(1)}),
    row(T::kFchmodat, SYS_fchmodat, F, false, kPlain, {kRes, arg(0), str(1), arg(2)}),
    row(T::kPtrace, SYS_ptrace, O, false, kPlain, {kRes, arg(0), arg(1), arg(2), arg(3)}),
    row(T::kSetuid, SYS_setuid, P, true, kPlain, {kRes, arg(0)}),
    row(T::kSetgid, SYS_setgid, P, true, kPlain, {kRes, arg(0)}),
    row(T::kSetresuid, SYS_setresuid, P, true, kPlain, {kRes, arg(0), arg(1), arg(2)}),
    row(T::kSetresgid, SYS_setresgid, P, true, kPlain, {kRes, arg(0), arg(1), arg(2)}),
    row(T::kSetsid, SYS_setsid, P, true, kPlain, {kRes}),
    row(T::kSetpgid, SYS_setpgid, P, true, kPlain, {kRes, arg(0), arg(1)}),
    row(T::kSetns, SYS_setns, O, false, kPlain, {kRes, arg(0), arg(1)}),
    row(T::kUnshare, SYS_unshare, O, false, kPlain, {kRes, arg(0)}),
    row(T::kUserfaultfd, SYS_userfaultfd, O, false, kPlain, {kRes, arg(0)}),
    row(T::kBpf, SYS_bpf, O, false, kPlain, {kRes, arg(0)}),
    row(T::kInitModule, SYS_init_module, O, false, kPlain, {kRes, arg(1), str(2)}),
    row(T::kFinitModule, SYS_finit_module, O, false, kPlain, {kRes, arg(0), str(1), arg(2)}),
    row(T::kChdir, SYS_chdir, P, true, kPlain, {kRes, str(0)}),
    row(T::kFchdir, SYS_fchdir, P, true, kPlain, {kRes, arg(0)}),
    row(T::kChroot, SYS_chroot, P, true, kPlain, {kRes, str(0)}),
    row(T::kPrctl, SYS_prctl, P, true, kPlain, {kRes, arg(0), S{PG_P_PRCTL_STR, 1}, arg(1)}),
    row(T::kCapset, SYS_capset, P, true, kPlain, {kRes, cap(0), cap(1), cap(2)}),
    row(T::kMemfdCreate, SYS_memfd_create, F, true, kNewFd, {kRes, str(0), arg(1)}),
};

}  // namespace

std::span<const SyscallRow> syscall_rows() { return kRows; }

const SyscallRow* syscall_row(EventType t) {
  for (const auto& r : kRows)
    if (r.type == t) return &r;
  return nullptr;
}

std::vector<EventType> supported_event_types() {
  std::vector<EventType> out;
  for (const auto& r : kRows) out.push_back(r.type);
  out.push_back(EventType::kProcexit);
  return out;
}

bool is_state_type(EventType t) {
  if (t == EventType::kProcexit) return true;
  const auto* r = syscall_row(t);
  return r != nullptr && r->state;
}

}  // namespace peregrine::sensor
