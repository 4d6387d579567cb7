// The ready file (`--ready-file PATH` on every binary): once a process serves, it writes what it bound — admin
// port, intake port, ZeroMQ endpoints — as one JSON object, atomically (tmp + rename). Supervisors and tests
// start processes on port 0 and read the real ports back here instead of guessing a free port beforehand.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace peregrine {

/// Remembers where announce_ready() writes ("" = nowhere). Called by the command-line parsers.
void set_ready_file(std::string path);
/// Writes `info` plus "pid" to the ready file, if one was set. Errors name the path.
Result<void> announce_ready(nlohmann::json info);

}  // namespace peregrine
