// The test alert of POST /test (Falcosidekick's /test): rule "Test rule", priority Debug, source "internal",
// tagged peregrine_test. It goes through the durable queue like any alert and reaches every output, whatever
// the output's route (Sidekick ignores minimumpriority for it) or storm control.
#pragma once

#include <string>

#include "common/alert.h"

namespace peregrine::router {

inline constexpr const char* kTestTag = "peregrine_test";

/// A fresh test alert (new uuid, the current time) from `hostname`.
Alert make_test_alert(const std::string& hostname);
/// True for alerts made by make_test_alert (source "internal" and the peregrine_test tag).
bool is_test_alert(const Alert& a);

}  // namespace peregrine::router
