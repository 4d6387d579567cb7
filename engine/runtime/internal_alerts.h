// Alerts the engine raises itself rather than from rules: today the sensor's drop report, which becomes
// Falco's "Falco internal: syscall event drop" alert (same rule name, output_fields named like Falco's scap
// counters), so tools that already watch for it in Falco's output keep working.
#pragma once

#include <string>

#include "common/alert.h"
#include "common/event.h"

namespace peregrine::engine {

inline constexpr const char* kDropAlertRule = "Falco internal: syscall event drop";

/// True for event types that are reports for the engine, not events for the rules.
bool is_internal_event(const Event& evt);

/// Fills `a` for an internal event (see is_internal_event). Returns false if the event is malformed. As in
/// Falco, of the output switches only the text's time format (`iso8601`) applies to internal alerts.
bool make_internal_alert(const Event& evt, const std::string& hostname, Alert& a, bool iso8601 = false);

}  // namespace peregrine::engine
