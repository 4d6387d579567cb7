#include "outputs/json_lines.h"

#include "common/alert_text.h"

namespace peregrine::outputs {

std::string alert_json_line(const Alert& alert) {
  // Invalid UTF-8 becomes U+FFFD: output fields come from the kernel and can hold any bytes.
  std::string line = alert_json_text(alert);
  line.push_back('\n');
  return line;
}

std::string alert_text_line(const Alert& alert) {
  std::string line = format_rfc3339_ns(alert.time_ns);
  line += ": ";
  line += priority_name(alert.priority);
  line += ' ';
  line += alert.output;
  line.push_back('\n');
  return line;
}

Formatted lines_payload(std::span<const Alert> batch, bool text, std::string target) {
  Payload p;
  p.content_type = text ? "text/plain" : "application/x-ndjson";
  p.target = std::move(target);
  for (size_t i = 0; i < batch.size(); ++i) {
    p.body += text ? alert_text_line(batch[i]) : alert_json_line(batch[i]);
    p.items.push_back(i);
  }
  Formatted f;
  f.payloads.push_back(std::move(p));
  return f;
}

}  // namespace peregrine::outputs
