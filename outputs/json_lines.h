// Line renderings of an alert shared by the line-oriented outputs (file, stdout).
#pragma once

#include <string>

#include "common/alert.h"

namespace peregrine::outputs {

/// Falco's JSON alert (plus uuid) on one line, terminated by '\n'. Keys sorted, so the bytes are stable.
std::string alert_json_line(const Alert& alert);

/// Falco-like text line: "<RFC 3339 time>: <Priority> <output>\n".
std::string alert_text_line(const Alert& alert);

}  // namespace peregrine::outputs
