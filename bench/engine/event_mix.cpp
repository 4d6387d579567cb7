#include "bench/engine/event_mix.h"

#include <array>

#include "common/event_types.h"

namespace peregrine::bench {
namespace {

constexpr uint64_t kBaseTs = 1700000000000000000ull;
constexpr uint64_t kORdonly = 0, kOWronly = 1, kOCreat = 0100, kOTrunc = 01000, kOCloexec = 02000000;

/// xorshift64*: deterministic and fast; the mix must be identical between runs.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  size_t pick(size_t n) { return static_cast<size_t>(next() % n); }
};

const std::array<const char*, 10> kProcs = {"nginx", "python3", "java", "node", "bash",
                                            "postgres", "containerd", "kubelet", "sshd", "ls"};
const std::array<const char*, 10> kParents = {"systemd", "bash", "containerd-shim", "runc:[1:CHILD]", "sshd",
                                              "kubelet", "sh", "java", "node", "cron"};
const std::array<const char*, 12> kReadPaths = {
    "/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/etc/nsswitch.conf", "/etc/hosts",
    "/proc/self/status", "/var/lib/app/data.db", "/usr/share/zoneinfo/UTC", "/etc/ssl/certs/ca-certificates.crt",
    "/srv/www/index.html", "/home/app/.config/settings.json", "/sys/fs/cgroup/cpu.max", "/etc/passwd"};
const std::array<const char*, 4> kWritePaths = {"/tmp/upload-1234", "/var/lib/app/wal.log", "/run/app.pid",
                                                "/var/log/app/app.log"};
const std::array<const char*, 6> kExecs = {"ls", "cat", "python3", "sh", "grep", "curl"};
const std::array<const char*, 4> kContainers = {"host", "host", "4f3c2b1a0e9d", "9a8b7c6d5e4f"};

void set_param(Event& e, const char* name, uint64_t num, const std::string& str = {}) {
  int i = param_index(e.type, name);
  if (i < 0) return;
  e.params[i].present = true;
  e.params[i].num = num;
  e.params[i].str = str;
}

Event base(Rng& r, EventType t, uint64_t num) {
  Event e;
  e.type = t;
  e.num = num;
  e.ts_ns = kBaseTs + num * 1000;
  e.params.resize(event_spec(t).nparams);
  auto& p = e.proc;
  p.comm = kProcs[r.pick(kProcs.size())];
  p.exe = p.comm;
  p.exepath = "/usr/bin/" + p.comm;
  p.args = {"--serve", "/srv/app"};
  p.pid = p.tid = 1000 + static_cast<uint32_t>(r.pick(5000));
  p.uid = r.pick(4) == 0 ? 0 : 1000;
  p.user_name = p.uid == 0 ? "root" : "app";
  p.start_ts = kBaseTs - 60'000'000'000ull;
  p.ancestors = {{1, kParents[r.pick(kParents.size())], "", "", {}}, {1, "systemd", "", "/sbin/init", {}}};
  p.ancestors[0].exe = p.ancestors[0].comm;
  e.container.id = kContainers[r.pick(kContainers.size())];
  if (e.container.id != "host") e.container.image_repository = "registry.example.com/shop/api";
  return e;
}

void make_open(Rng& r, Event& e, bool write) {
  const std::string path = write ? kWritePaths[r.pick(kWritePaths.size())] : kReadPaths[r.pick(kReadPaths.size())];
  e.res = 3 + static_cast<int64_t>(r.pick(60));
  set_param(e, "fd", e.res);
  set_param(e, "name", 0, path);
  set_param(e, "flags", (write ? (kOWronly | kOCreat | kOTrunc) : kORdonly) | kOCloexec);
  e.fd = FdInfo{e.res, 'f', true, path, path, {}};
}

void make_net(Rng& r, Event& e) {
  e.fd.num = 3 + static_cast<int64_t>(r.pick(60));
  e.fd.typechar = '4';
  e.fd.sock.family = 2;
  e.fd.sock.l4proto = 6;
  e.fd.sock.connected = true;
  e.fd.sock.local_ip = {10, 0, 0, 5};
  e.fd.sock.remote_ip = {93, 184, static_cast<uint8_t>(r.pick(250)), 34};
  e.fd.sock.local_port = static_cast<uint16_t>(40000 + r.pick(20000));
  e.fd.sock.remote_port = r.pick(2) ? 443 : 5432;
  e.fd.name = "10.0.0.5:" + std::to_string(e.fd.sock.local_port) + "->93.184.0.34:" +
              std::to_string(e.fd.sock.remote_port);
}

}  // namespace

const std::vector<MixShare>& mix_shares() {
  static const std::vector<MixShare> kShares = {
      {"openat, read-only (libraries, configs, data files)", 380},
      {"openat, write/create/truncate", 70},
      {"close", 200},
      {"execve (ls, cat, python3, sh, grep, curl; host and containers)", 80},
      {"connect (TCP, mostly external IPs)", 60},
      {"socket (AF_INET stream)", 50},
      {"accept4", 40},
      {"unlinkat / renameat2", 40},
      {"clone", 30},
      {"dup2 onto a file", 30},
      {"mkdirat", 19},
      {"openat of /etc/shadow by cat (fires a rule)", 1},
  };
  return kShares;
}

std::vector<Event> make_event_mix(size_t n, uint64_t seed) {
  Rng r{seed | 1};
  std::vector<Event> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t num = i + 1;
    const int slot = static_cast<int>(r.pick(1000));
    Event e;
    if (slot < 380) {
      e = base(r, EventType::kOpenat, num);
      make_open(r, e, false);
    } else if (slot < 450) {
      e = base(r, EventType::kOpenat, num);
      make_open(r, e, true);
    } else if (slot < 650) {
      e = base(r, EventType::kClose, num);
      e.fd = FdInfo{5, 'f', false, "/etc/hosts", "/etc/hosts", {}};
    } else if (slot < 730) {
      e = base(r, EventType::kExecve, num);
      e.proc.comm = kExecs[r.pick(kExecs.size())];
      e.proc.exe = e.proc.comm;
      e.proc.exepath = "/usr/bin/" + e.proc.comm;
      e.proc.args = {"-la", "/tmp"};
    } else if (slot < 790) {
      e = base(r, EventType::kConnect, num);
      make_net(r, e);
    } else if (slot < 840) {
      e = base(r, EventType::kSocket, num);
      e.res = 7;
      set_param(e, "domain", 2);
      set_param(e, "type", 1);
    } else if (slot < 880) {
      e = base(r, EventType::kAccept4, num);
      make_net(r, e);
    } else if (slot < 920) {
      e = base(r, r.pick(2) ? EventType::kUnlinkat : EventType::kRenameat2, num);
    } else if (slot < 950) {
      e = base(r, EventType::kClone, num);
    } else if (slot < 980) {
      e = base(r, EventType::kDup2, num);
      e.res = 5;
      e.fd = FdInfo{4, 'f', false, "/var/log/app/app.log", "/var/log/app/app.log", {}};
    } else if (slot < 999) {
      e = base(r, EventType::kMkdirat, num);
    } else {
      e = base(r, EventType::kOpenat, num);
      e.container.id = "host";
      e.proc.comm = e.proc.exe = "cat";
      e.proc.exepath = "/usr/bin/cat";
      e.res = 3;
      set_param(e, "fd", 3);
      set_param(e, "name", 0, "/etc/shadow");
      set_param(e, "flags", kORdonly);
      e.fd = FdInfo{3, 'f', true, "/etc/shadow", "/etc/shadow", {}};
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace peregrine::bench
