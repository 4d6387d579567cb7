// parse_syslog_config and the factory: the keys documented in syslog_output.h.
#include <unistd.h>

#include <regex>
#include <set>

#include "outputs/syslog/syslog_output.h"

namespace peregrine::outputs {
namespace {

bool printable_ascii(const std::string& s) {
  for (char ch : s)
    if (ch < 33 || ch > 126) return false;
  return true;
}

std::string readable_file(config::NodeReader& r, const std::string& key) {
  std::string path = r.str(key, "");
  if (!path.empty() && ::access(path.c_str(), R_OK) != 0) r.fail(key, "cannot read " + path);
  return path;
}

SyslogTls parse_tls(config::NodeReader& node, bool tls) {
  if (!tls && node.has("tls")) node.fail("tls", "only with protocol: tls");
  config::NodeReader t = node.sub("tls");
  SyslogTls c;
  c.ca_file = readable_file(t, "ca_file");
  c.cert_file = readable_file(t, "cert_file");
  c.key_file = readable_file(t, "key_file");
  if (c.cert_file.empty() != c.key_file.empty())
    t.fail(c.cert_file.empty() ? "key_file" : "cert_file", "cert_file and key_file go together (mutual TLS)");
  c.server_name = t.str("server_name", "");
  c.insecure_skip_verify = t.boolean("insecure_skip_verify", false);
  t.finish();
  return c;
}

// SD-ID = sd_id@enterprise_id: an SD-NAME of at most 32 characters in all.
void parse_sd(config::NodeReader& node, SyslogConfig& c) {
  c.sd_id = node.str("sd_id", c.sd_id);
  if (c.sd_id.empty() || c.sd_id.find('@') != std::string::npos || sd_name(c.sd_id) != c.sd_id)
    node.fail("sd_id", "must be an SD-NAME: printable ASCII without '@', '=', ' ', ']' or '\"'");
  c.enterprise_id = node.str("enterprise_id", c.enterprise_id);
  static const std::regex pen(R"([0-9]+(\.[0-9]+)*)");
  if (!std::regex_match(c.enterprise_id, pen)) node.fail("enterprise_id", "must be a private enterprise number (32473)");
  if (c.sd_id.size() + 1 + c.enterprise_id.size() > 32)
    node.fail("sd_id", "sd_id@enterprise_id must be at most 32 characters");
  c.sd_fields = node.strings("sd_fields");
  std::set<std::string> names{"rule", "priority", "source", "uuid"};
  for (const auto& f : c.sd_fields) {
    try {
      (void)Template::parse("{{" + f + "}}");
    } catch (const std::invalid_argument&) {
      node.fail("sd_fields", "'" + f + "' is not a Falco field name");
    }
    if (!names.insert(sd_name(f)).second)
      node.fail("sd_fields", "'" + f + "' gives the parameter name '" + sd_name(f) + "' twice");
  }
}

void parse_message(config::NodeReader& node, SyslogConfig& c) {
  const int facility = syslog_facility(node.str("facility", "local0"));
  if (facility < 0) node.fail("facility", "expected kern, user, ..., local0..local7, or a number 0..23");
  c.facility = facility;
  c.app_name = node.str("app_name", c.app_name);
  if (c.app_name.empty() || c.app_name.size() > 48 || !printable_ascii(c.app_name))
    node.fail("app_name", "must be 1..48 printable ASCII characters");
  c.hostname = read_template(node, "hostname", "{{hostname}}", Escape::kNone);
  c.msgid = read_template(node, "msgid", "{{rule}}", Escape::kNone);
  c.json = node.choice("format", "json", {"json", "text"}) == "json";
  if (c.json && node.has("text")) node.fail("text", "only with format: text (format json sends the alert's JSON)");
  c.text = read_template(node, "text", "{{output}}", Escape::kNone);
  c.utf8_bom = node.boolean("utf8_bom", false);
  parse_sd(node, c);
}

}  // namespace

SyslogConfig parse_syslog_config(config::NodeReader& node) {
  SyslogConfig c;
  const std::string protocol = node.choice("protocol", "udp", {"udp", "tcp", "tls"});
  c.protocol = protocol == "tls" ? SyslogProtocol::kTls : protocol == "tcp" ? SyslogProtocol::kTcp : SyslogProtocol::kUdp;
  const bool udp = c.protocol == SyslogProtocol::kUdp;
  c.host = node.str("host", c.host);
  if (c.host.empty() || !printable_ascii(c.host)) node.fail("host", "must be a host name or an IP address");
  c.port = static_cast<int>(node.integer("port", c.protocol == SyslogProtocol::kTls ? 6514 : 514, 1, 65535));
  parse_message(node, c);
  // UDP: RFC 5426 receivers take 480 bytes at least and should take 2048; a datagram is at most 65507.
  c.max_message_bytes = static_cast<size_t>(
      node.bytes("max_message_bytes", udp ? 2048 : 8192, 480, udp ? 65000 : (1 << 20)));
  c.timeout = std::chrono::milliseconds(node.integer("timeout_ms", 5000, 100, 600'000));
  c.tls = parse_tls(node, c.protocol == SyslogProtocol::kTls);
  return c;
}

std::unique_ptr<Output> make_syslog_output(OutputCommon common, config::NodeReader& node) {
  SyslogConfig c = parse_syslog_config(node);
  try {
    return std::make_unique<SyslogOutput>(std::move(common), std::move(c));
  } catch (const config::ConfigError&) {
    throw;
  } catch (const std::runtime_error& e) {
    node.fail("tls", e.what());  // OpenSSL could not use a CA, certificate or key file
  }
}

}  // namespace peregrine::outputs
