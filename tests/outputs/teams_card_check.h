// Checks an Adaptive Card with Microsoft's own parser (tests/receivers/teams/validate_card.js on the npm
// adaptivecards library): used by the teams output's tests and by the Teams fake of the integration tests.
// Callers skip (PEREGRINE_SKIP) when Receiver::unavailable("adaptivecards") says the library is not built.
#pragma once

#include <string>

#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace peregrine::testing {

/// "" when `card_json` (the card itself: attachments[0].content) is a valid card for Teams, else the
/// validator's problems, one per line.
inline std::string card_problems(const std::string& card_json) {
  TempDir dir;
  const auto file = dir / "card.json";
  write_file(file, card_json);
  const std::string script = std::string(PEREGRINE_SOURCE_DIR) + "/tests/receivers/teams/validate_card.js";
  // run_command gives the child /dev/null as stdin: the shell redirects the card file instead.
  auto r = run_command("sh", {"-c", "exec node \"$0\" < \"$1\"", script, file.string()}, std::chrono::seconds(60));
  if (r.rc == 0 && r.out.rfind("OK", 0) == 0) return "";
  return r.out.empty() ? "validate_card.js exited " + std::to_string(r.rc) + ": " + r.err : r.out;
}

}  // namespace peregrine::testing
