#include "outputs/json_lines.h"

#include <nlohmann/json.hpp>

namespace peregrine::outputs {

std::string alert_json_line(const Alert& alert) {
  nlohmann::json j = alert;
  // Replace invalid UTF-8 instead of throwing: output fields come from the kernel and can hold any bytes.
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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

}  // namespace peregrine::outputs
