// The event-type table shared by sensor, codec and engine.
//
// Why a table: Falco's fields (`evt.type`, `evt.arg.NAME`, `evt.arg[N]`) are resolved against a per-event
// parameter schema. Keeping that schema in one place means the sensor fills parameters in the order the
// engine expects, the codec can validate counts, and `evt.arg.flags` resolves to an index at rule-compile time.
//
// Only exit-side semantics exist here (Falco rules see exit events only; see docs/architecture.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace peregrine {

/// How a parameter is typed and rendered as text (`evt.arg.NAME`).
enum class ParamKind : uint8_t {
  kInt = 0,      // signed integer
  kUint = 1,     // unsigned integer
  kFd = 2,       // file descriptor number (signed)
  kErrno = 3,    // syscall return value: rendered as errno name when negative
  kPath = 4,     // path string
  kStr = 5,      // other string
  kBytes = 6,    // raw buffer
  kOpenFlags = 7,  // open(2) flags, rendered symbolically (O_RDONLY|O_CREAT)
  kMode = 8,     // file mode, rendered in octal
  kSockDomain = 9,   // AF_* rendered symbolically
  kSockType = 10,    // SOCK_* rendered symbolically
  kPtraceReq = 11,   // PTRACE_* rendered symbolically
  kCloneFlags = 12,  // CLONE_* rendered symbolically
  kSockAddr = 13,    // string form of a socket address / tuple
  kUid = 14,
  kGid = 15,
  kPid = 16,
  kBpfCmd = 17,      // BPF_* command rendered symbolically
  kNsType = 18,      // CLONE_NEW* flags for setns/unshare
};

struct ParamSpec {
  std::string_view name;
  ParamKind kind;
};

/// Every event type Peregrine knows. Values are part of the wire format: append only, never renumber.
enum class EventType : uint16_t {
  kUnknown = 0,
  kOpen, kOpenat, kOpenat2, kCreat,
  kExecve, kExecveat,
  kClone, kClone3, kFork, kVfork,
  kProcexit,
  kClose, kDup, kDup2, kDup3,
  kSocket, kBind, kConnect, kListen, kAccept, kAccept4, kGetsockopt,
  kSendto, kSendmsg, kRecvfrom, kRecvmsg,
  kSymlink, kSymlinkat, kLink, kLinkat,
  kUnlink, kUnlinkat, kRename, kRenameat, kRenameat2,
  kMkdir, kMkdirat, kRmdir,
  kChmod, kFchmod, kFchmodat,
  kPtrace, kSetuid, kSetgid, kSetresuid, kSetresgid, kSetsid, kSetpgid,
  kSetns, kUnshare, kUserfaultfd, kBpf, kInitModule, kFinitModule,
  kChdir, kFchdir, kChroot, kPrctl, kCapset, kMemfdCreate,
  kK8sAudit,   // source k8s_audit: payload is the audit event JSON
  kSensorDrops,  // internal: the sensor's drop report for one interval (not evaluated by rules)
  kCount
};

inline constexpr size_t kMaxParams = 8;

struct EventSpec {
  EventType type;
  std::string_view name;          // Falco evt.type name
  std::array<ParamSpec, kMaxParams> params;
  uint8_t nparams;
  bool is_syscall;                // false for procexit and k8s_audit
};

/// The full table, indexed by static_cast<size_t>(EventType).
std::span<const EventSpec> event_specs();

/// Spec for a type; the kUnknown spec for out-of-range values.
const EventSpec& event_spec(EventType t);

/// Look up by Falco name ("openat"); nullopt if not known.
std::optional<EventType> event_type_from_name(std::string_view name);

/// Index of a named parameter of `t`, or -1.
int param_index(EventType t, std::string_view name);

}  // namespace peregrine
