// Text renderings of errno results, capability sets and IP addresses, following Falco's spelling. Syscall
// parameters (evt.arg, evt.args) are rendered by falco_params.cpp.
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

void join_into(std::string& out, const std::vector<std::string>& parts, char sep) {
  out.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
}

}  // namespace peregrine::engine::fields
