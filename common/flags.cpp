// Flag and enum tables (Linux x86_64 ABI values) with Falco-style names.
#include "common/flags.h"

#include <array>
#include <cstdio>
#include <span>

namespace peregrine::flags {
namespace {

struct Named {
  std::string_view name;
  uint64_t value;
};

// Bit tables are in rendering order; composite entries (O_SYNC includes O_DSYNC, O_TMPFILE includes
// O_DIRECTORY) come before their parts so that the parts are not printed twice.
constexpr Named kOpenBits[] = {
    {"O_CREAT", 0100},         {"O_EXCL", 0200},           {"O_NOCTTY", 0400},
    {"O_TRUNC", 01000},        {"O_APPEND", 02000},        {"O_NONBLOCK", 04000},
    {"O_SYNC", 04010000},      {"O_DSYNC", 010000},        {"O_ASYNC", 020000},
    {"O_DIRECT", 040000},      {"O_LARGEFILE", 0100000},   {"O_TMPFILE", 020200000},
    {"O_DIRECTORY", 0200000},  {"O_NOFOLLOW", 0400000},    {"O_NOATIME", 01000000},
    {"O_CLOEXEC", 02000000},   {"O_PATH", 010000000},
};
constexpr Named kOpenAccess[] = {{"O_RDONLY", 0}, {"O_WRONLY", 1}, {"O_RDWR", 2}};
constexpr uint64_t kAccMode = 3;

constexpr Named kSockDomains[] = {
    {"AF_UNSPEC", 0},     {"AF_UNIX", 1},       {"AF_INET", 2},     {"AF_AX25", 3},     {"AF_IPX", 4},
    {"AF_APPLETALK", 5},  {"AF_NETROM", 6},     {"AF_BRIDGE", 7},   {"AF_ATMPVC", 8},   {"AF_X25", 9},
    {"AF_INET6", 10},     {"AF_ROSE", 11},      {"AF_DECnet", 12},  {"AF_NETBEUI", 13}, {"AF_SECURITY", 14},
    {"AF_KEY", 15},       {"AF_NETLINK", 16},   {"AF_PACKET", 17},  {"AF_ASH", 18},     {"AF_ECONET", 19},
    {"AF_ATMSVC", 20},    {"AF_RDS", 21},       {"AF_SNA", 22},     {"AF_IRDA", 23},    {"AF_PPPOX", 24},
    {"AF_WANPIPE", 25},   {"AF_LLC", 26},       {"AF_IB", 27},      {"AF_MPLS", 28},    {"AF_CAN", 29},
    {"AF_TIPC", 30},      {"AF_BLUETOOTH", 31}, {"AF_IUCV", 32},    {"AF_RXRPC", 33},   {"AF_ISDN", 34},
    {"AF_PHONET", 35},    {"AF_IEEE802154", 36}, {"AF_CAIF", 37},   {"AF_ALG", 38},     {"AF_NFC", 39},
    {"AF_VSOCK", 40},     {"AF_KCM", 41},       {"AF_QIPCRTR", 42}, {"AF_SMC", 43},     {"AF_XDP", 44},
    {"AF_MCTP", 45},
};

constexpr Named kSockTypes[] = {{"SOCK_STREAM", 1}, {"SOCK_DGRAM", 2},     {"SOCK_RAW", 3},
                                {"SOCK_RDM", 4},    {"SOCK_SEQPACKET", 5}, {"SOCK_DCCP", 6},
                                {"SOCK_PACKET", 10}};
constexpr Named kSockTypeBits[] = {{"SOCK_NONBLOCK", 04000}, {"SOCK_CLOEXEC", 02000000}};
constexpr uint64_t kSockTypeMask = 0xf;

constexpr Named kPtraceReqs[] = {
    {"PTRACE_TRACEME", 0},         {"PTRACE_PEEKTEXT", 1},       {"PTRACE_PEEKDATA", 2},
    {"PTRACE_PEEKUSR", 3},         {"PTRACE_POKETEXT", 4},       {"PTRACE_POKEDATA", 5},
    {"PTRACE_POKEUSR", 6},         {"PTRACE_CONT", 7},           {"PTRACE_KILL", 8},
    {"PTRACE_SINGLESTEP", 9},      {"PTRACE_GETREGS", 12},       {"PTRACE_SETREGS", 13},
    {"PTRACE_GETFPREGS", 14},      {"PTRACE_SETFPREGS", 15},     {"PTRACE_ATTACH", 16},
    {"PTRACE_DETACH", 17},         {"PTRACE_GETFPXREGS", 18},    {"PTRACE_SETFPXREGS", 19},
    {"PTRACE_OLDSETOPTIONS", 21},  {"PTRACE_SYSCALL", 24},        {"PTRACE_GET_THREAD_AREA", 25},
    {"PTRACE_SET_THREAD_AREA", 26}, {"PTRACE_ARCH_PRCTL", 30},    {"PTRACE_SYSEMU", 31},
    {"PTRACE_SYSEMU_SINGLESTEP", 32}, {"PTRACE_SINGLEBLOCK", 33}, {"PTRACE_SETOPTIONS", 0x4200},
    {"PTRACE_GETEVENTMSG", 0x4201}, {"PTRACE_GETSIGINFO", 0x4202}, {"PTRACE_SETSIGINFO", 0x4203},
    {"PTRACE_GETREGSET", 0x4204},  {"PTRACE_SETREGSET", 0x4205}, {"PTRACE_SEIZE", 0x4206},
    {"PTRACE_INTERRUPT", 0x4207},  {"PTRACE_LISTEN", 0x4208},    {"PTRACE_PEEKSIGINFO", 0x4209},
    {"PTRACE_GETSIGMASK", 0x420a}, {"PTRACE_SETSIGMASK", 0x420b},
};

constexpr Named kCloneBits[] = {
    {"CLONE_VM", 0x100},              {"CLONE_FS", 0x200},              {"CLONE_FILES", 0x400},
    {"CLONE_SIGHAND", 0x800},         {"CLONE_PIDFD", 0x1000},          {"CLONE_PTRACE", 0x2000},
    {"CLONE_VFORK", 0x4000},          {"CLONE_PARENT", 0x8000},         {"CLONE_THREAD", 0x10000},
    {"CLONE_NEWNS", 0x20000},         {"CLONE_SYSVSEM", 0x40000},       {"CLONE_SETTLS", 0x80000},
    {"CLONE_PARENT_SETTID", 0x100000}, {"CLONE_CHILD_CLEARTID", 0x200000}, {"CLONE_DETACHED", 0x400000},
    {"CLONE_UNTRACED", 0x800000},     {"CLONE_CHILD_SETTID", 0x1000000}, {"CLONE_NEWCGROUP", 0x2000000},
    {"CLONE_NEWUTS", 0x4000000},      {"CLONE_NEWIPC", 0x8000000},      {"CLONE_NEWUSER", 0x10000000},
    {"CLONE_NEWPID", 0x20000000},     {"CLONE_NEWNET", 0x40000000},     {"CLONE_IO", 0x80000000},
};

constexpr Named kNsBits[] = {
    {"CLONE_NEWTIME", 0x80},        {"CLONE_FS", 0x200},            {"CLONE_FILES", 0x400},
    {"CLONE_NEWNS", 0x20000},       {"CLONE_SYSVSEM", 0x40000},     {"CLONE_NEWCGROUP", 0x2000000},
    {"CLONE_NEWUTS", 0x4000000},    {"CLONE_NEWIPC", 0x8000000},    {"CLONE_NEWUSER", 0x10000000},
    {"CLONE_NEWPID", 0x20000000},   {"CLONE_NEWNET", 0x40000000},
};

// Falco's execve/execveat exit parameter `flags` (PPM_EXE_*), in its rendering order.
constexpr Named kExeBits[] = {
    {"EXE_WRITABLE", 1u << 0}, {"EXE_UPPER_LAYER", 1u << 1}, {"EXE_FROM_MEMFD", 1u << 2},
    {"EXE_LOWER_LAYER", 1u << 3},
};

constexpr Named kBpfCmds[] = {
    {"BPF_MAP_CREATE", 0},          {"BPF_MAP_LOOKUP_ELEM", 1},      {"BPF_MAP_UPDATE_ELEM", 2},
    {"BPF_MAP_DELETE_ELEM", 3},     {"BPF_MAP_GET_NEXT_KEY", 4},     {"BPF_PROG_LOAD", 5},
    {"BPF_OBJ_PIN", 6},             {"BPF_OBJ_GET", 7},              {"BPF_PROG_ATTACH", 8},
    {"BPF_PROG_DETACH", 9},         {"BPF_PROG_TEST_RUN", 10},       {"BPF_PROG_GET_NEXT_ID", 11},
    {"BPF_MAP_GET_NEXT_ID", 12},    {"BPF_PROG_GET_FD_BY_ID", 13},   {"BPF_MAP_GET_FD_BY_ID", 14},
    {"BPF_OBJ_GET_INFO_BY_FD", 15}, {"BPF_PROG_QUERY", 16},          {"BPF_RAW_TRACEPOINT_OPEN", 17},
    {"BPF_BTF_LOAD", 18},           {"BPF_BTF_GET_FD_BY_ID", 19},    {"BPF_TASK_FD_QUERY", 20},
    {"BPF_MAP_LOOKUP_AND_DELETE_ELEM", 21}, {"BPF_MAP_FREEZE", 22},  {"BPF_BTF_GET_NEXT_ID", 23},
    {"BPF_MAP_LOOKUP_BATCH", 24},   {"BPF_MAP_LOOKUP_AND_DELETE_BATCH", 25}, {"BPF_MAP_UPDATE_BATCH", 26},
    {"BPF_MAP_DELETE_BATCH", 27},   {"BPF_LINK_CREATE", 28},         {"BPF_LINK_UPDATE", 29},
    {"BPF_LINK_GET_FD_BY_ID", 30},  {"BPF_LINK_GET_NEXT_ID", 31},    {"BPF_ENABLE_STATS", 32},
    {"BPF_ITER_CREATE", 33},        {"BPF_LINK_DETACH", 34},         {"BPF_PROG_BIND_MAP", 35},
};

constexpr Named kErrnos[] = {
    {"EPERM", 1},         {"ENOENT", 2},        {"ESRCH", 3},          {"EINTR", 4},        {"EIO", 5},
    {"ENXIO", 6},         {"E2BIG", 7},         {"ENOEXEC", 8},        {"EBADF", 9},        {"ECHILD", 10},
    {"EAGAIN", 11},       {"ENOMEM", 12},       {"EACCES", 13},        {"EFAULT", 14},      {"ENOTBLK", 15},
    {"EBUSY", 16},        {"EEXIST", 17},       {"EXDEV", 18},         {"ENODEV", 19},      {"ENOTDIR", 20},
    {"EISDIR", 21},       {"EINVAL", 22},       {"ENFILE", 23},        {"EMFILE", 24},      {"ENOTTY", 25},
    {"ETXTBSY", 26},      {"EFBIG", 27},        {"ENOSPC", 28},        {"ESPIPE", 29},      {"EROFS", 30},
    {"EMLINK", 31},       {"EPIPE", 32},        {"EDOM", 33},          {"ERANGE", 34},      {"EDEADLK", 35},
    {"ENAMETOOLONG", 36}, {"ENOLCK", 37},       {"ENOSYS", 38},        {"ENOTEMPTY", 39},   {"ELOOP", 40},
    {"ENOTSOCK", 88},     {"EDESTADDRREQ", 89}, {"EMSGSIZE", 90},      {"EPROTOTYPE", 91},  {"ENOPROTOOPT", 92},
    {"EPROTONOSUPPORT", 93}, {"EOPNOTSUPP", 95}, {"EAFNOSUPPORT", 97}, {"EADDRINUSE", 98},  {"EADDRNOTAVAIL", 99},
    {"ENETDOWN", 100},    {"ENETUNREACH", 101}, {"ECONNABORTED", 103}, {"ECONNRESET", 104}, {"ENOBUFS", 105},
    {"EISCONN", 106},     {"ENOTCONN", 107},    {"ETIMEDOUT", 110},    {"ECONNREFUSED", 111}, {"EHOSTDOWN", 112},
    {"EHOSTUNREACH", 113}, {"EALREADY", 114},   {"EINPROGRESS", 115},  {"ENOKEY", 126},     {"EOWNERDEAD", 130},
};

std::string hex(uint64_t v) {
  std::array<char, 24> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%llx", static_cast<unsigned long long>(v));
  return buf.data();
}

const Named* find_value(std::span<const Named> t, uint64_t v) {
  for (const auto& n : t)
    if (n.value == v) return &n;
  return nullptr;
}

const Named* find_name(std::span<const Named> t, std::string_view name) {
  for (const auto& n : t)
    if (n.name == name) return &n;
  return nullptr;
}

void append(std::string& out, std::string_view item) {
  if (!out.empty()) out += '|';
  out += item;
}

// Names every bit set in `v` that the table covers; leftovers as one hex item.
void render_bits(std::span<const Named> t, uint64_t v, std::string& out) {
  uint64_t left = v;
  for (const auto& n : t) {
    if ((v & n.value) == n.value && (left & n.value) != 0) {
      append(out, n.name);
      left &= ~n.value;
    }
  }
  if (left != 0) append(out, hex(left));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct TableView {
  std::span<const Named> values;  // names for whole values (enum tables / access modes / socket types)
  std::span<const Named> bits;    // names for OR-able bits
};

TableView view(Table t) {
  switch (t) {
    case Table::kOpenFlags: return {kOpenAccess, kOpenBits};
    case Table::kSockDomain: return {kSockDomains, {}};
    case Table::kSockType: return {kSockTypes, kSockTypeBits};
    case Table::kPtraceReq: return {kPtraceReqs, {}};
    case Table::kCloneFlags: return {{}, kCloneBits};
    case Table::kBpfCmd: return {kBpfCmds, {}};
    case Table::kNsType: return {{}, kNsBits};
    case Table::kExeFlags: return {{}, kExeBits};
  }
  return {};
}

}  // namespace

std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    if (v > (UINT64_MAX - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

std::optional<Table> table_for(ParamKind kind) {
  switch (kind) {
    case ParamKind::kOpenFlags: return Table::kOpenFlags;
    case ParamKind::kSockDomain: return Table::kSockDomain;
    case ParamKind::kSockType: return Table::kSockType;
    case ParamKind::kPtraceReq: return Table::kPtraceReq;
    case ParamKind::kCloneFlags: return Table::kCloneFlags;
    case ParamKind::kBpfCmd: return Table::kBpfCmd;
    case ParamKind::kNsType: return Table::kNsType;
    default: return std::nullopt;
  }
}

void to_text(Table table, uint64_t value, std::string& out) {
  out.clear();
  switch (table) {
    case Table::kOpenFlags: {
      const Named* acc = find_value(kOpenAccess, value & kAccMode);
      if (acc) append(out, acc->name);
      else append(out, hex(value & kAccMode));
      render_bits(kOpenBits, value & ~kAccMode, out);
      return;
    }
    case Table::kSockType: {
      const uint64_t base = value & kSockTypeMask;
      if (const Named* n = find_value(kSockTypes, base)) append(out, n->name);
      else if (base != 0) append(out, hex(base));
      render_bits(kSockTypeBits, value & ~kSockTypeMask, out);
      if (out.empty()) out = "0";
      return;
    }
    case Table::kCloneFlags:
    case Table::kNsType:
    case Table::kExeFlags:
      render_bits(view(table).bits, value, out);
      if (out.empty()) out = "0";
      return;
    default: {
      if (const Named* n = find_value(view(table).values, value)) out = n->name;
      else out = hex(value);
      return;
    }
  }
}

std::string_view name_of(Table table, uint64_t value) {
  const Named* n = find_value(view(table).values, value);
  return n ? n->name : std::string_view{};
}

std::string to_text(Table table, uint64_t value) {
  std::string out;
  to_text(table, value, out);
  return out;
}

Result<uint64_t> from_text(Table table, std::string_view text) {
  const TableView t = view(table);
  uint64_t v = 0;
  size_t items = 0;
  while (true) {
    const size_t bar = text.find('|');
    const std::string_view item = trim(text.substr(0, bar));
    if (item.empty()) return make_error("empty item in flags '" + std::string(text) + "'");
    ++items;
    if (const Named* n = find_name(t.values, item)) v |= n->value;
    else if (const Named* b = find_name(t.bits, item)) v |= b->value;
    else if (auto num = parse_number(item)) v |= *num;
    else return make_error("unknown name '" + std::string(item) + "'");
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  if (t.bits.empty() && items > 1) return make_error("'|' not allowed: this argument is a single value");
  return v;
}

std::string mode_to_text(uint64_t mode) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "0%llo", static_cast<unsigned long long>(mode));
  return mode == 0 ? std::string("0") : std::string(buf.data());
}

Result<uint64_t> mode_from_text(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    if (auto v = parse_number(text)) return *v;
  } else if (!text.empty()) {
    uint64_t v = 0;
    bool ok = true;
    for (char c : text) {
      if (c < '0' || c > '7' || v > (UINT64_MAX >> 3)) {
        ok = false;
        break;
      }
      v = v * 8 + static_cast<uint64_t>(c - '0');
    }
    if (ok) return v;
  }
  return make_error("invalid mode '" + std::string(text) + "': expected octal like \"0644\"");
}

std::string_view errno_name(int64_t res) {
  if (res >= 0) return {};
  const Named* n = find_value(kErrnos, static_cast<uint64_t>(-(res + 1)) + 1);
  return n ? n->name : std::string_view{};
}

}  // namespace peregrine::flags
