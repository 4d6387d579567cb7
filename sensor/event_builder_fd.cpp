// EventBuilder, second half: fd table upkeep, fd.* fields, and the process / container context of an event.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "sensor/event_builder.h"
#include "sensor/path_util.h"
#include "sensor/proc_fs.h"

namespace peregrine::sensor {
namespace {

using T = EventType;

const Param* named(const Event& ev, std::string_view name) {
  int i = param_index(ev.type, name);
  if (i < 0 || static_cast<size_t>(i) >= ev.params.size() || !ev.params[static_cast<size_t>(i)].present)
    return nullptr;
  return &ev.params[static_cast<size_t>(i)];
}

int64_t as_fd(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

char typechar_for_family(uint8_t family) {
  switch (family) {
    case AF_INET: return '4';
    case AF_INET6: return '6';
    case AF_UNIX: return 'u';
    default: return 'o';
  }
}

void copy_entry(const FdEntry& e, FdInfo& fd) {
  fd.typechar = e.typechar;
  fd.name = e.name;
  fd.nameraw = e.nameraw;
  fd.sock = e.sock;
}

// Base directory for a *at() path: the cwd for AT_FDCWD, else the directory the fd refers to. An fd the table
// does not know (its open was not reported: not selected, or dropped by the open filter) is read from
// /proc/<pid>/fd while the process lives; only a relative path with such a dirfd pays that readlink.
std::string at_base(const ProcEntry* p, const Param* dirfd, const std::string& proc_root) {
  if (p == nullptr) return "/";
  if (dirfd != nullptr && as_fd(dirfd->num) != AT_FDCWD) {
    if (const FdEntry* e = p->fds.find(as_fd(dirfd->num))) return e->name;
    std::string link = read_link(proc_root + "/" + std::to_string(p->pid) + "/fd/" + std::to_string(as_fd(dirfd->num)));
    if (!link.empty() && link[0] == '/') return link;
  }
  return p->cwd.empty() ? "/" : p->cwd;
}

uint64_t now_s() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

ProcEntry* EventBuilder::lookup_process(uint32_t pid) {
  if (ProcEntry* p = procs_.find(pid)) return p;
  uint64_t now = now_s();
  if (now != lookup_window_start_) {
    lookup_window_start_ = now;
    lookups_in_window_ = 0;
  }
  if (lookups_in_window_ >= opts_.max_proc_lookups_per_s) {
    ++stats_.proc_lookups_skipped;
    return nullptr;
  }
  ++lookups_in_window_;
  ++stats_.proc_lookups;
  auto e = read_proc_entry(opts_.proc_root, pid, boot_epoch_, nullptr, procs_.max_fds_per_proc());
  if (!e.ok()) return nullptr;
  return procs_.upsert(std::move(e).value());
}

void EventBuilder::apply_fd_state(ProcEntry* p, Event& out) {
  FdInfo& fd = out.fd;
  const int64_t res = out.res;
  auto from_table = [&](int64_t num) {
    fd.num = num;
    if (p != nullptr)
      if (const FdEntry* e = p->fds.find(num)) copy_entry(*e, fd);
  };
  auto remember = [&](int64_t num, bool cloexec = false) {
    if (p == nullptr || num < 0) return;
    FdEntry e;
    e.cloexec = cloexec;
    e.typechar = fd.typechar;
    e.name = fd.name;
    e.nameraw = fd.nameraw;
    e.sock = fd.sock;
    p->fds.set(num, std::move(e));
  };
  switch (out.type) {
    case T::kOpen:
    case T::kOpenat:
    case T::kOpenat2:
    case T::kCreat: {
      const Param* name = named(out, "name");
      const Param* flags = named(out, "flags");
      fd.num = res;
      fd.typechar = (flags != nullptr && (flags->num & O_DIRECTORY)) ? 'd' : 'f';
      fd.name_changed = true;
      if (name != nullptr) {
        fd.nameraw = name->str;
        const bool absolute = !name->str.empty() && name->str[0] == '/';
        fd.name = join_path(absolute ? std::string("/") : at_base(p, named(out, "dirfd"), opts_.proc_root), name->str);
      }
      if (res >= 0) remember(res, flags != nullptr && (flags->num & O_CLOEXEC));
      break;
    }
    case T::kMemfdCreate: {
      const Param* name = named(out, "name");
      fd.num = res;
      fd.typechar = 'm';
      fd.name_changed = true;
      fd.name = fd.nameraw = "memfd:" + (name != nullptr ? name->str : std::string());
      const Param* mflags = named(out, "flags");
      if (res >= 0) remember(res, mflags != nullptr && (mflags->num & 1u /* MFD_CLOEXEC */));
      break;
    }
    case T::kSocket: {
      const Param* domain = named(out, "domain");
      const Param* type = named(out, "type");
      fd.num = res;
      fd.sock.family = domain != nullptr ? static_cast<uint8_t>(domain->num) : 0;
      int st = type != nullptr ? static_cast<int>(type->num & 0xf) : 0;
      fd.sock.l4proto = st == SOCK_STREAM ? IPPROTO_TCP : st == SOCK_DGRAM ? IPPROTO_UDP : st == SOCK_RAW ? 255 : 0;
      fd.typechar = typechar_for_family(fd.sock.family);
      fd.name_changed = true;
      if (res >= 0) remember(res, type != nullptr && (type->num & SOCK_CLOEXEC));
      break;
    }
    case T::kConnect:
    case T::kAccept:
    case T::kAccept4: {
      const bool accepted = out.type != T::kConnect;
      const Param* fdp = named(out, "fd");
      int64_t num = accepted ? res : (fdp != nullptr ? as_fd(fdp->num) : -1);
      from_table(num);
      const Param* tuple = named(out, "tuple");
      if (tuple != nullptr && have_tuple_) {
        fd.name = tuple->str;
        fd.sock = tuple_sock_;
        fd.typechar = typechar_for_family(fd.sock.family);
        fd.name_changed = true;
      }
      break;
    }
    case T::kClose: {
      const Param* fdp = named(out, "fd");
      if (fdp == nullptr) break;
      from_table(as_fd(fdp->num));
      if (res == 0 && p != nullptr) p->fds.erase(as_fd(fdp->num));
      break;
    }
    case T::kDup:
    case T::kDup2:
    case T::kDup3: {
      const Param* oldfd = named(out, "oldfd");
      if (oldfd == nullptr) break;
      from_table(as_fd(oldfd->num));
      fd.num = res;
      const Param* dflags = named(out, "flags");  // dup3 only
      if (res >= 0 && p != nullptr)
        p->fds.dup(as_fd(oldfd->num), res, dflags != nullptr && (dflags->num & O_CLOEXEC));
      break;
    }
    case T::kFchdir: {
      const Param* fdp = named(out, "fd");
      if (fdp == nullptr) break;
      from_table(as_fd(fdp->num));
      if (res == 0 && p != nullptr && !fd.name.empty()) p->cwd = fd.name;
      break;
    }
    case T::kChdir: {
      const Param* path = named(out, "path");
      if (res == 0 && p != nullptr && path != nullptr) p->cwd = join_path(p->cwd.empty() ? "/" : p->cwd, path->str);
      break;
    }
    default: {
      // Any other syscall with an "fd" argument: fd.* from the table.
      int i = param_index(out.type, "fd");
      if (i >= 0 && event_spec(out.type).params[static_cast<size_t>(i)].kind == ParamKind::kFd) {
        if (const Param* fdp = named(out, "fd")) from_table(as_fd(fdp->num));
      }
      if (have_tuple_ && fd.typechar == 0) {  // send/recv on a socket the table does not know
        fd.sock = tuple_sock_;
        fd.typechar = typechar_for_family(fd.sock.family);
        if (const Param* tuple = named(out, "tuple")) fd.name = tuple->str;
      }
      break;
    }
  }
  // connect / accept: the kernel-side tuple is the truth; keep it in the table for later send/recv/close.
  if (out.type == T::kConnect && (res == 0 || res == -EINPROGRESS)) {
    const FdEntry* old = p != nullptr ? p->fds.find(fd.num) : nullptr;
    remember(fd.num, old != nullptr && old->cloexec);
  } else if ((out.type == T::kAccept || out.type == T::kAccept4) && res >= 0) {
    const Param* aflags = named(out, "flags");  // accept4 only
    remember(fd.num, aflags != nullptr && (aflags->num & SOCK_CLOEXEC));
  }
}

void EventBuilder::fill_process(ProcEntry* p, Event& out) {
  auto& pi = out.proc;
  if (p != nullptr) {
    pi.exe = p->exe;
    pi.exepath = p->exepath;
    pi.cwd = p->cwd;
    pi.args = p->args;
    if (p->env && proc_env()) pi.env = *p->env; else pi.env.clear();
    pi.sid = p->sid;
    pi.pgid = p->pgid;
    pi.vpgid = p->vpgid;
    pi.vpid = p->vpid;
    pi.vtid = p->vpid == p->pid ? pi.tid : 0;
    pi.loginuid = p->loginuid;
    pi.tty = p->tty;
    pi.start_ts = p->start_ts;
    pi.cap_inheritable = p->cap_inheritable;
    pi.cap_permitted = p->cap_permitted;
    pi.cap_effective = p->cap_effective;
    pi.exe_ino = p->exe_ino;
    pi.exe_ino_ctime = p->exe_ino_ctime;
    pi.exe_ino_mtime = p->exe_ino_mtime;
    pi.exe_from_memfd = p->exe_from_memfd;
    pi.exe_upper_layer = p->exe_upper_layer;
    pi.exe_lower_layer = p->exe_lower_layer;
    pi.exe_writable = p->exe_writable;
    const ProcEntry* leader = p->sid != 0 ? procs_.find(p->sid) : nullptr;
    if (leader != nullptr) pi.sname = leader->comm; else pi.sname.clear();
  } else {
    pi.exe = pi.comm;
    pi.exepath.clear();
    pi.cwd.clear();
    pi.args.clear();
    pi.env.clear();
    pi.sid = pi.pgid = pi.vpgid = pi.vpid = pi.vtid = 0;
    pi.loginuid = 0xffffffffu;
    pi.tty = 0;
    pi.start_ts = 0;
    pi.cap_inheritable = pi.cap_permitted = pi.cap_effective = 0;
    pi.exe_ino = pi.exe_ino_ctime = pi.exe_ino_mtime = 0;
    pi.exe_from_memfd = pi.exe_upper_layer = pi.exe_lower_layer = pi.exe_writable = false;
    pi.sname.clear();
  }
  pi.user_name = users_.user_name(pi.uid);
  pi.group_name = users_.group_name(pi.gid);
  if (pi.loginuid != 0xffffffffu) pi.loginname = users_.user_name(pi.loginuid); else pi.loginname.clear();
  procs_.ancestors(pi.pid, opts_.max_ancestors, pi.ancestors);
}

void EventBuilder::fill_container(ProcEntry* p, Event& out) {
  auto& c = out.container;
  c.id = p != nullptr ? p->container_id : std::string(std::string_view("host"));
  std::shared_ptr<const ContainerMeta> meta;
  if (containers_ != nullptr && c.id != std::string_view("host")) meta = containers_->lookup(c.id);
  // Assigned, never cleared and refilled: the event is reused, so consecutive events of one container copy
  // into the strings and vectors they already hold (labels and mounts cost no allocation per event).
  static const ContainerMeta kNone;
  const ContainerMeta& m = meta ? *meta : kNone;
  c.name = m.name;
  c.image = m.image;
  c.image_repository = m.image_repository;
  c.image_tag = m.image_tag;
  c.image_digest = m.image_digest;
  c.privileged = m.privileged;
  c.mounts = m.mounts;
  c.start_ts = m.start_ts;
  c.labels = m.labels;
  c.k8s_ns_name = m.k8s_ns_name;
  c.k8s_pod_name = m.k8s_pod_name;
  c.k8s_pod_uid = m.k8s_pod_uid;
  c.k8s_pod_labels = m.k8s_pod_labels;
}

}  // namespace peregrine::sensor
