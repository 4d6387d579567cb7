// Names that are valid `evt.type` values in Falco but that Peregrine does not capture: Linux syscalls without a
// dedicated event (libs maps them to the generic event) and libs/async event names. `evt.type = kill` must load
// and simply never match, rather than fail with "unknown event type".
#pragma once

#include <span>
#include <string_view>

namespace peregrine::engine {

/// Sorted (for binary search).
std::span<const std::string_view> uncaptured_event_names();

}  // namespace peregrine::engine
