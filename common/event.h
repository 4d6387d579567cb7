// The event model: one C++ type for a kernel or audit event as it crosses the sensor -> engine link.
//
// Decision (docs/architecture.md "Events on the wire"): events are self-contained. Each event carries the
// process context the engine's fields need (including a short ancestry chain) so that the engine keeps no
// mirror of the sensor's process table and a lost event never corrupts later verdicts. The price is bytes per
// event; docs/wire-format.md records it.
//
// Objects of these types are designed to be *reused*: the decoder overwrites an existing Event in place, so
// std::string / std::vector members keep their capacity and the steady state allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/event_types.h"

namespace peregrine {

/// Where an event came from (Falco's rule `source`).
enum class EventSource : uint8_t { kSyscall = 0, kK8sAudit = 1 };

/// One syscall parameter, typed per the EventSpec of the event type.
/// Integers live in `num` (signed kinds are stored two's-complement); strings, paths, bytes and
/// socket-address text live in `str`. `present == false` means the sensor could not read it.
struct Param {
  bool present = false;
  uint64_t num = 0;
  std::string str;
};

/// Socket endpoint description, for fd.* network fields.
struct SockInfo {
  uint8_t family = 0;        // AF_INET=2, AF_INET6=10, AF_UNIX=1, 0 = not a socket
  uint8_t l4proto = 0;       // IPPROTO_TCP=6, IPPROTO_UDP=17, IPPROTO_ICMP=1, 255 = raw, 0 = unknown
  bool connected = false;
  bool is_server = false;    // local side is the server (accept/listen)
  std::array<uint8_t, 16> local_ip{};   // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> remote_ip{};
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
};

/// The fd an event operates on, resolved by the sensor's fd table (fd.* fields).
struct FdInfo {
  int64_t num = -1;          // -1 = the event has no fd
  char typechar = 0;         // Falco fd.typechar: f file, d directory, 4 ipv4, 6 ipv6, u unix, p pipe,
                             // e eventfd, s signalfd, l eventpoll, i inotify, b bpf, m memfd, o other; 0 = none
  bool name_changed = false; // this event changed what the fd refers to (open, connect, accept, ...)
  std::string name;          // normalized path, or the connection tuple text for sockets
  std::string nameraw;       // path as passed by the process (not normalized)
  SockInfo sock;
};

/// One ancestor's identity; index 0 is the parent (proc.aname[1] == ancestors[0].comm).
struct AncestorInfo {
  uint32_t pid = 0;
  std::string comm;
  std::string exe;           // argv[0]
  std::string exepath;
  std::vector<std::string> args;  // argv[1..]
};

/// The acting process / thread context (proc.*, thread.*, user.*, group.*).
struct ProcessInfo {
  uint32_t tid = 0, pid = 0, ppid = 0;
  uint32_t vtid = 0, vpid = 0;
  uint32_t sid = 0, pgid = 0, vpgid = 0;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  uint32_t loginuid = 0xffffffffu;  // -1 when unset (Falco user.loginuid renders -1)
  uint32_t tty = 0;
  uint64_t start_ts = 0;     // epoch ns
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;
  uint64_t exe_ino = 0;
  uint64_t exe_ino_ctime = 0, exe_ino_mtime = 0;  // epoch ns
  bool exe_from_memfd = false;
  bool exe_upper_layer = false;
  bool exe_lower_layer = false;   // on overlayfs and not copied up (the image's own file)
  bool exe_writable = false;
  std::string comm;          // proc.name (<= 16 chars)
  std::string exe;           // proc.exe (argv[0])
  std::string exepath;       // proc.exepath
  std::string cwd;
  std::vector<std::string> args;  // argv[1..]
  std::vector<std::string> env;   // KEY=VALUE (may be empty when not captured)
  std::string user_name, group_name, loginname;  // resolved in user space; empty = unknown
  std::string sname;         // session leader comm
  std::vector<AncestorInfo> ancestors;  // parent first, bounded by the sensor's config
};

/// Container context (container.*, k8s.*). id is "host" for host processes.
struct ContainerInfo {
  std::string id = "host";
  std::string name;
  std::string image;             // full image reference
  std::string image_repository;
  std::string image_tag;
  int8_t privileged = -1;        // -1 unknown, 0 false, 1 true
  uint64_t start_ts = 0;
  std::vector<std::string> mounts;  // "source:dest" pairs as "src:dest:mode:rw:propagation" text
  std::string k8s_ns_name, k8s_pod_name;
  std::string image_digest;         // "sha256:..." (CRI image_ref / Docker RepoDigests), when known
  std::vector<std::string> labels;  // container labels, "key=value", sorted by key
  std::string k8s_pod_uid;
  std::vector<std::string> k8s_pod_labels;  // pod sandbox labels, "key=value", sorted by key
};

/// A kernel or audit event.
struct Event {
  EventSource source = EventSource::kSyscall;
  EventType type = EventType::kUnknown;
  uint64_t num = 0;          // evt.num: sequence number assigned by the sensor, starts at 1
  uint64_t ts_ns = 0;        // epoch ns
  int64_t res = 0;           // return value (evt.rawres)
  uint16_t cpu = 0;
  std::vector<Param> params; // sized to event_spec(type).nparams
  ProcessInfo proc;
  FdInfo fd;
  ContainerInfo container;
  std::string payload;       // k8s_audit: the audit event JSON; syscall: evt.buffer (I/O data) if captured
};

bool operator==(const Param&, const Param&);
bool operator==(const SockInfo&, const SockInfo&);
bool operator==(const FdInfo&, const FdInfo&);
bool operator==(const AncestorInfo&, const AncestorInfo&);
bool operator==(const ProcessInfo&, const ProcessInfo&);
bool operator==(const ContainerInfo&, const ContainerInfo&);
bool operator==(const Event&, const Event&);

}  // namespace peregrine
