// Memberwise equality for the event model (tests, fuzz round-trips, replay comparisons).
#include "common/event.h"

namespace peregrine {

bool operator==(const Param& a, const Param& b) {
  return a.present == b.present && a.num == b.num && a.str == b.str;
}

bool operator==(const SockInfo& a, const SockInfo& b) {
  return a.family == b.family && a.l4proto == b.l4proto && a.connected == b.connected &&
         a.is_server == b.is_server && a.local_ip == b.local_ip && a.remote_ip == b.remote_ip &&
         a.local_port == b.local_port && a.remote_port == b.remote_port;
}

bool operator==(const FdInfo& a, const FdInfo& b) {
  return a.num == b.num && a.typechar == b.typechar && a.name_changed == b.name_changed &&
         a.name == b.name && a.nameraw == b.nameraw && a.sock == b.sock;
}

bool operator==(const AncestorInfo& a, const AncestorInfo& b) {
  return a.pid == b.pid && a.comm == b.comm && a.exe == b.exe && a.exepath == b.exepath &&
         a.args == b.args;
}

bool operator==(const ProcessInfo& a, const ProcessInfo& b) {
  return a.tid == b.tid && a.pid == b.pid && a.ppid == b.ppid && a.vtid == b.vtid &&
         a.vpid == b.vpid && a.sid == b.sid && a.pgid == b.pgid && a.vpgid == b.vpgid &&
         a.uid == b.uid && a.gid == b.gid && a.euid == b.euid && a.egid == b.egid &&
         a.loginuid == b.loginuid && a.tty == b.tty && a.start_ts == b.start_ts &&
         a.cap_inheritable == b.cap_inheritable && a.cap_permitted == b.cap_permitted &&
         a.cap_effective == b.cap_effective && a.exe_ino == b.exe_ino &&
         a.exe_ino_ctime == b.exe_ino_ctime && a.exe_ino_mtime == b.exe_ino_mtime &&
         a.exe_from_memfd == b.exe_from_memfd && a.exe_upper_layer == b.exe_upper_layer &&
         a.exe_lower_layer == b.exe_lower_layer &&
         a.exe_writable == b.exe_writable && a.comm == b.comm && a.exe == b.exe &&
         a.exepath == b.exepath && a.cwd == b.cwd && a.args == b.args && a.env == b.env &&
         a.user_name == b.user_name && a.group_name == b.group_name &&
         a.loginname == b.loginname && a.sname == b.sname && a.ancestors == b.ancestors;
}

bool operator==(const ContainerInfo& a, const ContainerInfo& b) {
  return a.id == b.id && a.name == b.name && a.image == b.image &&
         a.image_repository == b.image_repository && a.image_tag == b.image_tag &&
         a.privileged == b.privileged && a.start_ts == b.start_ts && a.mounts == b.mounts &&
         a.k8s_ns_name == b.k8s_ns_name && a.k8s_pod_name == b.k8s_pod_name &&
         a.image_digest == b.image_digest && a.labels == b.labels && a.k8s_pod_uid == b.k8s_pod_uid &&
         a.k8s_pod_labels == b.k8s_pod_labels;
}

bool operator==(const Event& a, const Event& b) {
  return a.source == b.source && a.type == b.type && a.num == b.num && a.ts_ns == b.ts_ns &&
         a.res == b.res && a.cpu == b.cpu && a.params == b.params && a.proc == b.proc &&
         a.fd == b.fd && a.container == b.container && a.payload == b.payload;
}

}  // namespace peregrine
