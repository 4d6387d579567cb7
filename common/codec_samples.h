// Sample events for tests, fuzz seeds and benchmarks (header-only; not used by production code).
#pragma once

#include <string>

#include "common/event.h"

namespace peregrine::samples {

/// An event of type `t` with every field set to a non-default value (params typed per the event table).
/// `seed` varies the values so that two samples differ.
inline Event full_event(EventType t, uint32_t seed = 1) {
  Event e;
  e.type = t;
  e.source = t == EventType::kK8sAudit ? EventSource::kK8sAudit : EventSource::kSyscall;
  e.num = 1000 + seed;
  e.ts_ns = 1'795'000'000'123'456'789ull + seed;
  e.res = -static_cast<int64_t>(seed % 5) + 3;
  e.cpu = static_cast<uint16_t>(seed % 64 + 1);
  const EventSpec& spec = event_spec(t);
  e.params.resize(spec.nparams);
  for (uint8_t i = 0; i < spec.nparams; ++i) {
    Param& p = e.params[i];
    p.present = true;
    switch (spec.params[i].kind) {
      case ParamKind::kPath: p.str = "/tmp/dir" + std::to_string(seed) + "/file" + std::to_string(i); break;
      case ParamKind::kStr: p.str = "str" + std::to_string(seed + i); break;
      case ParamKind::kBytes: p.str = std::string("\x01\x02bin\x7f", 6); break;
      case ParamKind::kSockAddr: p.str = "10.0.0." + std::to_string(seed % 250) + ":4444->1.2.3.4:80"; break;
      case ParamKind::kInt:
      case ParamKind::kFd:
      case ParamKind::kErrno:
      case ParamKind::kPid: p.num = static_cast<uint64_t>(-static_cast<int64_t>(seed + i)); break;
      default: p.num = seed * 7u + i + 1; break;
    }
  }
  ProcessInfo& pr = e.proc;
  pr.tid = 4243 + seed; pr.pid = 4242 + seed; pr.ppid = 4100; pr.vtid = 43; pr.vpid = 42;
  pr.sid = 4000; pr.pgid = 4242; pr.vpgid = 42; pr.uid = 1000; pr.gid = 1001; pr.euid = 0; pr.egid = 0;
  pr.loginuid = 1000; pr.tty = 34816; pr.start_ts = 1'794'999'000'000'000'000ull;
  pr.cap_inheritable = 1; pr.cap_permitted = 0x1ffffffffffull; pr.cap_effective = 0x1ffffffffffull;
  pr.exe_ino = 123456; pr.exe_ino_ctime = 1'700'000'000'000'000'001ull; pr.exe_ino_mtime = 1'700'000'000'000'000'002ull;
  pr.exe_from_memfd = true; pr.exe_upper_layer = true; pr.exe_lower_layer = true; pr.exe_writable = true;
  pr.comm = "cat"; pr.exe = "/bin/cat"; pr.exepath = "/usr/bin/cat"; pr.cwd = "/root";
  pr.args = {"/etc/shadow", "-n"}; pr.env = {"HOME=/root", "PATH=/usr/bin"};
  pr.user_name = "root"; pr.group_name = "root"; pr.loginname = "alice"; pr.sname = "sshd";
  pr.ancestors = {{4100, "bash", "-bash", "/usr/bin/bash", {"-i"}},
                  {4000, "sshd", "sshd:", "/usr/sbin/sshd", {"alice@pts/0"}},
                  {1, "systemd", "/sbin/init", "/usr/lib/systemd/systemd", {}}};
  FdInfo& fd = e.fd;
  fd.num = 3; fd.typechar = '4'; fd.name_changed = true;
  fd.name = "10.0.0.2:4444->1.2.3.4:80"; fd.nameraw = "raw";
  fd.sock.family = 2; fd.sock.l4proto = 6; fd.sock.connected = true; fd.sock.is_server = false;
  fd.sock.local_ip = {10, 0, 0, 2}; fd.sock.remote_ip = {1, 2, 3, 4};
  fd.sock.local_port = 4444; fd.sock.remote_port = 80;
  ContainerInfo& c = e.container;
  c.id = "3ad7b26ded6d"; c.name = "web"; c.image = "docker.io/library/nginx:1.25";
  c.image_repository = "docker.io/library/nginx"; c.image_tag = "1.25"; c.privileged = 1;
  c.start_ts = 1'794'000'000'000'000'000ull; c.mounts = {"/var/run/docker.sock:/var/run/docker.sock::true:rprivate"};
  c.k8s_ns_name = "default"; c.k8s_pod_name = "web-0";
  c.image_digest = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
  c.labels = {"app=web", "io.kubernetes.container.name=web"};
  c.k8s_pod_uid = "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60"; c.k8s_pod_labels = {"app=web", "tier=front"};
  e.payload = t == EventType::kK8sAudit ? R"({"kind":"Event","verb":"create"})" : "payload-bytes";
  return e;
}

/// A typical openat: `cat /etc/shadow` run from bash, three ancestors, host process, no I/O payload.
inline Event openat_by_bash() {
  Event e;
  e.type = EventType::kOpenat;
  e.num = 123456;
  e.ts_ns = 1'795'000'000'123'456'789ull;
  e.res = 3;
  e.cpu = 1;
  e.params.resize(event_spec(e.type).nparams);
  auto set_num = [&](int i, uint64_t v) { e.params[i].present = true; e.params[i].num = v; };
  set_num(0, 3);                                   // fd
  set_num(1, static_cast<uint64_t>(-100));         // dirfd AT_FDCWD
  e.params[2].present = true;
  e.params[2].str = "/etc/shadow";                 // name
  set_num(3, 0);                                   // flags O_RDONLY
  set_num(4, 0);                                   // mode
  set_num(5, 0x803);                               // dev
  set_num(6, 1311234);                             // ino
  ProcessInfo& p = e.proc;
  p.tid = p.pid = p.vtid = p.vpid = 4242;
  p.ppid = 4100; p.sid = 4000; p.pgid = p.vpgid = 4242;
  p.uid = p.gid = p.euid = p.egid = 0; p.loginuid = 1000; p.tty = 34816;
  p.start_ts = 1'795'000'000'100'000'000ull;
  p.cap_permitted = p.cap_effective = 0x1ffffffffffull;
  p.exe_ino = 2621450; p.exe_ino_ctime = p.exe_ino_mtime = 1'690'000'000'000'000'000ull;
  p.comm = "cat"; p.exe = "cat"; p.exepath = "/usr/bin/cat"; p.cwd = "/root";
  p.args = {"/etc/shadow"};
  p.user_name = "root"; p.group_name = "root"; p.loginname = "alice"; p.sname = "bash";
  p.ancestors = {{4100, "bash", "-bash", "/usr/bin/bash", {}},
                 {4000, "sshd", "sshd:", "/usr/sbin/sshd", {"alice@pts/0"}},
                 {1, "systemd", "/sbin/init", "/usr/lib/systemd/systemd", {"--system"}}};
  e.fd.num = 3; e.fd.typechar = 'f'; e.fd.name_changed = true;
  e.fd.name = e.fd.nameraw = "/etc/shadow";
  return e;
}

}  // namespace peregrine::samples
