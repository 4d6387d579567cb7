// Alerts the engine raises itself rather than from rules: the sensor's drop report, which becomes Falco's
// "Falco internal: syscall event drop" alert (same rule name, output_fields named like Falco's scap counters), so
// tools that already watch for it in Falco's output keep working; and a rules reload that failed.
#pragma once

#include <string>

#include "common/alert.h"
#include "common/event.h"

namespace peregrine::engine {

inline constexpr const char* kDropAlertRule = "Falco internal: syscall event drop";
inline constexpr const char* kReloadFailedRule = "Falco internal: rules reload failed";

/// True for event types that are reports for the engine, not events for the rules.
bool is_internal_event(const Event& evt);

/// Fills `a` for an internal event (see is_internal_event). Returns false if the event is malformed. As in
/// Falco, of the output switches only the text's time format (`iso8601`) applies to internal alerts.
bool make_internal_alert(const Event& evt, const std::string& hostname, Alert& a, bool iso8601 = false);

/// The alert for a reload that failed (the previous rules stay in force): priority Error, tag
/// peregrine_internal, the load errors (file:line, as --validate words them) in output_fields "errors" and their
/// first line in the text, so that an operator who changed a rules file hears of it where the alerts go.
Alert make_reload_failed_alert(uint64_t time_ns, const std::string& hostname, const std::string& errors,
                               bool iso8601 = false);

}  // namespace peregrine::engine
