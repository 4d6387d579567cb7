#include "outputs/chat/chat.h"

#include "common/json_writer.h"
#include "outputs/route.h"

namespace peregrine::outputs::chat {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Byte offset just past the first `n` characters of valid UTF-8 `s`.
size_t prefix_bytes(std::string_view s, size_t n) {
  size_t i = 0;
  while (i < s.size() && n > 0) {
    ++i;
    while (i < s.size() && continuation(static_cast<unsigned char>(s[i]))) ++i;
    --n;
  }
  return i;
}

// A value Falco prints for a field it could not resolve counts as absent.
std::string known(const Alert& a, const std::string& field) {
  auto v = field_text(a, field);
  if (!v || *v == "<NA>") return "";
  return *v;
}

}  // namespace

size_t char_count(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += continuation(c) ? 0 : 1;
  return n;
}

std::string truncate_visible(std::string_view s, size_t max_chars) {
  const std::string clean = JsonWriter::clean_utf8(s);
  if (char_count(clean) <= max_chars) return clean;
  const size_t marker = char_count(kTruncated);
  if (max_chars <= marker) return std::string(kTruncated.substr(0, prefix_bytes(kTruncated, max_chars)));
  std::string out = clean.substr(0, prefix_bytes(clean, max_chars - marker));
  // Never leave half an entity ("&am"): mrkdwn would show it as text.
  const size_t amp = out.rfind('&');
  if (amp != std::string::npos && amp + 6 > out.size() && out.find(';', amp) == std::string::npos) out.resize(amp);
  return out + std::string(kTruncated);
}

std::string_view priority_hex(Priority p) {
  switch (p) {
    case Priority::kEmergency:
    case Priority::kError: return "#e20b0b";
    case Priority::kAlert:
    case Priority::kCritical: return "#ff5400";
    case Priority::kWarning: return "#ffc700";
    case Priority::kNotice: return "#5bffb5";
    case Priority::kInformational: return "#68c2ff";
    case Priority::kDebug: return "#ccfff2";
  }
  return "#ccfff2";
}

std::string container_text(const Alert& a) {
  const std::string name = known(a, "container.name"), id = known(a, "container.id");
  if (name.empty()) return id;
  if (id.empty() || id == name) return name;
  return name + " (" + id + ")";
}

std::string process_text(const Alert& a) {
  const std::string cmdline = known(a, "proc.cmdline");
  return cmdline.empty() ? known(a, "proc.name") : cmdline;
}

std::vector<Fact> alert_facts(const Alert& a, const std::vector<std::string>& extra_fields, bool with_source_time,
                              Escape escape) {
  std::vector<Fact> facts;
  auto add = [&](const std::string& title, const std::string& value) {
    if (!value.empty()) facts.push_back(Fact{title, escape_text(value, escape)});
  };
  add("Rule", a.rule);
  add("Priority", std::string(priority_name(a.priority)));
  add("Host", a.hostname);
  if (with_source_time) add("Source", a.source);
  add("Container", container_text(a));
  add("Process", process_text(a));
  if (with_source_time) add("Time", format_rfc3339_ns(a.time_ns));
  for (const auto& f : extra_fields) add(f, known(a, f));
  return facts;
}

std::string render_or(const Template& t, const Alert& a, const std::string& fallback) {
  std::string s = t.render(a);
  return s.find_first_not_of(" \t\r\n") == std::string::npos ? fallback : s;
}

Formatted one_per_alert(std::span<const Alert> batch, const std::function<Payload(const Alert&)>& make) {
  Formatted f;
  for (size_t i = 0; i < batch.size(); ++i) {
    f.payloads.push_back(make(batch[i]));
    f.payloads.back().items = {i};
  }
  return f;
}

SendResult send_checked(HttpClient& http, const Payload& payload,
                        const std::function<std::optional<SendFailure>(const HttpResponse&)>& check_2xx) {
  auto o = http.perform(HttpClient::request_for(payload));
  SendResult r;
  if (o.failure) {
    r.failure = o.failure;
  } else if (!o.ok()) {
    r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                            response_snippet(o.response)};
  } else {
    r.failure = check_2xx(o.response);
  }
  return r;
}

}  // namespace peregrine::outputs::chat
