#include "common/config/link_config.h"

#include <arpa/inet.h>

namespace peregrine::config {
namespace {

KeyPosition position_of(const NodeReader& r, const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return {r.file(), 0, 0};
  return {r.file(), n.Mark().line + 1, n.Mark().column + 1};
}

// The host part of "tcp://host:port" ("[v6]:port" unbracketed); "" when it has none.
std::string tcp_host(std::string_view rest) {
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  size_t colon = rest.rfind(':');
  return colon == std::string_view::npos ? std::string() : std::string(rest.substr(0, colon));
}

}  // namespace

CurveServerConfig read_curve_server(NodeReader& parent, const std::string& key) {
  CurveServerConfig c;
  c.section = parent.section().empty() ? key : parent.section() + "." + key;
  NodeReader r = parent.sub(key);
  c.secret_key_file = r.str("secret_key_file", "");
  c.secret_key_file_at = position_of(r, r.child("secret_key_file"));
  c.allowed_client_keys = r.strings("allowed_client_keys");
  YAML::Node list = r.child("allowed_client_keys");
  if (list.IsSequence()) {
    for (const auto& item : list) c.allowed_client_keys_at.push_back(position_of(r, item));
  } else {
    c.allowed_client_keys_at.assign(c.allowed_client_keys.size(), position_of(r, list));
  }
  if (c.enabled() && c.allowed_client_keys.empty())
    r.fail("allowed_client_keys", "is required with secret_key_file: list the clients' NAME.pub files, a directory "
                                  "of them, or their Z85 public keys (an empty list would refuse every client)");
  if (!c.enabled() && !c.allowed_client_keys.empty())
    r.fail("secret_key_file", "is required with allowed_client_keys (this side's NAME.key from peregrine-keygen)");
  r.finish();
  return c;
}

CurveClientConfig read_curve_client(NodeReader& parent, const std::string& key) {
  CurveClientConfig c;
  c.section = parent.section().empty() ? key : parent.section() + "." + key;
  NodeReader r = parent.sub(key);
  c.secret_key_file = r.str("secret_key_file", "");
  c.secret_key_file_at = position_of(r, r.child("secret_key_file"));
  c.server_public_key = r.str("server_public_key", "");
  c.server_public_key_at = position_of(r, r.child("server_public_key"));
  if (c.enabled() && c.server_public_key.empty())
    r.fail("server_public_key", "is required with secret_key_file: the server's NAME.pub or its Z85 public key");
  if (!c.enabled() && !c.server_public_key.empty())
    r.fail("secret_key_file", "is required with server_public_key (this side's NAME.key from peregrine-keygen)");
  r.finish();
  return c;
}

bool is_local_endpoint(std::string_view endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  std::string host = tcp_host(endpoint.substr(6));
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void check_plaintext_bind(NodeReader& r, const std::string& endpoint_key, const std::string& endpoint,
                          const CurveServerConfig& curve, bool allow_plaintext) {
  if (curve.enabled() || allow_plaintext || is_local_endpoint(endpoint)) return;
  const std::string section = r.section().empty() ? std::string() : r.section() + ".";
  r.fail(endpoint_key, "binds a non-loopback address in plaintext: anyone who reaches it could " +
                           std::string("inject or read messages. Configure ") + curve.section +
                           " (CURVE keys, docs/security.md), bind 127.0.0.1 or ipc://, or set " + section +
                           "allow_plaintext: true to accept plaintext from the network explicitly");
}

}  // namespace peregrine::config
