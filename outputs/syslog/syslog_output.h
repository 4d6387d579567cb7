// Syslog: one RFC 5424 message per alert over UDP (RFC 5426), TCP (RFC 6587 octet counting) or TLS (RFC 5425).
//
//   - type: syslog
//     protocol: udp                # udp | tcp | tls
//     host: 127.0.0.1
//     port: 514                    # default 514 (udp, tcp), 6514 (tls)
//     facility: local0             # kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp audit
//                                  #   alert clock local0..local7, or 0..23; PRI = facility * 8 + severity
//     app_name: peregrine          # APP-NAME, 1..48 printable ASCII
//     hostname: "{{hostname}}"     # HOSTNAME template (the alert's host); printable ASCII, ≤ 255, "" → "-"
//     msgid: "{{rule}}"            # MSGID template; spaces and other non-printable characters become '_',
//                                  #   at most 32 characters, "" → "-"
//     format: json                 # MSG: json = the Falco JSON alert (with uuid) | text = the `text` template
//     text: "{{output}}"           # MSG template for format: text
//     utf8_bom: false              # start MSG with a BOM (RFC 5424 §6.4 asks for it with UTF-8; most receivers
//                                  #   keep it as part of the text, which breaks JSON consumers)
//     sd_id: peregrine             # SD-ID = <sd_id>@<enterprise_id>
//     enterprise_id: "32473"       # a private enterprise number; 32473 is the one RFC 5612 reserves for
//                                  #   documentation: use your organisation's own PEN in production
//     sd_fields: []                # output fields added to the SD element (proc.name, container.id, ...)
//     max_message_bytes: 2048      # per message (default 2048 udp, 8192 tcp/tls): MSG is cut and ends with
//                                  #   "...(truncated)"; the header and SD never are
//     timeout_ms: 5000             # one send(): connect, TLS handshake and write together
//     tls:                         # protocol: tls
//       ca_file: ""                # trust these CAs instead of the system's
//       cert_file: ""              # client certificate (mutual TLS), with key_file
//       key_file: ""
//       server_name: ""            # name checked in the server's certificate (default host; an IP checks the IP)
//       insecure_skip_verify: false  # no certificate check at all (warned about at start)
//
// Message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [peregrine@32473 rule="..." priority="..." source="..."
// uuid="..." proc.name="..."] MSG. TIMESTAMP is the alert's time, RFC 3339 UTC with microseconds (RFC 5424
// allows six fractional digits), so format() is pure. Severity = Falco priority (Emergency 0 ... Debug 7).
// One connection is kept (reconnected after a failure or when the peer closed it); every send() is bounded by
// timeout_ms (non-blocking connect, handshake and writes under poll). Failures are reported as kConnect,
// kTimeout or kIo; an alert whose header and SD alone pass max_message_bytes is set aside ("too_large").
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "outputs/output.h"
#include "outputs/syslog/syslog_transport.h"

namespace peregrine::outputs {

struct SyslogConfig {
  SyslogProtocol protocol = SyslogProtocol::kUdp;
  std::string host = "127.0.0.1";
  int port = 514;
  int facility = 16;  // local0
  std::string app_name = "peregrine";
  Template hostname = Template::parse("{{hostname}}");
  Template msgid = Template::parse("{{rule}}");
  bool json = true;
  Template text = Template::parse("{{output}}");
  bool utf8_bom = false;
  std::string sd_id = "peregrine";
  std::string enterprise_id = "32473";
  std::vector<std::string> sd_fields;
  size_t max_message_bytes = 2048;
  std::chrono::milliseconds timeout{5000};
  SyslogTls tls;
};

SyslogConfig parse_syslog_config(config::NodeReader& node);
std::unique_ptr<Output> make_syslog_output(OutputCommon common, config::NodeReader& node);

/// Facility by name (kern .. local7) or number ("0".."23"); -1 when neither.
int syslog_facility(const std::string& name_or_number);
/// RFC 5424 severity of a Falco priority (Emergency 0 ... Debug 7).
int syslog_severity(Priority p);
/// An SD-PARAM value: '"', '\' and ']' escaped with a backslash, invalid UTF-8 as U+FFFD.
std::string sd_escape(std::string_view value);
/// `s` as an SD-NAME: printable ASCII except '=', ' ', ']', '"' (others become '_'), at most 32 characters.
std::string sd_name(std::string_view s);
/// `s` as a header field: printable ASCII (others become '_'), at most `max` characters, "" → "-".
std::string header_field(std::string_view s, size_t max);
/// TIMESTAMP: RFC 3339 UTC with microseconds ("2019-05-17T15:31:56.746609Z").
std::string syslog_timestamp(uint64_t time_ns);
/// The message of one alert (no framing), or "" when its header and SD alone pass max_message_bytes.
std::string syslog_message(const SyslogConfig& c, const Alert& a);
/// TCP and TLS framing (RFC 6587 / RFC 5425 octet counting): "LEN SP MSG".
std::string octet_counted(std::string_view message);

class SyslogOutput final : public Output {
 public:
  SyslogOutput(OutputCommon common, SyslogConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  const SyslogConfig& config() const { return config_; }

 private:
  OutputCommon common_;
  SyslogConfig config_;
  std::string target_;
  std::mutex mu_;
  SyslogConnection conn_;
};

}  // namespace peregrine::outputs
