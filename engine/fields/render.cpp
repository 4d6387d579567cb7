// Text renderings of typed syscall parameters (evt.arg.NAME), errno results and capability sets, following
// Falco's spelling. Kept here until common/ offers a shared flags table; values are Linux x86_64/aarch64 ABI.
#include <cstdio>

#include "engine/fields/simple.h"

namespace peregrine::engine::fields {
namespace {

constexpr std::string_view kErrno[] = {
    "",        "EPERM",   "ENOENT",  "ESRCH",   "EINTR",   "EIO",     "ENXIO",   "E2BIG",   "ENOEXEC",
    "EBADF",   "ECHILD",  "EAGAIN",  "ENOMEM",  "EACCES",  "EFAULT",  "ENOTBLK", "EBUSY",   "EEXIST",
    "EXDEV",   "ENODEV",  "ENOTDIR", "EISDIR",  "EINVAL",  "ENFILE",  "EMFILE",  "ENOTTY",  "ETXTBSY",
    "EFBIG",   "ENOSPC",  "ESPIPE",  "EROFS",   "EMLINK",  "EPIPE",   "EDOM",    "ERANGE",  "EDEADLK",
    "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "",       "ENOMSG",  "EIDRM",   "ECHRNG",
    "EL2NSYNC", "EL3HLT", "EL3RST",  "ELNRNG",  "EUNATCH", "ENOCSI",  "EL2HLT",  "EBADE",   "EBADR",
    "EXFULL",  "ENOANO",  "EBADRQC", "EBADSLT", "",        "EBFONT",  "ENOSTR",  "ENODATA", "ETIME",
    "ENOSR",   "ENONET",  "ENOPKG",  "EREMOTE", "ENOLINK", "EADV",    "ESRMNT",  "ECOMM",   "EPROTO",
    "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
    "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ",
    "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP",
    "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET",
    "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
    "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM",
    "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY",
    "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON"};

constexpr std::string_view kCaps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

struct FlagName {
  uint64_t bit;
  std::string_view name;
};

constexpr FlagName kOpenFlags[] = {
    {0100, "O_CREAT"},      {0200, "O_EXCL"},         {0400, "O_NOCTTY"},   {01000, "O_TRUNC"},
    {02000, "O_APPEND"},    {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},  {020000, "O_ASYNC"},
    {040000, "O_DIRECT"},   {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"}, {04000000, "O_SYNC"},    {010000000, "O_PATH"}, {020000000, "O_TMPFILE"},
    {0100000, "O_LARGEFILE"}};

constexpr FlagName kCloneFlags[] = {
    {0x100, "CLONE_VM"},           {0x200, "CLONE_FS"},          {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},      {0x1000, "CLONE_PIDFD"},      {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},       {0x8000, "CLONE_PARENT"},     {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},      {0x40000, "CLONE_SYSVSEM"},   {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"}, {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},  {0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},   {0x8000000, "CLONE_NEWIPC"},  {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},  {0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"}};

constexpr FlagName kNsFlags[] = {{0x80, "CLONE_NEWTIME"},       {0x20000, "CLONE_NEWNS"},
                                 {0x2000000, "CLONE_NEWCGROUP"}, {0x4000000, "CLONE_NEWUTS"},
                                 {0x8000000, "CLONE_NEWIPC"},    {0x10000000, "CLONE_NEWUSER"},
                                 {0x20000000, "CLONE_NEWPID"},   {0x40000000, "CLONE_NEWNET"}};

struct ValueName {
  uint64_t value;
  std::string_view name;
};

constexpr ValueName kDomains[] = {{0, "AF_UNSPEC"}, {1, "AF_UNIX"},    {2, "AF_INET"},    {4, "AF_IPX"},
                                  {5, "AF_APPLETALK"}, {10, "AF_INET6"}, {16, "AF_NETLINK"}, {17, "AF_PACKET"},
                                  {38, "AF_ALG"},  {40, "AF_VSOCK"},   {44, "AF_XDP"}};
constexpr ValueName kSockTypes[] = {{1, "SOCK_STREAM"}, {2, "SOCK_DGRAM"}, {3, "SOCK_RAW"},
                                    {4, "SOCK_RDM"},    {5, "SOCK_SEQPACKET"}, {6, "SOCK_DCCP"},
                                    {10, "SOCK_PACKET"}};
constexpr ValueName kPtrace[] = {
    {0, "PTRACE_TRACEME"},     {1, "PTRACE_PEEKTEXT"},   {2, "PTRACE_PEEKDATA"},   {3, "PTRACE_PEEKUSR"},
    {4, "PTRACE_POKETEXT"},    {5, "PTRACE_POKEDATA"},   {6, "PTRACE_POKEUSR"},    {7, "PTRACE_CONT"},
    {8, "PTRACE_KILL"},        {9, "PTRACE_SINGLESTEP"}, {12, "PTRACE_GETREGS"},   {13, "PTRACE_SETREGS"},
    {14, "PTRACE_GETFPREGS"},  {15, "PTRACE_SETFPREGS"}, {16, "PTRACE_ATTACH"},    {17, "PTRACE_DETACH"},
    {24, "PTRACE_SYSCALL"},    {0x4200, "PTRACE_SETOPTIONS"}, {0x4201, "PTRACE_GETEVENTMSG"},
    {0x4202, "PTRACE_GETSIGINFO"}, {0x4203, "PTRACE_SETSIGINFO"}, {0x4204, "PTRACE_GETREGSET"},
    {0x4205, "PTRACE_SETREGSET"}, {0x4206, "PTRACE_SEIZE"}, {0x4207, "PTRACE_INTERRUPT"},
    {0x4208, "PTRACE_LISTEN"}};
constexpr ValueName kBpfCmds[] = {
    {0, "BPF_MAP_CREATE"},  {1, "BPF_MAP_LOOKUP_ELEM"}, {2, "BPF_MAP_UPDATE_ELEM"}, {3, "BPF_MAP_DELETE_ELEM"},
    {4, "BPF_MAP_GET_NEXT_KEY"}, {5, "BPF_PROG_LOAD"}, {6, "BPF_OBJ_PIN"}, {7, "BPF_OBJ_GET"},
    {8, "BPF_PROG_ATTACH"}, {9, "BPF_PROG_DETACH"}, {10, "BPF_PROG_TEST_RUN"}, {11, "BPF_PROG_GET_NEXT_ID"},
    {12, "BPF_MAP_GET_NEXT_ID"}, {13, "BPF_PROG_GET_FD_BY_ID"}, {14, "BPF_MAP_GET_FD_BY_ID"},
    {15, "BPF_OBJ_GET_INFO_BY_FD"}, {16, "BPF_PROG_QUERY"}, {17, "BPF_RAW_TRACEPOINT_OPEN"},
    {18, "BPF_BTF_LOAD"}, {19, "BPF_BTF_GET_FD_BY_ID"}, {20, "BPF_TASK_FD_QUERY"},
    {28, "BPF_LINK_CREATE"}, {29, "BPF_LINK_UPDATE"}};

template <size_t N>
void render_flags(const FlagName (&table)[N], uint64_t v, std::string& out) {
  size_t start = out.size();
  for (const auto& f : table) {
    if ((v & f.bit) == f.bit) {
      if (out.size() != start) out += '|';
      out += f.name;
    }
  }
}

template <size_t N>
void render_enum(const ValueName (&table)[N], uint64_t v, std::string& out) {
  for (const auto& e : table) {
    if (e.value == v) {
      out += e.name;
      return;
    }
  }
  out += std::to_string(v);
}

}  // namespace

std::string_view errno_name(int64_t err) {
  if (err < 0) err = -err;
  if (err <= 0 || static_cast<size_t>(err) >= std::size(kErrno)) return {};
  return kErrno[err];
}

void render_errno_result(int64_t res, std::string& out) {
  out.clear();
  if (res >= 0) {
    out = "SUCCESS";
    return;
  }
  std::string_view n = errno_name(res);
  if (!n.empty()) {
    out = n;
  } else {
    out = std::to_string(res);
  }
}

void render_caps(uint64_t caps, std::string& out) {
  out.clear();
  for (size_t i = 0; i < std::size(kCaps); ++i) {
    if (caps & (uint64_t{1} << i)) {
      if (!out.empty()) out += ' ';
      out += kCaps[i];
    }
  }
}

std::string_view l4proto_name(uint8_t proto) {
  switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 255: return "raw";
    default: return {};
  }
}

void render_ip(const IpAddr& ip, std::string& out) {
  char buf[64];
  if (ip.family == 2) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip.bytes[0], ip.bytes[1], ip.bytes[2], ip.bytes[3]);
    out += buf;
    return;
  }
  // IPv6: full hex groups with "::" for the longest zero run (RFC 5952 style).
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && ip.bytes[2 * j] == 0 && ip.bytes[2 * j + 1] == 0) ++j;
    if (j - i > best_len && j - i > 1) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (i && !(best >= 0 && i == best + best_len)) out += ':';
    std::snprintf(buf, sizeof buf, "%x", (ip.bytes[2 * i] << 8) | ip.bytes[2 * i + 1]);
    out += buf;
  }
}

void render_param(ParamKind kind, const Param& p, std::string& out) {
  out.clear();
  if (!p.present) return;
  const int64_t sv = static_cast<int64_t>(p.num);
  switch (kind) {
    case ParamKind::kInt:
    case ParamKind::kFd:
    case ParamKind::kPid:
      out = std::to_string(sv);
      return;
    case ParamKind::kErrno:
      if (sv < 0) {
        std::string_view n = errno_name(sv);
        out = n.empty() ? std::to_string(sv) : std::string(n);
      } else {
        out = std::to_string(sv);
      }
      return;
    case ParamKind::kUint:
    case ParamKind::kUid:
    case ParamKind::kGid:
      out = std::to_string(p.num);
      return;
    case ParamKind::kPath:
    case ParamKind::kStr:
    case ParamKind::kBytes:
    case ParamKind::kSockAddr:
      out = p.str;
      return;
    case ParamKind::kOpenFlags: {
      uint64_t acc = p.num & 3;
      out = acc == 0 ? "O_RDONLY" : acc == 1 ? "O_WRONLY" : acc == 2 ? "O_RDWR" : "O_ACCMODE";
      std::string rest;
      render_flags(kOpenFlags, p.num, rest);
      if (!rest.empty()) out += "|" + rest;
      return;
    }
    case ParamKind::kMode: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(p.num));
      out = buf;
      return;
    }
    case ParamKind::kSockDomain:
      render_enum(kDomains, p.num, out);
      return;
    case ParamKind::kSockType: {
      render_enum(kSockTypes, p.num & 0xf, out);
      if (p.num & 04000) out += "|SOCK_NONBLOCK";
      if (p.num & 02000000) out += "|SOCK_CLOEXEC";
      return;
    }
    case ParamKind::kPtraceReq:
      render_enum(kPtrace, p.num, out);
      return;
    case ParamKind::kCloneFlags:
      render_flags(kCloneFlags, p.num, out);
      return;
    case ParamKind::kBpfCmd:
      render_enum(kBpfCmds, p.num, out);
      return;
    case ParamKind::kNsType:
      render_flags(kNsFlags, p.num, out);
      return;
  }
}

void join_into(std::string& out, const std::vector<std::string>& parts, char sep) {
  out.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
}

}  // namespace peregrine::engine::fields
