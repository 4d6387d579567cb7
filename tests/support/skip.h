// Honest skips: a test that cannot run here says why on stdout with the fixed marker "SKIPPED: " and returns.
// Every test executable is registered with ctest's SKIP_REGULAR_EXPRESSION "SKIPPED: " (cmake/Peregrine.cmake),
// so ctest reports it as *skipped*, never as passed. Shell-driven tests exit 77 instead (SKIP_RETURN_CODE).
// Under CI=true, `make test` fails when any test was skipped (scripts/ctest-report.sh).
#pragma once

#include <sstream>
#include <string>

namespace peregrine::testing {

/// The marker ctest looks for. Never print it for any other reason.
inline constexpr const char* kSkipMarker = "SKIPPED: ";

/// Prints "SKIPPED: <why>" on stdout (flushed).
void print_skip(const std::string& why);

}  // namespace peregrine::testing

/// Skips the current test case: prints the marker and the streamed reason, then returns.
#define PEREGRINE_SKIP(why_stream)                        \
  do {                                                    \
    std::ostringstream pg_skip_reason_;                   \
    pg_skip_reason_ << why_stream;                        \
    ::peregrine::testing::print_skip(pg_skip_reason_.str()); \
    return;                                               \
  } while (0)

/// For helpers that report "cannot run" to their caller: prints the marker and the streamed reason only; the
/// caller returns.
#define PEREGRINE_SKIP_NOTE(why_stream)                   \
  do {                                                    \
    std::ostringstream pg_skip_reason_;                   \
    pg_skip_reason_ << why_stream;                        \
    ::peregrine::testing::print_skip(pg_skip_reason_.str()); \
  } while (0)
