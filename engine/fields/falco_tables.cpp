// Falco's flag/enum tables and the Linux -> PPM conversions (see falco_tables.h). Names, order and PPM values
// follow libs driver/flags_table.c and driver/ppm_events_public.h; the conversions follow what Falco's drivers
// do with the raw syscall arguments (bits Falco has no PPM value for are dropped, as there).
#include "engine/fields/falco_tables.h"

#include <array>
#include <utility>

#include "common/flags.h"

namespace peregrine::engine::fields::falco {
namespace {

using NV = NameValue;

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

constexpr NV kFileFlags[] = {
    {"O_LARGEFILE", bit(11)}, {"O_DIRECTORY", bit(10)}, {"O_DIRECT", bit(9)}, {"O_TRUNC", bit(8)},
    {"O_SYNC", bit(7)},       {"O_NONBLOCK", bit(6)},   {"O_EXCL", bit(5)},   {"O_DSYNC", bit(4)},
    {"O_APPEND", bit(3)},     {"O_CREAT", bit(2)},      {"O_RDWR", 3},        {"O_WRONLY", bit(1)},
    {"O_RDONLY", bit(0)},     {"O_CLOEXEC", bit(12)},   {"O_NONE", 0},        {"O_TMPFILE", bit(13)},
    {"O_F_CREATED", bit(14)},
};

// Linux bit -> PPM bit pairs (access mode handled apart).
constexpr std::pair<uint64_t, uint64_t> kOpenBits[] = {
    {0100, bit(2)},     {02000, bit(3)},     {010000, bit(4)},   {0200, bit(5)},
    {04000, bit(6)},    {04000000, bit(7)},  {01000, bit(8)},    {040000, bit(9)},
    {0200000, bit(10)}, {0100000, bit(11)},  {02000000, bit(12)}, {020000000, bit(13)},
};

uint64_t open_to_ppm(uint64_t v) {
  constexpr uint64_t kAccPpm[] = {bit(0), bit(1), 3, 0};
  uint64_t r = kAccPpm[v & 3];
  for (const auto& [linux_bit, ppm] : kOpenBits) {
    if (v & linux_bit) r |= ppm;
  }
  if (v & 010000) r |= bit(7);  // O_SYNC includes O_DSYNC: a DSYNC open also tests true for O_SYNC there
  // Likewise O_TMPFILE includes O_DIRECTORY: Falco's driver tests `flags & O_TMPFILE`, so every directory open
  // carries PPM_O_TMPFILE too.
  if (v & 0200000) r |= bit(13);
  return r;
}

constexpr NV kCloneFlags[] = {
    {"CLONE_FILES", bit(0)},           {"CLONE_FS", bit(1)},           {"CLONE_IO", bit(2)},
    {"CLONE_NEWIPC", bit(3)},          {"CLONE_NEWNET", bit(4)},       {"CLONE_NEWNS", bit(5)},
    {"CLONE_NEWPID", bit(6)},          {"CLONE_NEWUTS", bit(7)},       {"CLONE_PARENT", bit(8)},
    {"CLONE_PARENT_SETTID", bit(9)},   {"CLONE_PTRACE", bit(10)},      {"CLONE_SIGHAND", bit(11)},
    {"CLONE_SYSVSEM", bit(12)},        {"CLONE_THREAD", bit(13)},      {"CLONE_UNTRACED", bit(14)},
    {"CLONE_VM", bit(15)},             {"CLONE_INVERTED", bit(16)},    {"NAME_CHANGED", bit(17)},
    {"CLOSED", bit(18)},               {"CLONE_NEWUSER", bit(20)},     {"CLONE_CHILD_CLEARTID", bit(23)},
    {"CLONE_CHILD_SETTID", bit(24)},   {"CLONE_SETTLS", bit(25)},      {"CLONE_STOPPED", bit(26)},
    {"CLONE_VFORK", bit(27)},          {"CLONE_NEWCGROUP", bit(28)},
};

constexpr std::pair<uint64_t, uint64_t> kCloneBits[] = {
    {0x400, bit(0)},      {0x200, bit(1)},       {0x80000000, bit(2)}, {0x08000000, bit(3)},
    {0x40000000, bit(4)}, {0x20000, bit(5)},     {0x20000000, bit(6)}, {0x04000000, bit(7)},
    {0x8000, bit(8)},     {0x100000, bit(9)},    {0x2000, bit(10)},    {0x800, bit(11)},
    {0x40000, bit(12)},   {0x10000, bit(13)},    {0x800000, bit(14)},  {0x100, bit(15)},
    {0x10000000, bit(20)}, {0x200000, bit(23)},  {0x1000000, bit(24)}, {0x80000, bit(25)},
    {0x4000, bit(27)},    {0x02000000, bit(28)},
};

template <size_t N>
uint64_t map_bits(const std::pair<uint64_t, uint64_t> (&pairs)[N], uint64_t v) {
  uint64_t r = 0;
  for (const auto& [from, to] : pairs) {
    if (v & from) r |= to;
  }
  return r;
}

uint64_t clone_to_ppm(uint64_t v) { return map_bits(kCloneBits, v); }
// dup3 and userfaultfd take only O_CLOEXEC / O_NONBLOCK; there is no access mode to add.
uint64_t cloexec_to_ppm(uint64_t v) { return ((v & 02000000) ? bit(12) : 0) | ((v & 04000) ? bit(6) : 0); }

// Linux request -> PPM_PTRACE_*; anything else is PPM_PTRACE_UNKNOWN.
constexpr std::pair<uint64_t, uint64_t> kPtraceMap[] = {
    {0, 1},       {1, 2},       {2, 3},       {3, 4},       {4, 5},       {5, 6},       {6, 7},
    {7, 8},       {8, 9},       {9, 10},      {16, 11},     {17, 12},     {24, 13},     {0x4200, 14},
    {0x4201, 15}, {0x4202, 16}, {0x4203, 17}, {0x4204, 18}, {0x4205, 19}, {0x4206, 20}, {0x4207, 21},
    {0x4208, 22}, {0x4209, 23}, {0x420a, 24}, {0x420b, 25}, {12, 26},     {13, 27},     {14, 28},
    {15, 29},     {18, 30},     {19, 31},     {21, 32},     {25, 33},     {26, 34},     {30, 35},
    {31, 36},     {32, 37},     {33, 38},
};

uint64_t ptrace_to_ppm(uint64_t v) {
  for (const auto& [from, to] : kPtraceMap) {
    if (from == v) return to;
  }
  return 0;
}

// Enum names come from the one table in common/flags.cpp (Linux values). Falco's own differences: AF_LOCAL and
// AF_ROUTE are listed before their aliases AF_UNIX and AF_NETLINK, families past AF_NFC (39) and AF_IB/AF_MPLS
// have no name there, and a request without a PPM number is PTRACE_UNKNOWN.
std::string_view socket_family(uint64_t v) {
  if (v == 1) return "AF_LOCAL";
  if (v == 16) return "AF_ROUTE";
  if (v > 39 || v == 27 || v == 28) return {};
  return flags::name_of(flags::Table::kSockDomain, v);
}
std::string_view ptrace_request(uint64_t v) {
  return ptrace_to_ppm(v) == 0 ? "PTRACE_UNKNOWN" : flags::name_of(flags::Table::kPtraceReq, v);
}
std::string_view bpf_command(uint64_t v) { return flags::name_of(flags::Table::kBpfCmd, v); }

constexpr NV kChmodMode[] = {
    {"S_IXOTH", 01},  {"S_IWOTH", 02},  {"S_IROTH", 04},   {"S_IXGRP", 010},   {"S_IWGRP", 020},   {"S_IRGRP", 040},
    {"S_IXUSR", 0100}, {"S_IWUSR", 0200}, {"S_IRUSR", 0400}, {"S_ISVTX", 01000}, {"S_ISGID", 02000}, {"S_ISUID", 04000},
};
uint64_t mode_to_ppm(uint64_t v) { return v & 07777; }  // permission bits; the file type is not a mode flag

constexpr NV kUnlinkat[] = {{"AT_REMOVEDIR", 0x200}};
constexpr NV kLinkat[] = {{"AT_SYMLINK_FOLLOW", 0x400}, {"AT_EMPTY_PATH", 0x1000}};
uint64_t linkat_to_ppm(uint64_t v) { return v & 0x1400; }
uint64_t unlinkat_to_ppm(uint64_t v) { return v & 0x200; }
constexpr NV kRenameat2[] = {{"RENAME_NOREPLACE", 1}, {"RENAME_EXCHANGE", 2}, {"RENAME_WHITEOUT", 4}};
uint64_t low3_to_ppm(uint64_t v) { return v & 7; }

constexpr NV kOpenat2[] = {
    {"RESOLVE_BENEATH", bit(0)},     {"RESOLVE_IN_ROOT", bit(1)}, {"RESOLVE_NO_MAGICLINKS", bit(2)},
    {"RESOLVE_NO_SYMLINKS", bit(3)}, {"RESOLVE_NO_XDEV", bit(4)}, {"RESOLVE_CACHED", bit(5)},
};
constexpr std::pair<uint64_t, uint64_t> kResolveBits[] = {{0x01, bit(4)}, {0x02, bit(2)}, {0x04, bit(3)},
                                                          {0x08, bit(0)}, {0x10, bit(1)}, {0x20, bit(5)}};
uint64_t resolve_to_ppm(uint64_t v) { return map_bits(kResolveBits, v); }

constexpr NV kExecveat[] = {{"AT_EMPTY_PATH", bit(0)}, {"AT_SYMLINK_NOFOLLOW", bit(1)}};
constexpr std::pair<uint64_t, uint64_t> kExecveatBits[] = {{0x1000, bit(0)}, {0x100, bit(1)}};
uint64_t execveat_to_ppm(uint64_t v) { return map_bits(kExecveatBits, v); }

constexpr NV kMemfd[] = {{"MFD_CLOEXEC", 1}, {"MFD_ALLOW_SEALING", 2}, {"MFD_HUGETLB", 4}};
constexpr NV kFinitModule[] = {{"MODULE_INIT_IGNORE_MODVERSIONS", 1},
                               {"MODULE_INIT_IGNORE_VERMAGIC", 2},
                               {"MODULE_INIT_COMPRESSED_FILE", 4}};

// PPM_PR_* carry the kernel's PR_* numbers.
constexpr NV kPrctl[] = {
    {"PR_GET_DUMPABLE", 3},         {"PR_SET_DUMPABLE", 4},         {"PR_GET_KEEPCAPS", 7},
    {"PR_SET_KEEPCAPS", 8},         {"PR_SET_NAME", 15},            {"PR_GET_NAME", 16},
    {"PR_GET_SECCOMP", 21},         {"PR_SET_SECCOMP", 22},         {"PR_CAPBSET_READ", 23},
    {"PR_CAPBSET_DROP", 24},        {"PR_GET_SECUREBITS", 27},      {"PR_SET_SECUREBITS", 28},
    {"PR_MCE_KILL", 33},            {"PR_SET_MM", 35},              {"PR_SET_CHILD_SUBREAPER", 36},
    {"PR_GET_CHILD_SUBREAPER", 37}, {"PR_SET_NO_NEW_PRIVS", 38},    {"PR_GET_NO_NEW_PRIVS", 39},
    {"PR_GET_TID_ADDRESS", 40},     {"PR_SET_THP_DISABLE", 41},     {"PR_GET_THP_DISABLE", 42},
    {"PR_CAP_AMBIENT", 47},
};

constexpr NV kSockoptLevels[] = {{"SOL_SOCKET", 1}, {"SOL_TCP", 2}, {"UNKNOWN", 0}};
uint64_t level_to_ppm(uint64_t v) { return v == 1 ? 1 : v == 6 ? 2 : 0; }

constexpr NV kSockoptOptions[] = {
    {"SO_COOKIE", 53},        {"SO_MEMINFO", 52},      {"SO_PEERGROUPS", 51},   {"SO_ATTACH_BPF", 50},
    {"SO_INCOMING_CPU", 49},  {"SO_BPF_EXTENSIONS", 48}, {"SO_MAX_PACING_RATE", 47}, {"SO_BUSY_POLL", 46},
    {"SO_SELECT_ERR_QUEUE", 45}, {"SO_LOCK_FILTER", 44}, {"SO_NOFCS", 43},     {"SO_PEEK_OFF", 42},
    {"SO_WIFI_STATUS", 41},   {"SO_RXQ_OVFL", 40},     {"SO_DOMAIN", 39},       {"SO_PROTOCOL", 38},
    {"SO_TIMESTAMPING", 37},  {"SO_MARK", 36},         {"SO_TIMESTAMPNS", 35},  {"SO_PASSSEC", 34},
    {"SO_PEERSEC", 31},       {"SO_ACCEPTCONN", 30},   {"SO_TIMESTAMP", 29},    {"SO_PEERNAME", 28},
    {"SO_DETACH_FILTER", 27}, {"SO_ATTACH_FILTER", 26}, {"SO_BINDTODEVICE", 25},
    {"SO_SECURITY_ENCRYPTION_NETWORK", 24}, {"SO_SECURITY_ENCRYPTION_TRANSPORT", 23},
    {"SO_SECURITY_AUTHENTICATION", 22}, {"SO_SNDTIMEO", 21}, {"SO_RCVTIMEO", 20}, {"SO_SNDLOWAT", 19},
    {"SO_RCVLOWAT", 18},      {"SO_PEERCRED", 17},     {"SO_PASSCRED", 16},     {"SO_REUSEPORT", 15},
    {"SO_BSDCOMPAT", 14},     {"SO_LINGER", 13},       {"SO_PRIORITY", 12},     {"SO_NO_CHECK", 11},
    {"SO_OOBINLINE", 10},     {"SO_KEEPALIVE", 9},     {"SO_RCVBUFFORCE", 33},  {"SO_SNDBUFFORCE", 32},
    {"SO_RCVBUF", 8},         {"SO_SNDBUF", 7},        {"SO_BROADCAST", 6},     {"SO_DONTROUTE", 5},
    {"SO_ERROR", 4},          {"SO_TYPE", 3},          {"SO_REUSEADDR", 2},     {"SO_DEBUG", 1},
    {"UNKNOWN", 0},
};
// x86_64 SO_* numbers equal the PPM ones up to SO_ATTACH_BPF (50); the three later options are renumbered.
uint64_t option_to_ppm(uint64_t v) {
  if (v <= 50) return v;
  return v == 59 ? 51 : v == 55 ? 52 : v == 57 ? 53 : 0;
}

uint64_t identity(uint64_t v) { return v; }

constexpr std::string_view kSignals[] = {
    "",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",  "SIGPWR",  "SIGSYS",
};

}  // namespace

const NameTable& table(Table t) {
  static const std::array<NameTable, 18> kTables = {{
      {{}, false, identity},
      {kFileFlags, false, open_to_ppm},
      {kFileFlags, false, cloexec_to_ppm},
      {kCloneFlags, false, clone_to_ppm},
      {{}, true, identity, socket_family},
      {{}, true, ptrace_to_ppm, ptrace_request},
      {kChmodMode, false, mode_to_ppm},
      {kUnlinkat, false, unlinkat_to_ppm},
      {kLinkat, false, linkat_to_ppm},
      {kRenameat2, false, low3_to_ppm},
      {kOpenat2, false, resolve_to_ppm},
      {kExecveat, false, execveat_to_ppm},
      {kMemfd, false, low3_to_ppm},
      {kFinitModule, false, low3_to_ppm},
      {{}, true, identity, bpf_command},
      {kPrctl, true, identity},
      {kSockoptLevels, true, level_to_ppm},
      {kSockoptOptions, true, option_to_ppm},
  }};
  return kTables[static_cast<size_t>(t)];
}

// libsinsp's walk (sinsp_evt::get_param_as_str, PT_FLAGS*/PT_MODE): entries in order; an entry whose value
// equals the whole value ends the walk and is printed; otherwise every entry whose bits are all still set is
// printed and its bits cleared. Zero-valued entries match only a zero value. PT_ENUMFLAGS*: the first entry
// equal to the value.
namespace {

void names_uncached(const NameTable& t, uint64_t linux_value, std::string& out) {
  out.clear();
  if (t.enum_name != nullptr) {
    out = t.enum_name(linux_value);
    return;
  }
  const uint64_t v = t.to_ppm(linux_value);
  auto add = [&out](std::string_view n) {
    if (!out.empty()) out += '|';
    out += n;
  };
  if (t.exact) {
    for (const auto& e : t.entries) {
      if (e.value == v) {
        add(e.name);
        return;
      }
    }
    return;
  }
  uint64_t left = v;
  for (const auto& e : t.entries) {
    if (e.value == v) {
      add(e.name);
      return;
    }
    if (e.value != 0 && left != 0 && (left & e.value) == e.value) {
      add(e.name);
      left &= ~e.value;
    }
  }
}

// A workload repeats few flag values (the open flags of a program's reads and writes), and a rule such as
// `evt.arg.flags contains O_TRUNC` renders them for every open. A small direct-mapped cache per thread (each
// evaluation worker has its own) turns the table walk into one compare and a copy; the tables are static, so
// their address is a stable key.
struct NameCacheEntry {
  const NameTable* table = nullptr;
  uint64_t value = 0;
  std::string text;
};
constexpr size_t kNameCacheBits = 8;

}  // namespace

void names(const NameTable& t, uint64_t linux_value, std::string& out) {
  thread_local std::array<NameCacheEntry, size_t{1} << kNameCacheBits> cache;
  const uint64_t key = (linux_value ^ reinterpret_cast<uintptr_t>(&t)) * 0x9E3779B97F4A7C15ull;
  NameCacheEntry& e = cache[key >> (64 - kNameCacheBits)];
  if (e.table == &t && e.value == linux_value) {
    out.assign(e.text);
    return;
  }
  names_uncached(t, linux_value, out);
  e.table = &t;
  e.value = linux_value;
  e.text.assign(out);
}

std::string_view signal_name(uint64_t sig) { return sig < std::size(kSignals) ? kSignals[sig] : std::string_view{}; }

}  // namespace peregrine::engine::fields::falco
