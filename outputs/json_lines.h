// Line renderings of an alert shared by the line-oriented outputs (file, stdout).
#pragma once

#include <span>
#include <string>

#include "common/alert.h"
#include "outputs/output.h"

namespace peregrine::outputs {

/// Falco's JSON alert (plus uuid) on one line, terminated by '\n'. Keys sorted, so the bytes are stable.
std::string alert_json_line(const Alert& alert);

/// Falco-like text line: "<RFC 3339 time>: <Priority> <output>\n".
std::string alert_text_line(const Alert& alert);

/// The whole batch as one payload of lines (JSON or text), carrying every index; `target` names it in logs.
Formatted lines_payload(std::span<const Alert> batch, bool text, std::string target);

}  // namespace peregrine::outputs
