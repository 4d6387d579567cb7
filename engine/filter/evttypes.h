// Event-type set algebra over a condition (which event types can a rule ever match?).
//
// Mirrors libs ppm_event_codes(): and intersects, or unions, not is pushed down to the leaves (De Morgan);
// only evt.type / syscall.type checks without argument and with = == != in narrow the set; every other
// check is neutral (ALL, never complemented); evt.num = 0 can never be true (empty set).
#pragma once

#include <bitset>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_types.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

using EventTypeSet = std::bitset<static_cast<size_t>(EventType::kCount)>;

/// The set of event types the condition can match. Unknown but valid syscall names contribute nothing.
/// Call after macro substitution.
EventTypeSet event_types(const Ast& ast);

/// Every known event type (kUnknown excluded).
EventTypeSet all_event_types();

/// Sorted Falco names of the types in `set`.
std::vector<std::string> names(const EventTypeSet& set);

/// True if `name` is an event or syscall name valid in Falco (captured by us or not).
bool is_known_event_name(std::string_view name);

/// True if `name` is a valid Linux syscall / libs event name that Peregrine does not capture.
bool is_uncaptured_event_name(std::string_view name);

}  // namespace peregrine::engine
