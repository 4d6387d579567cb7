// Falco's parameter renderings (see falco_params.h): one rendering spec per (event type, parameter), built once
// from the parameter kinds of common/event_types.cpp and corrected where Falco's event table prints a parameter
// differently from what its kind suggests (mkdir's mode in hex, chmod's mode with S_I* names, symlink targets
// and chdir paths never resolved, ...).
#include "engine/fields/falco_params.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "engine/fields/falco_tables.h"
#include "engine/fields/simple.h"

namespace peregrine::engine::fields {
namespace {

using falco::Table;
using T = EventType;

enum class Raw : uint8_t { kSigned, kUnsigned, kHex, kOct, kText, kDots, kArgv, kEnv, kId };
enum class Res : uint8_t { kNone, kErrno, kFd, kPath, kRelPath, kTable, kUid, kGid, kPid, kSignal };

struct Spec {
  Raw raw = Raw::kUnsigned;
  Res res = Res::kNone;
  Table table = Table::kNone;
  int8_t dirfd = -1;  // kRelPath: index of the dirfd parameter
};

Spec from_kind(ParamKind k) {
  switch (k) {
    case ParamKind::kInt: return {Raw::kSigned};
    case ParamKind::kFd: return {Raw::kSigned, Res::kFd};
    case ParamKind::kErrno: return {Raw::kSigned, Res::kErrno};
    case ParamKind::kPath: return {Raw::kText, Res::kPath};
    case ParamKind::kStr:
    case ParamKind::kSockAddr: return {Raw::kText};
    case ParamKind::kBytes: return {Raw::kDots};
    case ParamKind::kOpenFlags: return {Raw::kUnsigned, Res::kTable, Table::kFileFlags};
    case ParamKind::kMode: return {Raw::kOct};  // open/openat/openat2/creat: PT_UINT32 PF_OCT, no names
    case ParamKind::kSockDomain: return {Raw::kUnsigned, Res::kTable, Table::kSocketFamilies};
    case ParamKind::kPtraceReq: return {Raw::kUnsigned, Res::kTable, Table::kPtraceRequests};
    case ParamKind::kCloneFlags:
    case ParamKind::kNsType: return {Raw::kUnsigned, Res::kTable, Table::kCloneFlags};
    case ParamKind::kBpfCmd: return {Raw::kUnsigned, Res::kTable, Table::kBpfCommands};
    case ParamKind::kUid: return {Raw::kId, Res::kUid};
    case ParamKind::kGid: return {Raw::kId, Res::kGid};
    case ParamKind::kPid: return {Raw::kSigned, Res::kPid};
    default: return {Raw::kUnsigned};  // kUint, kSockType (PT_UINT32 PF_DEC: Falco prints the number)
  }
}

struct Override {
  T type;
  std::string_view name;
  Spec spec;
};

constexpr Spec kHex{Raw::kHex};
constexpr Spec kText{Raw::kText};
constexpr Spec kChmod{Raw::kOct, Res::kTable, Table::kChmodMode};
constexpr Spec rel(int8_t dirfd) { return {Raw::kText, Res::kRelPath, Table::kNone, dirfd}; }
constexpr Spec tab(Table t) { return {Raw::kUnsigned, Res::kTable, t}; }

// Where Falco's event table differs from the kind's default (libs driver/event_table.c, exit events).
constexpr Override kOverrides[] = {
    {T::kOpen, "dev", kHex},           {T::kOpenat, "dev", kHex},       {T::kOpenat2, "dev", kHex},
    {T::kCreat, "dev", kHex},          {T::kOpenat, "name", rel(1)},    {T::kOpenat2, "name", rel(1)},
    {T::kOpenat2, "resolve", tab(Table::kOpenat2Resolve)},
    {T::kExecve, "args", {Raw::kArgv}}, {T::kExecve, "env", {Raw::kEnv}},
    {T::kExecveat, "args", {Raw::kArgv}}, {T::kExecveat, "env", {Raw::kEnv}},
    {T::kExecveat, "pathname", rel(1)}, {T::kExecveat, "flags", tab(Table::kExecveatFlags)},
    {T::kProcexit, "status", {Raw::kSigned, Res::kErrno}}, {T::kProcexit, "ret", {Raw::kSigned, Res::kErrno}},
    {T::kProcexit, "sig", {Raw::kUnsigned, Res::kSignal}},
    {T::kDup3, "flags", tab(Table::kDupFlags)}, {T::kAccept4, "flags", kHex},
    {T::kGetsockopt, "level", tab(Table::kSockoptLevels)}, {T::kGetsockopt, "optname", tab(Table::kSockoptOptions)},
    {T::kSymlink, "target", kText},    {T::kSymlinkat, "target", kText}, {T::kSymlinkat, "linkpath", rel(2)},
    {T::kLinkat, "oldpath", rel(1)},   {T::kLinkat, "newpath", rel(3)}, {T::kLinkat, "flags", tab(Table::kLinkatFlags)},
    {T::kUnlinkat, "name", rel(1)},    {T::kUnlinkat, "flags", tab(Table::kUnlinkatFlags)},
    {T::kRenameat, "oldpath", rel(1)}, {T::kRenameat, "newpath", rel(3)},
    {T::kRenameat2, "oldpath", rel(1)}, {T::kRenameat2, "newpath", rel(3)},
    {T::kRenameat2, "flags", tab(Table::kRenameat2Flags)},
    {T::kMkdir, "mode", kHex},         {T::kMkdirat, "mode", kHex},     {T::kMkdirat, "path", rel(1)},
    {T::kChmod, "mode", kChmod},       {T::kFchmod, "mode", kChmod},    {T::kFchmodat, "mode", kChmod},
    {T::kFchmodat, "filename", rel(1)},
    {T::kPtrace, "addr", kHex},        {T::kPtrace, "data", kHex},      {T::kSetpgid, "res", {Raw::kSigned, Res::kPid}},
    {T::kUserfaultfd, "res", {Raw::kSigned, Res::kErrno}}, {T::kUserfaultfd, "flags", tab(Table::kDupFlags)},
    {T::kFinitModule, "flags", tab(Table::kFinitModuleFlags)}, {T::kChdir, "path", kText},
    {T::kPrctl, "option", tab(Table::kPrctlOptions)},
    {T::kCapset, "cap_inheritable", kHex}, {T::kCapset, "cap_permitted", kHex}, {T::kCapset, "cap_effective", kHex},
    {T::kMemfdCreate, "flags", tab(Table::kMemfdFlags)},
};

using SpecTable = std::array<std::array<Spec, kMaxParams>, static_cast<size_t>(T::kCount)>;

const SpecTable& specs() {
  static const SpecTable table = [] {
    SpecTable t{};
    for (const auto& es : event_specs()) {
      for (size_t i = 0; i < es.nparams; ++i) t[static_cast<size_t>(es.type)][i] = from_kind(es.params[i].kind);
    }
    for (const auto& o : kOverrides) {
      const int i = param_index(o.type, o.name);
      if (i >= 0) t[static_cast<size_t>(o.type)][static_cast<size_t>(i)] = o.spec;
    }
    return t;
  }();
  return table;
}

// Numbers as printf's %llu / %llX / %#llo / %lld would write them, without printf (this is on the evaluation
// path: evt.arg.* in conditions renders parameters).
void append_num(std::string& out, int base, uint64_t v) {
  char buf[32];
  char* p = buf;
  if (base == 8 && v != 0) *p++ = '0';  // %#o
  const auto r = std::to_chars(p, buf + sizeof buf, v, base);
  if (base == 16)
    for (char* c = p; c != r.ptr; ++c) *c = static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
  out.append(buf, r.ptr);
}

void append_signed(std::string& out, int64_t v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// PT_BYTEBUF in libsinsp's default format: every non-printable byte shows as '.'.
void append_dots(std::string& out, std::string_view s) {
  for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '.';
}

// argv[1..] / environment as the NUL-separated buffer Falco receives, printed with '.' for each NUL.
void append_nul_list(std::string& out, const std::vector<std::string>& items) {
  for (const auto& s : items) {
    append_dots(out, s);
    out += '.';
  }
}

// "<f>/etc/passwd", "<4t>10.0.0.1:5000->10.0.0.2:80" (libsinsp render_fd): type char, then for IP sockets the
// l4 protocol char. Only the event's own fd has a name here (the engine keeps no fd table); AT_FDCWD and
// errno names for negative values.
void resolve_fd(const Event& e, int64_t fd, std::string& out) {
  if (fd == -100) {
    out = "AT_FDCWD";
    return;
  }
  if (fd < 0) {
    out = errno_name(fd);
    return;
  }
  if (fd != e.fd.num || e.fd.typechar == 0) return;
  out += '<';
  out += e.fd.typechar;
  if (e.fd.typechar == '4' || e.fd.typechar == '6') {
    switch (e.fd.sock.l4proto) {
      case 6: out += 't'; break;
      case 17: out += 'u'; break;
      case 1: out += 'i'; break;
      case 255: out += 'r'; break;
      default: break;
    }
  }
  out += '>';
  out += e.fd.name;
}

void push_component(std::string_view c, std::string& out) {
  if (c.empty() || c == ".") return;
  if (c == "..") {
    const size_t slash = out.rfind('/');
    if (slash != std::string::npos) out.resize(slash);
    return;
  }
  out += '/';
  out += c;
}

void push_path(std::string_view s, std::string& out) {
  while (!s.empty()) {
    const size_t slash = s.find('/');
    push_component(s.substr(0, slash), out);
    if (slash == std::string_view::npos) break;
    s.remove_prefix(slash + 1);
  }
}

// sinsp_utils::concatenate_paths: an absolute path as is, a relative one after `base`, then "." and ".." and
// repeated '/' removed. No resolution without a base for a relative path.
void resolve_path(std::string_view base, std::string_view path, std::string& out) {
  if (path == "<NA>") return;
  const bool absolute = !path.empty() && path.front() == '/';
  if (!absolute && base.empty()) return;
  if (!absolute) push_path(base, out);
  push_path(path, out);
  if (out.empty()) out = "/";
}

bool is_clone(T t) { return t == T::kClone || t == T::kClone3 || t == T::kFork || t == T::kVfork; }

// PT_PID resolves to the comm of that thread in Falco's thread table. The engine knows the acting thread, the
// child of a clone (same comm right after the clone) and the ancestors the event carries.
void resolve_pid(const Event& e, size_t idx, int64_t pid, std::string& out) {
  const ProcessInfo& p = e.proc;
  if (pid <= 0) return;
  if ((is_clone(e.type) && idx == 0) || pid == p.tid || pid == p.pid) {
    out = p.comm;
    return;
  }
  for (const auto& a : p.ancestors) {
    if (a.pid == pid) {
      out = a.comm;
      return;
    }
  }
}

// PT_UID/PT_GID: the user (group) name, "<NA>" when unknown, "<NONE>" for -1.
void resolve_id(uint64_t v, uint32_t own, const std::string& own_name, std::string& out) {
  const auto id = static_cast<uint32_t>(v);
  if (id == UINT32_MAX) out = "<NONE>";
  else if (id == own && !own_name.empty()) out = own_name;
  else out = "<NA>";
}

void resolve(const Event& e, size_t idx, const Spec& s, uint64_t v, std::string& out) {
  switch (s.res) {
    case Res::kNone: return;
    case Res::kErrno:
      if (static_cast<int64_t>(v) < 0) out = errno_name(static_cast<int64_t>(v));
      return;
    case Res::kFd: resolve_fd(e, static_cast<int64_t>(v), out); return;
    case Res::kPath: resolve_path(e.proc.cwd, e.params[idx].str, out); return;
    case Res::kRelPath: {
      const std::string_view path = e.params[idx].str;
      const bool at_cwd = s.dirfd >= 0 && static_cast<size_t>(s.dirfd) < e.params.size() &&
                          static_cast<int64_t>(e.params[static_cast<size_t>(s.dirfd)].num) == -100;
      if (at_cwd || (!path.empty() && path.front() == '/')) resolve_path(e.proc.cwd, path, out);
      return;
    }
    case Res::kTable: falco::names(falco::table(s.table), e.params[idx].num, out); return;
    case Res::kUid: resolve_id(v, e.proc.uid, e.proc.user_name, out); return;
    case Res::kGid: resolve_id(v, e.proc.gid, e.proc.group_name, out); return;
    case Res::kPid: resolve_pid(e, idx, static_cast<int64_t>(v), out); return;
    case Res::kSignal: out = falco::signal_name(v); return;
  }
}

// The parameter as Falco prints it before resolution (numbers, text, argv lists).
void raw_text(const Event& e, const Param& p, const Spec& s, uint64_t v, std::string& raw) {
  switch (s.raw) {
    case Raw::kSigned: append_signed(raw, static_cast<int64_t>(p.num)); break;
    case Raw::kUnsigned: append_num(raw, 10, v); break;
    case Raw::kHex: append_num(raw, 16, v); break;
    case Raw::kOct: append_num(raw, 8, v); break;
    case Raw::kText: raw = p.str; break;
    case Raw::kDots: append_dots(raw, p.str); break;
    case Raw::kArgv:
      if (e.res == 0) append_nul_list(raw, e.proc.args);
      else append_dots(raw, p.str);
      if (raw.empty()) raw = "NULL";
      break;
    case Raw::kEnv:
      if (e.res == 0 && !e.proc.env.empty()) append_nul_list(raw, e.proc.env);
      else append_dots(raw, p.str);
      if (raw.empty()) raw = "NULL";
      break;
    case Raw::kId:
      if (static_cast<uint32_t>(p.num) == UINT32_MAX) raw = "-1";
      else append_signed(raw, static_cast<int32_t>(static_cast<uint32_t>(p.num)));
      break;
  }
}

uint64_t param_value(const Param& p, const Spec& s) {
  return s.res == Res::kTable ? falco::table(s.table).to_ppm(p.num) : p.num;
}

}  // namespace

void falco_param_texts(const Event& e, size_t idx, std::string& raw, std::string& resolved) {
  raw.clear();
  resolved.clear();
  const Param& p = e.params[idx];
  if (!p.present) {
    raw = "NULL";
    return;
  }
  const Spec& s = specs()[static_cast<size_t>(e.type)][idx];
  const uint64_t v = param_value(p, s);
  raw_text(e, p, s, v, raw);
  resolve(e, idx, s, v, resolved);
}

bool falco_arg_value_only(EventType t, size_t idx) {
  const auto ti = static_cast<size_t>(t);
  return ti < specs().size() && idx < specs()[ti].size() && specs()[ti][idx].res == Res::kTable;
}

bool falco_arg_text(const Event& e, size_t idx, std::string& out, std::string& scratch) {
  if (idx >= e.params.size() || !e.params[idx].present) return false;
  // The resolved form when there is one, else the raw one: the raw text is only built when it is the answer.
  (void)scratch;
  out.clear();
  const Param& p = e.params[idx];
  const Spec& s = specs()[static_cast<size_t>(e.type)][idx];
  const uint64_t v = param_value(p, s);
  resolve(e, idx, s, v, out);
  if (out.empty()) raw_text(e, p, s, v, out);
  return true;
}

void falco_args_text(const Event& e, std::string& out, std::string& raw, std::string& resolved) {
  out.clear();
  const EventSpec& spec = event_spec(e.type);
  for (size_t i = 0; i < spec.nparams && i < e.params.size(); ++i) {
    falco_param_texts(e, i, raw, resolved);
    out.append(spec.params[i].name).append("=").append(raw);
    if (!resolved.empty()) out.append("(").append(resolved).append(")");
    out += ' ';
  }
}

}  // namespace peregrine::engine::fields
