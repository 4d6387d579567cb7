// proc.*: the acting process and its ancestry (ancestors[0] is the parent).
#include "engine/fields/simple.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

void cmdline_into(std::string& out, std::string_view name, const std::vector<std::string>& args) {
  out.assign(name);
  for (const auto& a : args) {
    out += ' ';
    out += a;
  }
}
void args_into(std::string& out, const std::vector<std::string>& args) { fields::join_into(out, args, ' '); }

void ex_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.comm.empty()) fields::set_str(s, e.proc.comm);
}
void ex_exe(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.exe.empty()) fields::set_str(s, e.proc.exe);
}
void ex_exepath(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.exepath.empty()) fields::set_str(s, e.proc.exepath);
}
void ex_cwd(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.cwd.empty()) fields::set_str(s, e.proc.cwd);
}
void ex_args(const Event& e, const FieldArg&, ExtractSlot& s) {
  args_into(s.buf, e.proc.args);
  fields::set_buf(s);
}
void ex_cmdline(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.comm.empty()) return;
  cmdline_into(s.buf, e.proc.comm, e.proc.args);
  fields::set_buf(s);
}
void ex_exeline(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.exe.empty()) return;
  cmdline_into(s.buf, e.proc.exe, e.proc.args);
  fields::set_buf(s);
}
void ex_env(const Event& e, const FieldArg& a, ExtractSlot& s) {
  if (!a.has) {
    fields::join_into(s.buf, e.proc.env, ' ');
    fields::set_buf(s);
    return;
  }
  for (const auto& kv : e.proc.env) {
    if (kv.size() > a.key.size() && kv[a.key.size()] == '=' && kv.compare(0, a.key.size(), a.key) == 0) {
      fields::set_str(s, std::string_view(kv).substr(a.key.size() + 1));
      return;
    }
  }
}
void ex_pid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.pid); }
void ex_tid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.tid); }
void ex_ppid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.ppid); }
void ex_vpid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.vpid); }
void ex_sid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.sid); }
void ex_pgid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.pgid); }
void ex_vpgid(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.vpgid); }
void ex_tty(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_int(s, e.proc.tty); }
void ex_sname(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!e.proc.sname.empty()) fields::set_str(s, e.proc.sname);
}
void ex_is_vpgid_leader(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.vpgid != 0) fields::set_bool(s, e.proc.vpid == e.proc.vpgid);
}
void ex_is_sid_leader(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.sid != 0) fields::set_bool(s, e.proc.pid == e.proc.sid);
}
void ex_start_ts(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.start_ts) fields::set_num(s, e.proc.start_ts);
}
void ex_duration(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.start_ts && e.ts_ns >= e.proc.start_ts) fields::set_num(s, e.ts_ns - e.proc.start_ts);
}
void ex_exe_ino(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.exe_ino) fields::set_num(s, e.proc.exe_ino);
}
void ex_exe_ino_ctime(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.exe_ino_ctime) fields::set_num(s, e.proc.exe_ino_ctime);
}
void ex_exe_ino_mtime(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.exe_ino_mtime) fields::set_num(s, e.proc.exe_ino_mtime);
}
void ex_exe_ino_ctime_dur(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.proc.exe_ino_ctime && e.proc.start_ts >= e.proc.exe_ino_ctime)
    fields::set_num(s, e.proc.start_ts - e.proc.exe_ino_ctime);
}
void ex_memfd(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_bool(s, e.proc.exe_from_memfd); }
void ex_upper(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_bool(s, e.proc.exe_upper_layer); }
void ex_writable(const Event& e, const FieldArg&, ExtractSlot& s) { fields::set_bool(s, e.proc.exe_writable); }

// Parent fields.
const AncestorInfo* parent(const Event& e) { return e.proc.ancestors.empty() ? nullptr : &e.proc.ancestors[0]; }
void ex_pname(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (auto* p = parent(e); p && !p->comm.empty()) fields::set_str(s, p->comm);
}
void ex_pexe(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (auto* p = parent(e); p && !p->exe.empty()) fields::set_str(s, p->exe);
}
void ex_pexepath(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (auto* p = parent(e); p && !p->exepath.empty()) fields::set_str(s, p->exepath);
}
void ex_pcmdline(const Event& e, const FieldArg&, ExtractSlot& s) {
  auto* p = parent(e);
  if (!p || p->comm.empty()) return;
  cmdline_into(s.buf, p->comm, p->args);
  fields::set_buf(s);
}

// Ancestor fields: [0] is the process itself, [1] the parent, ...; without an argument the value is the list of
// all ancestors (parent first) and a check matches if any of them matches.
template <typename Get>
void ancestor(const Event& e, const FieldArg& a, ExtractSlot& s, Get get) {
  if (a.has) {
    if (a.index == 0) {
      std::string_view v = get(e.proc);
      if (!v.empty()) fields::set_str(s, v);
      return;
    }
    size_t i = static_cast<size_t>(a.index - 1);
    if (i < e.proc.ancestors.size()) {
      std::string_view v = get(e.proc.ancestors[i]);
      if (!v.empty()) fields::set_str(s, v);
    }
    return;
  }
  for (const auto& anc : e.proc.ancestors) {
    std::string_view v = get(anc);
    if (!v.empty()) s.views.push_back(v);
  }
  if (!s.views.empty()) fields::set_list(s);
}
void ex_aname(const Event& e, const FieldArg& a, ExtractSlot& s) {
  ancestor(e, a, s, [](const auto& p) { return std::string_view(p.comm); });
}
void ex_aexe(const Event& e, const FieldArg& a, ExtractSlot& s) {
  ancestor(e, a, s, [](const auto& p) { return std::string_view(p.exe); });
}
void ex_aexepath(const Event& e, const FieldArg& a, ExtractSlot& s) {
  ancestor(e, a, s, [](const auto& p) { return std::string_view(p.exepath); });
}
void ex_apid(const Event& e, const FieldArg& a, ExtractSlot& s) {
  if (!a.has) return;
  if (a.index == 0) {
    fields::set_int(s, e.proc.pid);
  } else if (static_cast<size_t>(a.index - 1) < e.proc.ancestors.size()) {
    fields::set_int(s, e.proc.ancestors[a.index - 1].pid);
  }
}

constexpr uint32_t kAnc = kFieldArgAllowed | kFieldArgIndex | kFieldAnyWithoutArg | kFieldNoRhs;
constexpr FieldDef kDefs[] = {
    {"proc.name", FieldType::kString, 0, "process name (comm, at most 16 chars)", ex_name},
    {"proc.exe", FieldType::kString, 0, "first command-line argument (argv[0])", ex_exe},
    {"proc.exepath", FieldType::kString, 0, "full path of the executable", ex_exepath},
    {"proc.cwd", FieldType::kString, 0, "current working directory", ex_cwd},
    {"proc.args", FieldType::kString, 0, "command-line arguments excluding argv[0], space separated", ex_args},
    {"proc.cmdline", FieldType::kString, 0, "process name followed by its arguments ('name arg1 arg2')",
     ex_cmdline},
    {"proc.exeline", FieldType::kString, 0, "argv[0] followed by the arguments", ex_exeline},
    {"proc.env", FieldType::kString, kFieldArgAllowed | kFieldArgKey,
     "environment as 'K=V K=V'; proc.env[VAR] gives the value of VAR", ex_env},
    {"proc.pid", FieldType::kInt64, 0, "process id", ex_pid},
    {"proc.tid", FieldType::kInt64, 0, "thread id of the acting thread", ex_tid},
    {"proc.ppid", FieldType::kInt64, 0, "parent process id", ex_ppid},
    {"proc.vpid", FieldType::kInt64, 0, "process id in its own pid namespace", ex_vpid},
    {"proc.sid", FieldType::kInt64, 0, "session id", ex_sid},
    {"proc.pgid", FieldType::kInt64, 0, "process group id", ex_pgid},
    {"proc.vpgid", FieldType::kInt64, 0, "process group id in the pid namespace", ex_vpgid},
    {"proc.tty", FieldType::kInt64, 0, "controlling terminal (0 = none)", ex_tty},
    {"proc.sname", FieldType::kString, 0, "name of the session leader", ex_sname},
    {"proc.is_vpgid_leader", FieldType::kBool, 0, "process is the leader of its (virtual) process group",
     ex_is_vpgid_leader},
    {"proc.is_sid_leader", FieldType::kBool, 0, "process is its session leader", ex_is_sid_leader},
    {"proc.start_ts", FieldType::kAbsTime, 0, "process start time (epoch ns)", ex_start_ts},
    {"proc.duration", FieldType::kRelTime, 0, "ns since the process started", ex_duration},
    {"proc.exe_ino", FieldType::kUint64, 0, "inode number of the executable", ex_exe_ino},
    {"proc.exe_ino.ctime", FieldType::kAbsTime, 0, "ctime of the executable inode (epoch ns)", ex_exe_ino_ctime},
    {"proc.exe_ino.mtime", FieldType::kAbsTime, 0, "mtime of the executable inode (epoch ns)", ex_exe_ino_mtime},
    {"proc.exe_ino.ctime_duration_proc_start", FieldType::kRelTime, 0,
     "ns between the executable's ctime and the process start", ex_exe_ino_ctime_dur},
    {"proc.is_exe_from_memfd", FieldType::kBool, 0, "executable is a memfd (fileless execution)", ex_memfd},
    {"proc.is_exe_upper_layer", FieldType::kBool, 0, "executable lives in an overlayfs upper layer", ex_upper},
    {"proc.is_exe_writable", FieldType::kBool, 0, "executable is writable by the process user", ex_writable},
    {"proc.pname", FieldType::kString, 0, "parent process name", ex_pname},
    {"proc.pexe", FieldType::kString, 0, "parent argv[0]", ex_pexe},
    {"proc.pexepath", FieldType::kString, 0, "parent executable path", ex_pexepath},
    {"proc.pcmdline", FieldType::kString, 0, "parent name followed by its arguments", ex_pcmdline},
    {"proc.aname", FieldType::kString, kAnc,
     "ancestor name: proc.aname[N] for level N (0 = self, 1 = parent); without argument, any ancestor", ex_aname},
    {"proc.aexe", FieldType::kString, kAnc, "ancestor argv[0]; [N] = level, no argument = any ancestor", ex_aexe},
    {"proc.aexepath", FieldType::kString, kAnc, "ancestor executable path; [N] = level, no argument = any",
     ex_aexepath},
    {"proc.apid", FieldType::kInt64, kFieldArgRequired | kFieldArgIndex, "ancestor pid; [N] = level", ex_apid},
};

}  // namespace

void register_proc_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
