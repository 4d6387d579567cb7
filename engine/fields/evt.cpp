// evt.* (and syscall.type): the event itself — type, number, time, return value and typed parameters.
#include <array>
#include <cstdio>
#include <ctime>

#include "common/flags.h"
#include "engine/fields/falco_params.h"
#include "engine/fields/simple.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

void ex_num(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.num); }
void ex_type(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_str(s, event_spec(e.type).name); }
void ex_syscall_type(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (event_spec(e.type).is_syscall) fields::set_str(s, event_spec(e.type).name);
}
void ex_dir(const Event&, const FieldArg&, ExtractSlot& s) { fields::set_str(s, "<"); }
void ex_cpu(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.cpu); }
void ex_source(const Event& e, const FieldArg&, ExtractSlot& s) {
  fields::set_str(s, e.source == EventSource::kK8sAudit ? "k8s_audit" : "syscall");
}
void ex_rawtime(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.ts_ns); }
void ex_rawtime_s(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.ts_ns / 1000000000ull); }
void ex_rawtime_ns(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_num(s, e.ts_ns % 1000000000ull); }

void format_time(uint64_t ns, const char* fmt, bool frac, ExtractSlot& s) {
  time_t secs = static_cast<time_t>(ns / 1000000000ull);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  s.buf.assign(buf, n);
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09llu", static_cast<unsigned long long>(ns % 1000000000ull));
    s.buf += f;
  }
  fields::set_buf(s);
}
// evt.time is text, as in libs: "HH:MM:SS.nnnnnnnnn" (UTC). evt.rawtime is the number.
void ex_time(const Event& e, const FieldArg&, ExtractSlot& s) { format_time(e.ts_ns, "%H:%M:%S", true, s); }
void ex_time_s(const Event& e, const FieldArg&, ExtractSlot& s) { format_time(e.ts_ns, "%H:%M:%S", false, s); }
void ex_time_iso(const Event& e, const FieldArg&, ExtractSlot& s) {
  format_time(e.ts_ns, "%Y-%m-%dT%H:%M:%S", true, s);
  s.buf += 'Z';
  fields::set_buf(s);
}
void ex_datetime(const Event& e, const FieldArg&, ExtractSlot& s) {
  format_time(e.ts_ns, "%Y-%m-%d %H:%M:%S", true, s);
}
void ex_datetime_s(const Event& e, const FieldArg&, ExtractSlot& s) {
  format_time(e.ts_ns, "%Y-%m-%d %H:%M:%S", false, s);
}

void ex_res(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!event_spec(e.type).is_syscall) return;
  fields::render_errno_result(e.res, s.buf);
  fields::set_buf(s);
}
void ex_rawres(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (event_spec(e.type).is_syscall) fields::set_int(s, e.res);
}
void ex_failed(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (event_spec(e.type).is_syscall) fields::set_bool(s, e.res < 0);
}
void ex_zero(const Event&, const FieldArg&, ExtractSlot& s) { fields::set_num(s, 0); }

// evt.args / evt.arg: Falco's renderings of the parameters (engine/fields/falco_params.h).
void ex_args(const Event& e, const FieldArg&, ExtractSlot& s) {
  std::string& raw = s.next_str();
  std::string& resolved = s.next_str();
  fields::falco_args_text(e, s.buf, raw, resolved);
  fields::set_buf(s);
}

// Falco's execve/execveat exit events carry `flags`: PPM_EXE_* facts about the executed file, rendered
// "EXE_WRITABLE|EXE_UPPER_LAYER" (upstream outputs print them as exe_flags=%evt.arg.flags). The sensor does not
// send that parameter; the same facts travel in the process context (proc.exe_writable, exe_upper_layer,
// exe_lower_layer, exe_from_memfd), so evt.arg.flags / evt.rawarg.flags on those events are derived from them. On execveat this
// shadows the syscall's AT_* flags (still evt.arg[3]) by name, as in Falco, where only the enter event has them.
constexpr int8_t kExeFlagsArg = -2;

bool names_exe_flags(EventType t, std::string_view name) {
  return (t == EventType::kExecve || t == EventType::kExecveat) && name == "flags";
}

// True when this evt.arg.NAME / evt.rawarg.NAME is the derived exe flags for the event's type.
bool is_exe_flags(const Event& e, const FieldArg& a) {
  size_t t = static_cast<size_t>(e.type);
  return a.index < 0 && t < a.param_index.size() && a.param_index[t] == kExeFlagsArg;
}

uint64_t exe_flags(const ProcessInfo& p) {
  return (p.exe_writable ? 1u : 0u) | (p.exe_upper_layer ? 2u : 0u) | (p.exe_from_memfd ? 4u : 0u) |
         (p.exe_lower_layer ? 8u : 0u);
}

// Index of the argument for this event: evt.arg[N] is positional, evt.arg.NAME resolved per type at compile time.
int arg_index(const Event& e, const FieldArg& a) {
  size_t t = static_cast<size_t>(e.type);
  int idx = a.index >= 0 ? static_cast<int>(a.index) : (t < a.param_index.size() ? a.param_index[t] : -1);
  if (idx < 0 || static_cast<size_t>(idx) >= e.params.size() || idx >= event_spec(e.type).nparams) return -1;
  return idx;
}

void ex_arg(const Event& e, const FieldArg& a, ExtractSlot& s) {
  if (is_exe_flags(e, a)) {
    s.text_key.writer = nullptr;  // buf no longer holds the reusable text
    flags::to_text(flags::Table::kExeFlags, exe_flags(e.proc), s.buf);
    fields::set_buf(s);
    return;
  }
  int idx = arg_index(e, a);
  if (idx < 0) return;
  const auto i = static_cast<size_t>(idx);
  // Flags and enum parameters render from their number alone; `evt.arg.flags contains O_CREAT` asks for the same
  // few values of every open, so the text already in buf is reused when it was rendered for the same number.
  const bool value_only = e.params[i].present && fields::falco_arg_value_only(e.type, i);
  ExtractSlot::TextKey& k = s.text_key;
  // s.owner is still the extractor that filled the slot last: when that is this one, buf holds its last text.
  if (value_only && s.owner == a.self && k.writer == &a && k.type == e.type && k.idx == i &&
      k.num == e.params[i].num) {
    fields::set_buf(s);
    return;
  }
  k.writer = nullptr;
  if (!fields::falco_arg_text(e, i, s.buf, s.next_str())) return;
  if (value_only) k = ExtractSlot::TextKey{&a, e.type, i, e.params[i].num};
  fields::set_buf(s);
}

bool is_numeric_kind(ParamKind k) {
  switch (k) {
    case ParamKind::kPath:
    case ParamKind::kStr:
    case ParamKind::kBytes:
    case ParamKind::kSockAddr:
      return false;
    default:
      return true;
  }
}

void ex_rawarg(const Event& e, const FieldArg& a, ExtractSlot& s) {
  if (is_exe_flags(e, a)) {
    fields::set_num(s, exe_flags(e.proc));
    return;
  }
  int idx = arg_index(e, a);
  if (idx < 0 || !e.params[idx].present) return;
  if (is_numeric_kind(event_spec(e.type).params[idx].kind)) {
    fields::set_num(s, e.params[idx].num);
  } else {
    fields::set_str(s, e.params[idx].str);
  }
}

// Fills the per-type parameter index for a named argument; the type is string for evt.arg, and for evt.rawarg
// numeric unless the name only ever denotes a string parameter.
Result<FieldType> resolve_named_arg(FieldArg& a, bool raw) {
  a.param_index.fill(-1);
  if (a.index >= 0) return raw ? FieldType::kInt64 : FieldType::kString;
  bool found = false, numeric = false;
  for (size_t t = 0; t < a.param_index.size(); ++t) {
    if (names_exe_flags(static_cast<EventType>(t), a.key)) {
      a.param_index[t] = kExeFlagsArg;
      found = numeric = true;
      continue;
    }
    int i = param_index(static_cast<EventType>(t), a.key);
    a.param_index[t] = static_cast<int8_t>(i);
    if (i >= 0) {
      found = true;
      numeric = numeric || is_numeric_kind(event_spec(static_cast<EventType>(t)).params[i].kind);
    }
  }
  if (!found) return make_error("no event has a parameter named '" + a.key + "'");
  if (!raw) return FieldType::kString;
  return numeric ? FieldType::kInt64 : FieldType::kString;
}
Result<FieldType> resolve_arg(FieldArg& a) { return resolve_named_arg(a, false); }
Result<FieldType> resolve_rawarg(FieldArg& a) { return resolve_named_arg(a, true); }

bool is_open_type(EventType t) {
  return t == EventType::kOpen || t == EventType::kOpenat || t == EventType::kOpenat2 || t == EventType::kCreat;
}
// Returns open flags (creat = O_CREAT|O_WRONLY|O_TRUNC) or -1 when not an open event.
// param_index(type, name) for every type, computed once: these run on every open event.
using ParamIndexTable = std::array<int8_t, static_cast<size_t>(EventType::kCount)>;
ParamIndexTable param_index_table(std::string_view name) {
  ParamIndexTable a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<int8_t>(param_index(static_cast<EventType>(i), name));
  return a;
}
int flags_param(EventType t) {
  static const ParamIndexTable table = param_index_table("flags");
  return static_cast<size_t>(t) < table.size() ? table[static_cast<size_t>(t)] : -1;
}
int mode_param(EventType t) {
  static const ParamIndexTable table = param_index_table("mode");
  return static_cast<size_t>(t) < table.size() ? table[static_cast<size_t>(t)] : -1;
}

int64_t open_flags(const Event& e) {
  if (!is_open_type(e.type)) return -1;
  if (e.type == EventType::kCreat) return 0100 | 01 | 01000;
  int i = flags_param(e.type);
  if (i < 0 || static_cast<size_t>(i) >= e.params.size() || !e.params[i].present) return -1;
  return static_cast<int64_t>(e.params[i].num);
}
void ex_open_read(const Event& e, const FieldArg&, ExtractSlot& s) {
  int64_t f = open_flags(e);
  if (f >= 0) fields::set_bool(s, (f & 3) == 0 || (f & 3) == 2);
}
void ex_open_write(const Event& e, const FieldArg&, ExtractSlot& s) {
  int64_t f = open_flags(e);
  if (f >= 0) fields::set_bool(s, (f & 3) == 1 || (f & 3) == 2);
}
void ex_open_exec(const Event& e, const FieldArg&, ExtractSlot& s) {
  int64_t f = open_flags(e);
  if (f < 0) return;
  int mi = mode_param(e.type);
  uint64_t mode = (mi >= 0 && static_cast<size_t>(mi) < e.params.size()) ? e.params[mi].num : 0;
  fields::set_bool(s, (f & (0100 | 020000000)) != 0 && (mode & 0111) != 0);
}

void ex_buffer(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.source == EventSource::kSyscall && !e.payload.empty()) fields::set_str(s, e.payload);
}
void ex_buflen(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.source == EventSource::kSyscall && !e.payload.empty()) fields::set_num(s, e.payload.size());
}

void ex_category(const Event& e, const FieldArg&, ExtractSlot& s) {
  using T = EventType;
  std::string_view c = "other";
  switch (e.type) {
    case T::kOpen: case T::kOpenat: case T::kOpenat2: case T::kCreat: case T::kClose: case T::kDup:
    case T::kDup2: case T::kDup3: case T::kSymlink: case T::kSymlinkat: case T::kLink: case T::kLinkat:
    case T::kUnlink: case T::kUnlinkat: case T::kRename: case T::kRenameat: case T::kRenameat2:
    case T::kMkdir: case T::kMkdirat: case T::kRmdir: case T::kChmod: case T::kFchmod: case T::kFchmodat:
    case T::kChdir: case T::kFchdir: case T::kChroot: case T::kMemfdCreate:
      c = "file"; break;
    case T::kSocket: case T::kBind: case T::kConnect: case T::kListen: case T::kAccept: case T::kAccept4:
    case T::kGetsockopt: case T::kSendto: case T::kSendmsg: case T::kRecvfrom: case T::kRecvmsg:
      c = "net"; break;
    case T::kExecve: case T::kExecveat: case T::kClone: case T::kClone3: case T::kFork: case T::kVfork:
    case T::kProcexit: case T::kPtrace: case T::kSetsid: case T::kSetpgid: case T::kPrctl: case T::kSetns:
    case T::kUnshare:
      c = "process"; break;
    case T::kSetuid: case T::kSetgid: case T::kSetresuid: case T::kSetresgid: case T::kCapset:
    case T::kBpf: case T::kInitModule: case T::kFinitModule: case T::kUserfaultfd:
      c = "system"; break;
    case T::kK8sAudit: c = "plugin"; break;
    default: break;
  }
  fields::set_str(s, c);
}

constexpr uint32_t kIdx = kFieldArgRequired | kFieldArgIndex;
constexpr FieldDef kDefs[] = {
    {"evt.num", FieldType::kUint64, 0, "event sequence number assigned by the sensor (starts at 1)", ex_num},
    {"evt.type", FieldType::kString, 0, "event name, e.g. 'open' or 'execve'", ex_type},
    {"syscall.type", FieldType::kString, 0, "system call name; absent for non-syscall events", ex_syscall_type},
    {"evt.dir", FieldType::kString, kFieldDeprecated,
     "event direction; always '<' because only exit events are delivered (deprecated)", ex_dir},
    {"evt.cpu", FieldType::kInt64, 0, "CPU the event happened on", ex_cpu},
    {"evt.source", FieldType::kString, 0, "event source: syscall or k8s_audit", ex_source},
    {"evt.category", FieldType::kString, 0, "event category: file, net, process, system, plugin or other",
     ex_category},
    {"evt.time", FieldType::kString, 0, "event time of day as HH:MM:SS.nnnnnnnnn (UTC)", ex_time},
    {"evt.time.s", FieldType::kString, 0, "event timestamp as HH:MM:SS (UTC)", ex_time_s},
    {"evt.time.iso8601", FieldType::kString, 0, "event timestamp as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", ex_time_iso},
    {"evt.datetime", FieldType::kString, 0, "event timestamp as YYYY-MM-DD HH:MM:SS.nnnnnnnnn (UTC)", ex_datetime},
    {"evt.datetime.s", FieldType::kString, 0, "event timestamp as YYYY-MM-DD HH:MM:SS (UTC)", ex_datetime_s},
    {"evt.rawtime", FieldType::kAbsTime, 0, "event timestamp, ns since the epoch", ex_rawtime},
    {"evt.rawtime.s", FieldType::kUint64, 0, "integer part of the event timestamp in seconds", ex_rawtime_s},
    {"evt.rawtime.ns", FieldType::kUint64, 0, "fractional part of the event timestamp in ns", ex_rawtime_ns},
    {"evt.res", FieldType::kString, 0, "return value as text: SUCCESS, or the errno name such as ENOENT", ex_res},
    {"evt.rawres", FieldType::kInt64, 0, "return value as a number", ex_rawres},
    {"evt.failed", FieldType::kBool, 0, "true if the syscall returned an error", ex_failed},
    {"evt.args", FieldType::kString, 0, "all event arguments as Falco prints them: 'name=raw(resolved) ' per argument", ex_args},
    {"evt.arg", FieldType::kString, kIdx | kFieldArgKey | kFieldDotSuffix | kFieldNoRhs,
     "one argument rendered as text: evt.arg.NAME by name or evt.arg[N] by position", ex_arg, resolve_arg},
    {"evt.rawarg", FieldType::kInt64, kIdx | kFieldArgKey | kFieldDotSuffix | kFieldNoRhs,
     "one argument with its raw type (number or string): evt.rawarg.NAME", ex_rawarg, resolve_rawarg},
    {"evt.is_open_read", FieldType::kBool, 0, "open/openat/openat2/creat opened the file for reading",
     ex_open_read},
    {"evt.is_open_write", FieldType::kBool, 0, "open/openat/openat2/creat opened the file for writing",
     ex_open_write},
    {"evt.is_open_exec", FieldType::kBool, 0, "open* created a file with execute permissions", ex_open_exec},
    {"evt.buffer", FieldType::kBytes, 0, "I/O data buffer of the event when captured (use bcontains/contains)",
     ex_buffer},
    {"evt.buflen", FieldType::kUint64, 0, "length of evt.buffer", ex_buflen},
    {"evt.latency", FieldType::kRelTime, kFieldDeprecated, "always 0: enter events are dropped (deprecated)",
     ex_zero},
    {"evt.wait_latency", FieldType::kRelTime, kFieldDeprecated,
     "always 0: enter events are dropped (deprecated)", ex_zero},
};

}  // namespace

void register_evt_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
