#include "sensor/event_builder.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sensor/container_id.h"
#include "sensor/fd_table.h"
#include "sensor/path_util.h"
#include "sensor/proc_fs.h"

namespace peregrine::sensor {
namespace {

using T = EventType;

bool is_numeric(ParamKind k) {
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

const Param* named(const Event& ev, std::string_view name) {
  int i = param_index(ev.type, name);
  if (i < 0 || static_cast<size_t>(i) >= ev.params.size() || !ev.params[static_cast<size_t>(i)].present)
    return nullptr;
  return &ev.params[static_cast<size_t>(i)];
}

void reset(Event& ev) {
  ev.fd.num = -1;
  ev.fd.typechar = 0;
  ev.fd.name_changed = false;
  ev.fd.name.clear();
  ev.fd.nameraw.clear();
  ev.fd.sock = SockInfo{};
  ev.payload.clear();
  ev.proc.env.clear();
}

// Raw sockaddr -> endpoint text ("ip:port" or the unix path); fills family/ip/port of one side.
std::string render_raw_sockaddr(std::span<const uint8_t> s, uint8_t& family, std::array<uint8_t, 16>& ip,
                                uint16_t& port) {
  if (s.size() < sizeof(sa_family_t)) return {};
  sa_family_t fam = 0;
  std::memcpy(&fam, s.data(), sizeof(fam));
  family = static_cast<uint8_t>(fam);
  if (fam == AF_INET && s.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, s.data(), sizeof(in));
    std::memcpy(ip.data(), &in.sin_addr, 4);
    port = ntohs(in.sin_port);
    return format_ip(AF_INET, ip) + ":" + std::to_string(port);
  }
  if (fam == AF_INET6 && s.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, s.data(), sizeof(in6));
    std::memcpy(ip.data(), &in6.sin6_addr, 16);
    port = ntohs(in6.sin6_port);
    return format_ip(AF_INET6, ip) + ":" + std::to_string(port);
  }
  if (fam == AF_UNIX) {
    auto path = s.subspan(sizeof(sa_family_t));
    size_t n = 0;
    while (n < path.size() && path[n] != 0) ++n;
    if (n == 0 && path.size() > 1) {  // abstract socket: "@name"
      size_t m = 1;
      while (m < path.size() && path[m] != 0) ++m;
      std::string out(1, '@');  // built by append: g++ 12 -O3 warns (-Wrestrict) on "@" + std::string
      out.append(reinterpret_cast<const char*>(path.data()) + 1, m - 1);
      return out;
    }
    return std::string(reinterpret_cast<const char*>(path.data()), n);
  }
  return {};
}

}  // namespace

std::string render_sock_slot(std::span<const uint8_t> s, bool accepted, SockInfo* sock) {
  SockInfo local;
  SockInfo& si = sock != nullptr ? *sock : local;
  if (s.size() < sizeof(pg_sock_tuple)) return {};
  pg_sock_tuple t{};
  std::memcpy(&t, s.data(), sizeof(t));
  si.family = static_cast<uint8_t>(t.family);
  si.l4proto = t.l4proto == IPPROTO_RAW ? 255 : t.l4proto;
  si.connected = t.connected != 0;
  si.local_port = t.lport;
  si.remote_port = t.rport;
  std::memcpy(si.local_ip.data(), t.laddr, 16);
  std::memcpy(si.remote_ip.data(), t.raddr, 16);
  si.is_server = accepted;
  auto raw = s.subspan(sizeof(pg_sock_tuple));
  if (si.family == AF_UNIX) {
    uint8_t fam = 0;
    std::array<uint8_t, 16> ip{};
    uint16_t port = 0;
    return render_raw_sockaddr(raw, fam, ip, port);
  }
  if (!si.connected && !raw.empty()) {  // unconnected datagram: the destination comes from the call
    uint8_t fam = 0;
    render_raw_sockaddr(raw, fam, si.remote_ip, si.remote_port);
  }
  return format_tuple(si, !accepted);
}

EventBuilder::EventBuilder(BuilderOptions opts, ProcTable& procs, UserDb& users, ContainerMetadata* containers,
                           uint64_t boot_epoch_ns)
    : opts_(std::move(opts)), procs_(procs), users_(users), containers_(containers), boot_epoch_(boot_epoch_ns) {}

std::span<const uint8_t> EventBuilder::slot(const pg_event_header& h, std::span<const uint8_t> payload,
                                            int i) const {
  if (i < 0 || i >= PG_MAX_SLOTS || h.param_len[i] == PG_PARAM_ABSENT) return {};
  return payload.subspan(offsets_[static_cast<size_t>(i)], h.param_len[i]);
}

bool EventBuilder::build(std::span<const uint8_t> record, Event& out) {
  ++stats_.records;
  pg_event_header h{};
  if (record.size() < sizeof(h)) {
    ++stats_.malformed;
    return false;
  }
  std::memcpy(&h, record.data(), sizeof(h));
  auto payload = record.subspan(sizeof(h));
  uint32_t off = 0;
  for (int i = 0; i < PG_MAX_SLOTS; ++i) {
    offsets_[static_cast<size_t>(i)] = off;
    if (h.param_len[i] != PG_PARAM_ABSENT) off += h.param_len[i];
  }
  if (h.len != record.size() || off > payload.size() || h.type == 0 ||
      h.type >= static_cast<uint16_t>(EventType::kCount)) {
    ++stats_.malformed;
    return false;
  }
  reset(out);
  out.source = EventSource::kSyscall;
  out.type = static_cast<EventType>(h.type);
  out.num = ++seq_;
  out.ts_ns = boot_epoch_ + h.ts_boot_ns;
  out.res = h.res;
  out.cpu = h.cpu;
  decode_params(h, payload, out);
  apply_process_state(h, payload, out);
  ProcEntry* p = lookup_process(h.pid);
  if (p != nullptr && h.ppid != 0 && out.type != T::kProcexit) p->ppid = h.ppid;  // follows reparenting
  auto& pi = out.proc;
  pi.tid = h.tid;
  pi.pid = h.pid;
  pi.ppid = h.ppid;
  pi.uid = h.uid;
  pi.gid = h.gid;
  pi.euid = h.euid;
  pi.egid = h.egid;
  pi.comm.assign(h.comm, strnlen(h.comm, sizeof(h.comm)));
  apply_fd_state(p, out);
  fill_process(p, out);
  fill_container(p, out);
  if (out.type == T::kProcexit && (h.flags & PG_EVT_GROUP_DEAD)) procs_.on_exit(h.pid);
  return true;
}

bool EventBuilder::decode_params(const pg_event_header& h, std::span<const uint8_t> payload, Event& out) {
  const auto& spec = event_spec(out.type);
  out.params.resize(spec.nparams);
  have_tuple_ = false;
  for (int i = 0; i < spec.nparams; ++i) {
    Param& p = out.params[static_cast<size_t>(i)];
    p.present = false;
    p.num = 0;
    p.str.clear();
    auto s = slot(h, payload, i);
    if (h.param_len[i] == PG_PARAM_ABSENT) continue;
    const auto kind = spec.params[static_cast<size_t>(i)].kind;
    if (is_numeric(kind)) {
      if (s.size() != sizeof(uint64_t)) continue;
      std::memcpy(&p.num, s.data(), sizeof(uint64_t));
    } else if (kind == ParamKind::kSockAddr) {
      if (out.type == T::kBind) {
        std::array<uint8_t, 16> ip{};
        uint8_t fam = 0;
        uint16_t port = 0;
        p.str = render_raw_sockaddr(s, fam, ip, port);
      } else {
        tuple_sock_ = SockInfo{};
        p.str = render_sock_slot(s, out.type == T::kAccept || out.type == T::kAccept4, &tuple_sock_);
        have_tuple_ = tuple_sock_.family != 0;
      }
    } else {
      p.str.assign(reinterpret_cast<const char*>(s.data()), s.size());
    }
    p.present = true;
  }
  // evt.buffer: the I/O data snapshot of send/recv events (captured only with capture_buffers).
  if (int di = param_index(out.type, "data"); di >= 0 && out.params[static_cast<size_t>(di)].present &&
                                              spec.params[static_cast<size_t>(di)].kind == ParamKind::kBytes)
    out.payload = out.params[static_cast<size_t>(di)].str;
  // Exec: the kernel sends argv as one NUL-separated blob in the "args" slot; split exe (argv[0]) off.
  if (out.type == T::kExecve || out.type == T::kExecveat) {
    int ai = param_index(out.type, "args"), ei = param_index(out.type, "exe");
    auto& args = out.params[static_cast<size_t>(ai)];
    auto& exe = out.params[static_cast<size_t>(ei)];
    exec_argv_.clear();
    if (args.present) {
      exec_argv_ = split_argv(args.str);
      exe.present = !exec_argv_.empty();
      exe.str = exec_argv_.empty() ? std::string() : exec_argv_.front();
      args.str = exec_argv_.empty() ? std::string() : join_words(std::span(exec_argv_).subspan(1));
    }
    // The environment blob (NUL-separated, cut to the room the record had) -> KEY=VALUE entries.
    auto& env = out.params[static_cast<size_t>(param_index(out.type, "env"))];
    exec_env_.reset();
    if (env.present) {
      exec_env_ = std::make_shared<const std::vector<std::string>>(split_env(env.str, PG_MAX_ENV_BYTES));
      if (proc_env()) {
        env.str = join_words(*exec_env_);
      } else {
        env.present = false;
        env.str.clear();
      }
    }
  }
  return true;
}

void EventBuilder::apply_process_state(const pg_event_header& h, std::span<const uint8_t> payload, Event& out) {
  switch (out.type) {
    case T::kClone:
    case T::kClone3:
    case T::kFork:
    case T::kVfork:
      // Child-side event from sched_process_fork (res 0, tid = child); parent-side events are failures only.
      if (h.res == 0 && !(h.flags & PG_EVT_THREAD) && h.tid == h.pid) procs_.on_fork(h.pid, h.ppid, h.ppid);
      break;
    case T::kExecve:
    case T::kExecveat: {
      auto info = slot(h, payload, PG_SLOT_EXEC_INFO);
      if (h.res != 0 || info.size() != sizeof(pg_exec_info)) break;
      pg_exec_info x{};
      std::memcpy(&x, info.data(), sizeof(x));
      ProcEntry* p = procs_.get_or_create(h.pid);
      if (p == nullptr) break;
      p->ppid = h.ppid;
      p->exited = false;
      p->fds.on_exec();
      p->comm.assign(h.comm, strnlen(h.comm, sizeof(h.comm)));
      const Param* exe = named(out, "exe");
      const Param* filename = named(out, "filename");
      p->exe = exe ? exe->str : p->comm;
      if (exec_argv_.empty()) {
        p->args.clear();
      } else {
        p->args.assign(exec_argv_.begin() + 1, exec_argv_.end());
      }
      p->env = exec_env_;
      if (p->cwd.empty()) {
        char buf[4096];
        auto link = opts_.proc_root + "/" + std::to_string(h.pid) + "/cwd";
        ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
        if (n > 0) p->cwd.assign(buf, static_cast<size_t>(n));
      }
      p->exepath = filename ? join_path(p->cwd.empty() ? "/" : p->cwd, filename->str) : p->exe;
      p->start_ts = boot_epoch_ + x.start_boot_ns;
      p->cap_inheritable = x.cap_inheritable;
      p->cap_permitted = x.cap_permitted;
      p->cap_effective = x.cap_effective;
      p->exe_ino = x.exe_ino;
      p->exe_ino_ctime = x.exe_ctime_ns;
      p->exe_ino_mtime = x.exe_mtime_ns;
      p->loginuid = x.loginuid;
      p->tty = x.tty;
      p->sid = x.sid;
      p->pgid = x.pgid;
      p->vpid = x.vpid;
      p->vpgid = x.vpgid;
      p->exe_from_memfd = (x.flags & PG_EXE_FROM_MEMFD) != 0;
      p->exe_upper_layer = (x.flags & PG_EXE_UPPER_LAYER) != 0;
      p->exe_lower_layer = (x.flags & PG_EXE_LOWER_LAYER) != 0;
      p->exe_writable = (x.flags & PG_EXE_WRITABLE) != 0;
      auto cg = slot(h, payload, PG_SLOT_CGROUP);
      if (!cg.empty()) {
        auto id = container_id_from_cgroup_path(std::string_view(reinterpret_cast<const char*>(cg.data()), cg.size()));
        p->container_id = id.empty() ? std::string(kHostContainerId) : id;
      }
      break;
    }
    case T::kSetsid:
      if (h.res > 0) {
        if (ProcEntry* p = procs_.find(h.pid)) p->sid = p->pgid = static_cast<uint32_t>(h.res);
      }
      break;
    case T::kCapset:
      if (h.res == 0) {
        if (ProcEntry* p = procs_.find(h.pid)) {
          if (const Param* c = named(out, "cap_inheritable")) p->cap_inheritable = c->num;
          if (const Param* c = named(out, "cap_permitted")) p->cap_permitted = c->num;
          if (const Param* c = named(out, "cap_effective")) p->cap_effective = c->num;
        }
      }
      break;
    default:
      break;
  }
}

}  // namespace peregrine::sensor
