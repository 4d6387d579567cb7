// The JSON form of an Event: one object per line (JSONL), for fixtures, replay and debugging.
//
// Written for people typing fixtures by hand: most fields are optional with defaults, syscall arguments are
// given by the parameter names of the event-type table, flags may be numbers or Falco-style text
// ("O_WRONLY|O_CREAT"), time may be RFC 3339 or epoch ns. The full key list and every default is in
// docs/wire-format.md, section "JSON form". Example:
//
//   {"type":"openat","ts":"2026-11-29T04:28:54.000000000Z","res":3,
//    "args":{"name":"/etc/shadow","flags":"O_RDONLY"},
//    "proc":{"name":"cat","exepath":"/usr/bin/cat","args":["/etc/shadow"],"pid":4242,"uid":0,"user":"root",
//            "ancestors":[{"name":"bash","pid":4100}]},
//    "fd":{"num":3,"type":"f","name":"/etc/shadow"},"container":{"id":"host"}}
//
// Parsing is strict: unknown keys, wrong types and out-of-range values are errors that name the field
// ("field 'proc.pid': expected unsigned integer"). to_json emits only non-default fields, and
// event_from_json(to_json(e)) == e for every event whose strings are valid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/event.h"
#include "common/result.h"

namespace peregrine {

void to_json(nlohmann::json& j, const Event& e);

/// Overwrites `out` (every field, defaults included) from `j`.
Result<void> event_from_json(const nlohmann::json& j, Event& out);

/// Parses one JSONL line.
Result<void> event_from_json_line(std::string_view line, Event& out);

/// One line, no trailing newline. Invalid UTF-8 in strings is replaced by U+FFFD (never throws).
std::string event_to_json_line(const Event& e);

}  // namespace peregrine
