// fd.*: the file descriptor the event operates on, including socket endpoints (client/server/local/remote).
#include "engine/fields/simple.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

bool has_fd(const Event& e) { return e.fd.num >= 0 || e.fd.typechar != 0; }
bool is_inet(const Event& e) { return e.fd.sock.family == 2 || e.fd.sock.family == 10; }

IpAddr make_ip(const Event& e, const std::array<uint8_t, 16>& b) {
  IpAddr ip;
  ip.family = e.fd.sock.family;
  ip.bytes = b;
  return ip;
}
// Client/server from the local side's role: a server's local end is the server end.
const std::array<uint8_t, 16>& client_ip(const Event& e) {
  return e.fd.sock.is_server ? e.fd.sock.remote_ip : e.fd.sock.local_ip;
}
const std::array<uint8_t, 16>& server_ip(const Event& e) {
  return e.fd.sock.is_server ? e.fd.sock.local_ip : e.fd.sock.remote_ip;
}
uint16_t client_port(const Event& e) { return e.fd.sock.is_server ? e.fd.sock.remote_port : e.fd.sock.local_port; }
uint16_t server_port(const Event& e) { return e.fd.sock.is_server ? e.fd.sock.local_port : e.fd.sock.remote_port; }

void set_ip(ExtractSlot& s, const IpAddr& ip) {
  s.value.present = true;
  s.value.ip = ip;
}

void ex_num(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.num >= 0) fields::set_int(s, e.fd.num);
}
void ex_typechar(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.typechar == 0) return;
  s.buf.assign(1, e.fd.typechar);
  fields::set_buf(s);
}
std::string_view type_word(char c) {
  switch (c) {
    case 'f': return "file";
    case 'd': return "directory";
    case '4': return "ipv4";
    case '6': return "ipv6";
    case 'u': return "unix";
    case 'p': return "pipe";
    case 'e': return "event";
    case 's': return "signalfd";
    case 'l': return "eventpoll";
    case 'i': return "inotify";
    case 't': return "timerfd";
    case 'n': return "netlink";
    case 'b': return "bpf";
    case 'm': return "memfd";
    case 'o': return "other";
    default: return {};
  }
}
void ex_type(const Event& e, const FieldArg&, ExtractSlot& s) {
  std::string_view w = type_word(e.fd.typechar);
  if (!w.empty()) fields::set_str(s, w);
}
void ex_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (has_fd(e) && !e.fd.name.empty()) fields::set_str(s, e.fd.name);
}
void ex_nameraw(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (has_fd(e) && !e.fd.nameraw.empty()) fields::set_str(s, e.fd.nameraw);
}
void ex_directory(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.name.empty()) return;
  if (e.fd.typechar == 'd') {
    fields::set_str(s, e.fd.name);
  } else if (e.fd.typechar == 'f') {
    std::string_view n = e.fd.name;
    size_t slash = n.rfind('/');
    if (slash == std::string_view::npos) return;
    fields::set_str(s, slash == 0 ? n.substr(0, 1) : n.substr(0, slash));
  }
}
void ex_filename(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.name.empty() || (e.fd.typechar != 'f' && e.fd.typechar != 'd')) return;
  std::string_view n = e.fd.name;
  size_t slash = n.rfind('/');
  fields::set_str(s, slash == std::string_view::npos ? n : n.substr(slash + 1));
}
void ex_name_changed(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (has_fd(e)) fields::set_bool(s, e.fd.name_changed);
}

void ex_cip(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) set_ip(s, make_ip(e, client_ip(e)));
}
void ex_sip(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) set_ip(s, make_ip(e, server_ip(e)));
}
void ex_lip(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) set_ip(s, make_ip(e, e.fd.sock.local_ip));
}
void ex_rip(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) set_ip(s, make_ip(e, e.fd.sock.remote_ip));
}
void ex_ip(const Event& e, const FieldArg&, ExtractSlot& s) {  // client or server
  if (!is_inet(e)) return;
  set_ip(s, make_ip(e, client_ip(e)));
  s.value.ip2 = make_ip(e, server_ip(e));
  s.value.either = true;
}
void ex_cport(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) fields::set_num(s, client_port(e));
}
void ex_sport(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) fields::set_num(s, server_port(e));
}
void ex_lport(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) fields::set_num(s, e.fd.sock.local_port);
}
void ex_rport(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) fields::set_num(s, e.fd.sock.remote_port);
}
void ex_port(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (!is_inet(e)) return;
  fields::set_num(s, client_port(e));
  s.value.num2 = server_port(e);
  s.value.either = true;
}
void ex_l4proto(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.sock.family == 0) return;
  std::string_view p = fields::l4proto_name(e.fd.sock.l4proto);
  if (!p.empty()) fields::set_str(s, p);
}
void ex_sockfamily(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (is_inet(e)) {
    fields::set_str(s, "ip");
  } else if (e.fd.sock.family == 1) {
    fields::set_str(s, "unix");
  }
}
void ex_connected(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.sock.family != 0) fields::set_bool(s, e.fd.sock.connected);
}
void ex_is_server(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.fd.sock.family != 0) fields::set_bool(s, e.fd.sock.is_server);
}
// No reverse DNS in the engine: the *.name fields are always absent (Falco fills them from its DNS cache).
void ex_dns(const Event&, const FieldArg&, ExtractSlot&) {}

constexpr uint32_t kNameFlags = kFieldNoRhs;
constexpr FieldDef kDefs[] = {
    {"fd.num", FieldType::kInt64, 0, "file descriptor number", ex_num},
    {"fd.type", FieldType::kString, 0, "fd type: file, directory, ipv4, ipv6, unix, pipe, event, ...", ex_type},
    {"fd.typechar", FieldType::kString, 0, "fd type as one char: f d 4 6 u p e s l i t n b m o", ex_typechar},
    {"fd.name", FieldType::kString, 0, "full path for files, connection tuple for sockets", ex_name},
    {"fd.nameraw", FieldType::kString, 0, "path as passed by the process (not normalized)", ex_nameraw},
    {"fd.directory", FieldType::kString, 0, "directory containing the file (the path itself for directories)",
     ex_directory},
    {"fd.filename", FieldType::kString, 0, "file name without its directory", ex_filename},
    {"fd.name_changed", FieldType::kBool, 0, "this event changed what the fd refers to", ex_name_changed},
    {"fd.ip", FieldType::kIpAddr, kFieldNoRhs, "client or server IP: matches if either matches", ex_ip},
    {"fd.cip", FieldType::kIpAddr, 0, "client IP", ex_cip},
    {"fd.sip", FieldType::kIpAddr, 0, "server IP", ex_sip},
    {"fd.lip", FieldType::kIpAddr, 0, "local IP", ex_lip},
    {"fd.rip", FieldType::kIpAddr, 0, "remote IP", ex_rip},
    {"fd.net", FieldType::kIpNet, kFieldNoRhs, "client or server IP matched against CIDR networks", ex_ip},
    {"fd.cnet", FieldType::kIpNet, kFieldNoRhs, "client IP matched against CIDR networks", ex_cip},
    {"fd.snet", FieldType::kIpNet, kFieldNoRhs, "server IP matched against CIDR networks", ex_sip},
    {"fd.lnet", FieldType::kIpNet, kFieldNoRhs, "local IP matched against CIDR networks", ex_lip},
    {"fd.rnet", FieldType::kIpNet, kFieldNoRhs, "remote IP matched against CIDR networks", ex_rip},
    {"fd.port", FieldType::kPort, 0, "client or server port: matches if either matches", ex_port},
    {"fd.cport", FieldType::kPort, 0, "client port", ex_cport},
    {"fd.sport", FieldType::kPort, 0, "server port", ex_sport},
    {"fd.lport", FieldType::kPort, 0, "local port", ex_lport},
    {"fd.rport", FieldType::kPort, 0, "remote port", ex_rport},
    {"fd.l4proto", FieldType::kString, 0, "layer-4 protocol: tcp, udp, icmp or raw", ex_l4proto},
    {"fd.sockfamily", FieldType::kString, 0, "socket family: ip or unix", ex_sockfamily},
    {"fd.connected", FieldType::kBool, 0, "socket is connected", ex_connected},
    {"fd.is_server", FieldType::kBool, 0, "local end is the server", ex_is_server},
    {"fd.cip.name", FieldType::kString, kNameFlags, "DNS name of the client IP (no DNS cache: always absent)",
     ex_dns},
    {"fd.sip.name", FieldType::kString, kNameFlags, "DNS name of the server IP (always absent)", ex_dns},
    {"fd.lip.name", FieldType::kString, kNameFlags, "DNS name of the local IP (always absent)", ex_dns},
    {"fd.rip.name", FieldType::kString, kNameFlags, "DNS name of the remote IP (always absent)", ex_dns},
};

}  // namespace

void register_fd_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
