// The syslog output's pure half: RFC 5424 messages from alerts, their fields and the TCP/TLS framing.
#include <ctime>

#include "common/alert_text.h"
#include "common/json_writer.h"
#include "outputs/route.h"
#include "outputs/syslog/syslog_output.h"

namespace peregrine::outputs {
namespace {

constexpr const char* kFacilities[] = {"kern",  "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
                                       "uucp",  "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
                                       "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::string_view kTruncated = "...(truncated)";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool printable_ascii(char ch) { return ch >= 33 && ch <= 126; }

std::string two(int v) {
  std::string s(v < 10 ? 1 : 0, '0');
  s += std::to_string(v);
  return s;
}

// The longest prefix of `s` of at most `max` bytes that does not end inside a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

void sd_param(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  out += sd_escape(value);
  out += '"';
}

std::string structured_data(const SyslogConfig& c, const Alert& a) {
  std::string sd = "[" + c.sd_id + "@" + c.enterprise_id;
  sd_param(sd, "rule", a.rule);
  sd_param(sd, "priority", priority_name(a.priority));
  sd_param(sd, "source", a.source);
  sd_param(sd, "uuid", a.uuid);
  for (const auto& f : c.sd_fields)
    if (auto v = field_text(a, f)) sd_param(sd, sd_name(f), *v);
  sd += ']';
  return sd;
}

}  // namespace

int syslog_facility(const std::string& s) {
  for (int i = 0; i < 24; ++i)
    if (s == kFacilities[i]) return i;
  if (s.empty() || s.size() > 2 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int n = std::stoi(s);
  return n <= 23 ? n : -1;
}

int syslog_severity(Priority p) {
  // Falco's priorities are syslog's severities, in the same order: Emergency 0 ... Debug 7.
  return static_cast<int>(p);
}

std::string sd_escape(std::string_view value) {
  std::string out;
  for (char ch : JsonWriter::clean_utf8(value)) {
    if (ch == '"' || ch == '\\' || ch == ']') out += '\\';
    out += ch;
  }
  return out;
}

std::string sd_name(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 32)) out += printable_ascii(ch) && ch != '=' && ch != ']' && ch != '"' ? ch : '_';
  return out;
}

std::string header_field(std::string_view s, size_t max) {
  std::string out;
  for (char ch : s.substr(0, max)) out += printable_ascii(ch) ? ch : '_';
  return out.empty() ? "-" : out;
}

std::string syslog_timestamp(uint64_t time_ns) {
  const std::time_t secs = static_cast<std::time_t>(time_ns / 1'000'000'000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string micros = std::to_string(time_ns % 1'000'000'000ull / 1000);
  micros.insert(0, 6 - micros.size(), '0');
  return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1) + "-" + two(tm.tm_mday) + "T" +
         two(tm.tm_hour) + ":" + two(tm.tm_min) + ":" + two(tm.tm_sec) + "." + micros + "Z";
}

std::string syslog_message(const SyslogConfig& c, const Alert& a) {
  const int pri = c.facility * 8 + syslog_severity(a.priority);
  std::string head(1, '<');
  head += std::to_string(pri);
  head += ">1 ";
  for (const std::string& field : {syslog_timestamp(a.time_ns), header_field(c.hostname.render(a), 255), c.app_name,
                                   std::string("-"), header_field(c.msgid.render(a), 32)}) {
    head += field;
    head += ' ';
  }
  head += structured_data(c, a);
  const std::string msg = c.json ? alert_json_text(a) : JsonWriter::clean_utf8(c.text.render(a));
  if (msg.empty()) return head.size() <= c.max_message_bytes ? head : "";
  head += ' ';
  if (c.utf8_bom) head += kBom;
  if (head.size() + msg.size() <= c.max_message_bytes) return head + msg;
  // Too long: MSG is cut where a character starts and says so; the header and SD stay whole.
  if (head.size() + kTruncated.size() > c.max_message_bytes) return "";
  head += utf8_prefix(msg, c.max_message_bytes - head.size() - kTruncated.size());
  head += kTruncated;
  return head;
}

std::string octet_counted(std::string_view message) {
  return std::to_string(message.size()) + " " + std::string(message);
}

}  // namespace peregrine::outputs
