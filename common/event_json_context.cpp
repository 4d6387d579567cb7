// JSON form of the event's context objects: proc, fd (with sock), container.
// Each *_to_json emits only keys whose value differs from the default the reader would apply, so that
// hand-written fixtures stay short and event_from_json(to_json(e)) == e.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "common/codec.h"
#include "common/event_json_util.h"
#include "common/flags.h"

namespace peregrine::event_json_detail {
namespace {

struct U32Field {
  const char* key;
  uint32_t ProcessInfo::*member;
};
// Order matters for derived defaults: tid before vtid.
constexpr U32Field kProcU32[] = {
    {"pid", &ProcessInfo::pid},   {"tid", &ProcessInfo::tid},   {"ppid", &ProcessInfo::ppid},
    {"vpid", &ProcessInfo::vpid}, {"vtid", &ProcessInfo::vtid}, {"sid", &ProcessInfo::sid},
    {"pgid", &ProcessInfo::pgid}, {"vpgid", &ProcessInfo::vpgid}, {"uid", &ProcessInfo::uid},
    {"gid", &ProcessInfo::gid},   {"euid", &ProcessInfo::euid}, {"egid", &ProcessInfo::egid},
    {"tty", &ProcessInfo::tty},
};

struct U64Field {
  const char* key;
  uint64_t ProcessInfo::*member;
};
constexpr U64Field kProcU64[] = {
    {"start_ts", &ProcessInfo::start_ts},           {"cap_inheritable", &ProcessInfo::cap_inheritable},
    {"cap_permitted", &ProcessInfo::cap_permitted}, {"cap_effective", &ProcessInfo::cap_effective},
    {"exe_ino", &ProcessInfo::exe_ino},             {"exe_ino_ctime", &ProcessInfo::exe_ino_ctime},
    {"exe_ino_mtime", &ProcessInfo::exe_ino_mtime},
};

struct BoolField {
  const char* key;
  bool ProcessInfo::*member;
};
constexpr BoolField kProcBool[] = {{"exe_from_memfd", &ProcessInfo::exe_from_memfd},
                                   {"exe_upper_layer", &ProcessInfo::exe_upper_layer},
                                   {"exe_lower_layer", &ProcessInfo::exe_lower_layer},
                                   {"exe_writable", &ProcessInfo::exe_writable}};

struct StrField {
  const char* key;
  std::string ProcessInfo::*member;
};
constexpr StrField kProcStr[] = {
    {"name", &ProcessInfo::comm},      {"exe", &ProcessInfo::exe},         {"exepath", &ProcessInfo::exepath},
    {"cwd", &ProcessInfo::cwd},        {"user", &ProcessInfo::user_name},  {"group", &ProcessInfo::group_name},
    {"loginname", &ProcessInfo::loginname}, {"sname", &ProcessInfo::sname},
};

// The value a missing u32 key takes, given the keys parsed so far.
uint32_t default_u32(const ProcessInfo& p, std::string_view key) {
  if (key == "tid" || key == "vpid") return p.pid;
  if (key == "vtid") return p.tid;
  if (key == "euid") return p.uid;
  if (key == "egid") return p.gid;
  return 0;
}

template <typename Obj>
bool has_key(const Json& j, const Obj& key) {
  return j.find(key) != j.end();
}

Json ancestor_to_json(const AncestorInfo& a) {
  Json j = Json::object();
  if (a.pid != 0) j["pid"] = a.pid;
  if (!a.comm.empty()) j["name"] = a.comm;
  if (a.exe != a.comm) j["exe"] = a.exe;
  if (!a.exepath.empty()) j["exepath"] = a.exepath;
  if (!a.args.empty()) j["args"] = a.args;
  return j;
}

Result<void> ancestor_from_json(const Json& j, const std::string& path, AncestorInfo& a) {
  if (auto r = want_object(j, path); !r) return r;
  a = AncestorInfo{};
  for (const auto& [k, v] : j.items()) {
    const std::string p = path + "." + k;
    Result<void> r;
    if (k == "pid") r = want_uint(v, p, a.pid);
    else if (k == "name") r = want_str(v, p, a.comm);
    else if (k == "exe") r = want_str(v, p, a.exe);
    else if (k == "exepath") r = want_str(v, p, a.exepath);
    else if (k == "args") r = want_str_list(v, p, a.args);
    else r = field_error(p, "unknown key");
    if (!r) return r;
  }
  if (!has_key(j, "exe")) a.exe = a.comm;
  return {};
}

std::string ip_to_text(const std::array<uint8_t, 16>& ip, bool v4) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  inet_ntop(v4 ? AF_INET : AF_INET6, ip.data(), buf.data(), buf.size());
  return buf.data();
}

Result<void> ip_from_text(const Json& v, const std::string& path, std::array<uint8_t, 16>& ip) {
  if (!v.is_string()) return field_error(path, "expected IP address string");
  const auto s = v.get<std::string>();
  ip.fill(0);
  const int af = s.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(af, s.c_str(), ip.data()) != 1) return field_error(path, "invalid IP address '" + s + "'");
  return {};
}

constexpr std::pair<std::string_view, uint8_t> kL4[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"raw", 255}};

bool sock_is_default(const SockInfo& s) { return s == SockInfo{}; }

Json sock_to_json(const SockInfo& s) {
  Json j = Json::object();
  if (s.family != 0) j["family"] = flags::to_text(flags::Table::kSockDomain, s.family);
  if (s.l4proto != 0) {
    j["proto"] = s.l4proto;
    for (const auto& [n, v] : kL4)
      if (v == s.l4proto) j["proto"] = n;
  }
  if (s.connected) j["connected"] = true;
  if (s.is_server) j["server"] = true;
  bool v4 = s.family != AF_INET6;
  for (size_t i = 4; i < 16; ++i) v4 = v4 && s.local_ip[i] == 0 && s.remote_ip[i] == 0;
  static constexpr std::array<uint8_t, 16> kZero{};
  if (s.local_ip != kZero) j["local_ip"] = ip_to_text(s.local_ip, v4);
  if (s.remote_ip != kZero) j["remote_ip"] = ip_to_text(s.remote_ip, v4);
  if (s.local_port != 0) j["local_port"] = s.local_port;
  if (s.remote_port != 0) j["remote_port"] = s.remote_port;
  return j;
}

Result<void> sock_from_json(const Json& j, const std::string& path, SockInfo& s) {
  if (auto r = want_object(j, path); !r) return r;
  s = SockInfo{};
  for (const auto& [k, v] : j.items()) {
    const std::string p = path + "." + k;
    Result<void> r;
    if (k == "family") {
      if (v.is_string()) {
        auto f = flags::from_text(flags::Table::kSockDomain, v.get<std::string>());
        if (!f) return field_error(p, f.error().message);
        if (*f > 255) return field_error(p, "family out of range");
        s.family = static_cast<uint8_t>(*f);
      } else {
        r = want_uint(v, p, s.family);
      }
    } else if (k == "proto") {
      if (v.is_string()) {
        bool found = false;
        for (const auto& [n, val] : kL4)
          if (n == v.get<std::string>()) s.l4proto = val, found = true;
        if (!found) return field_error(p, "expected tcp, udp, icmp, raw or a number");
      } else {
        r = want_uint(v, p, s.l4proto);
      }
    } else if (k == "connected") r = want_bool(v, p, s.connected);
    else if (k == "server") r = want_bool(v, p, s.is_server);
    else if (k == "local_ip") r = ip_from_text(v, p, s.local_ip);
    else if (k == "remote_ip") r = ip_from_text(v, p, s.remote_ip);
    else if (k == "local_port") r = want_uint(v, p, s.local_port);
    else if (k == "remote_port") r = want_uint(v, p, s.remote_port);
    else r = field_error(p, "unknown key");
    if (!r) return r;
  }
  return {};
}

// "nginx:1.25" -> ("nginx", "1.25"); "reg:5000/app@sha256:..." -> ("reg:5000/app", "").
void split_image(const std::string& image, std::string& repo, std::string& tag) {
  repo.clear();
  tag.clear();
  if (image.empty()) return;
  if (auto at = image.find('@'); at != std::string::npos) {
    repo = image.substr(0, at);
    return;
  }
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo = image.substr(0, colon);
    tag = image.substr(colon + 1);
  } else {
    repo = image;
  }
}

}  // namespace

Json proc_to_json(const ProcessInfo& p) {
  Json j = Json::object();
  for (const auto& f : kProcU32)
    if (p.*f.member != default_u32(p, f.key)) j[f.key] = p.*f.member;
  if (p.loginuid != 0xffffffffu) j["loginuid"] = p.loginuid;
  for (const auto& f : kProcU64)
    if (p.*f.member != 0) j[f.key] = p.*f.member;
  for (const auto& f : kProcBool)
    if (p.*f.member) j[f.key] = true;
  for (const auto& f : kProcStr) {
    const std::string& def = std::string_view(f.key) == "exe" ? p.comm : std::string();
    if (p.*f.member != def) j[f.key] = p.*f.member;
  }
  if (!p.args.empty()) j["args"] = p.args;
  if (!p.env.empty()) j["env"] = p.env;
  if (!p.ancestors.empty()) {
    Json a = Json::array();
    for (const auto& anc : p.ancestors) a.push_back(ancestor_to_json(anc));
    j["ancestors"] = std::move(a);
  }
  return j;
}

Result<void> proc_from_json(const Json& j, ProcessInfo& p) {
  if (auto r = want_object(j, "proc"); !r) return r;
  p = ProcessInfo{};
  for (const auto& [k, v] : j.items()) {
    const std::string path = "proc." + k;
    Result<void> r = field_error(path, "unknown key");
    for (const auto& f : kProcU32)
      if (k == f.key) r = want_uint(v, path, p.*f.member);
    for (const auto& f : kProcU64)
      if (k == f.key) r = want_uint(v, path, p.*f.member);
    for (const auto& f : kProcBool)
      if (k == f.key) r = want_bool(v, path, p.*f.member);
    for (const auto& f : kProcStr)
      if (k == f.key) r = want_str(v, path, p.*f.member);
    if (k == "loginuid") {
      int64_t login = 0;
      r = want_int(v, path, login);
      if (r && (login < -1 || login > 0xffffffffll)) r = field_error(path, "expected -1 or a 32-bit uid");
      p.loginuid = static_cast<uint32_t>(login);
    } else if (k == "args") {
      r = want_str_list(v, path, p.args);
    } else if (k == "env") {
      r = want_str_list(v, path, p.env);
    } else if (k == "ancestors") {
      if (!v.is_array()) return field_error(path, "expected array of objects");
      if (v.size() > wire::kMaxAncestors) return field_error(path, "more than wire::kMaxAncestors ancestors");
      p.ancestors.resize(v.size());
      r = {};
      for (size_t i = 0; i < v.size() && r.ok(); ++i)
        r = ancestor_from_json(v[i], path + "[" + std::to_string(i) + "]", p.ancestors[i]);
    }
    if (!r) return r;
  }
  for (const auto& f : kProcU32)
    if (!has_key(j, f.key)) p.*f.member = default_u32(p, f.key);
  if (!has_key(j, "exe")) p.exe = p.comm;
  return {};
}

Json fd_to_json(const FdInfo& f) {
  Json j = Json::object();
  if (f.num != -1) j["num"] = f.num;
  if (f.typechar != 0) j["type"] = std::string(1, f.typechar);
  if (f.name_changed) j["name_changed"] = true;
  if (!f.name.empty()) j["name"] = f.name;
  if (f.nameraw != f.name) j["nameraw"] = f.nameraw;
  if (!sock_is_default(f.sock)) j["sock"] = sock_to_json(f.sock);
  return j;
}

Result<void> fd_from_json(const Json& j, FdInfo& f) {
  if (auto r = want_object(j, "fd"); !r) return r;
  f = FdInfo{};
  for (const auto& [k, v] : j.items()) {
    const std::string path = "fd." + k;
    Result<void> r;
    if (k == "num") r = want_int(v, path, f.num);
    else if (k == "type") {
      static constexpr std::string_view kTypechars = "fd46upeslibmo";
      if (!v.is_string() || v.get<std::string>().size() > 1 ||
          (v.get<std::string>().size() == 1 && kTypechars.find(v.get<std::string>()[0]) == std::string::npos))
        return field_error(path, "expected one of f d 4 6 u p e s l i b m o (or \"\")");
      const auto s = v.get<std::string>();
      f.typechar = s.empty() ? 0 : s[0];
    } else if (k == "name_changed") r = want_bool(v, path, f.name_changed);
    else if (k == "name") r = want_str(v, path, f.name);
    else if (k == "nameraw") r = want_str(v, path, f.nameraw);
    else if (k == "sock") r = sock_from_json(v, path, f.sock);
    else r = field_error(path, "unknown key");
    if (!r) return r;
  }
  if (!has_key(j, "nameraw")) f.nameraw = f.name;
  return {};
}

Json container_to_json(const ContainerInfo& c) {
  Json j = Json::object();
  if (c.id != "host") j["id"] = c.id;
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.image.empty()) j["image"] = c.image;
  std::string repo, tag;
  split_image(c.image, repo, tag);
  if (c.image_repository != repo) j["image_repository"] = c.image_repository;
  if (c.image_tag != tag) j["image_tag"] = c.image_tag;
  if (c.privileged != -1) j["privileged"] = c.privileged == 1;
  if (c.start_ts != 0) j["start_ts"] = c.start_ts;
  if (!c.mounts.empty()) j["mounts"] = c.mounts;
  if (!c.k8s_ns_name.empty()) j["k8s_ns_name"] = c.k8s_ns_name;
  if (!c.k8s_pod_name.empty()) j["k8s_pod_name"] = c.k8s_pod_name;
  if (!c.image_digest.empty()) j["image_digest"] = c.image_digest;
  if (!c.labels.empty()) j["labels"] = c.labels;
  if (!c.k8s_pod_uid.empty()) j["k8s_pod_uid"] = c.k8s_pod_uid;
  if (!c.k8s_pod_labels.empty()) j["k8s_pod_labels"] = c.k8s_pod_labels;
  return j;
}

Result<void> container_from_json(const Json& j, ContainerInfo& c) {
  if (auto r = want_object(j, "container"); !r) return r;
  c = ContainerInfo{};
  for (const auto& [k, v] : j.items()) {
    const std::string path = "container." + k;
    Result<void> r;
    if (k == "id") r = want_str(v, path, c.id);
    else if (k == "name") r = want_str(v, path, c.name);
    else if (k == "image") r = want_str(v, path, c.image);
    else if (k == "image_repository") r = want_str(v, path, c.image_repository);
    else if (k == "image_tag") r = want_str(v, path, c.image_tag);
    else if (k == "privileged") {
      if (v.is_null()) c.privileged = -1;
      else if (v.is_boolean()) c.privileged = v.get<bool>() ? 1 : 0;
      else return field_error(path, "expected bool or null");
    } else if (k == "start_ts") r = want_uint(v, path, c.start_ts);
    else if (k == "mounts") r = want_str_list(v, path, c.mounts);
    else if (k == "k8s_ns_name") r = want_str(v, path, c.k8s_ns_name);
    else if (k == "k8s_pod_name") r = want_str(v, path, c.k8s_pod_name);
    else if (k == "image_digest") r = want_str(v, path, c.image_digest);
    else if (k == "labels") r = want_str_list(v, path, c.labels);
    else if (k == "k8s_pod_uid") r = want_str(v, path, c.k8s_pod_uid);
    else if (k == "k8s_pod_labels") r = want_str_list(v, path, c.k8s_pod_labels);
    else r = field_error(path, "unknown key");
    if (!r) return r;
  }
  std::string repo, tag;
  split_image(c.image, repo, tag);
  if (!has_key(j, "image_repository")) c.image_repository = repo;
  if (!has_key(j, "image_tag")) c.image_tag = tag;
  return {};
}

}  // namespace peregrine::event_json_detail
