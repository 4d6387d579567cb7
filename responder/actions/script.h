// script — runs a local command (an argv list, no shell) with the Falco JSON alert on stdin.
//
//   parameters:
//     command: [/usr/local/bin/isolate.sh, --reason, falco]   # argv; command[0] is an absolute path
//     timeout: 10s             # then SIGKILL (the outcome is "failed: timeout")
//     env: {KEY: value}        # the environment (nothing else is inherited but PATH)
//
// Exit status 0 = done; another status or a signal = failed, with the first bytes of its output. The child runs
// in its own process group, so a timeout kills whatever it started too.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "responder/actions/actionner.h"

namespace peregrine::responder {

struct ScriptParams {
  std::vector<std::string> command;
  std::chrono::milliseconds timeout{10'000};
  std::vector<std::pair<std::string, std::string>> env;
};

struct ScriptRun {
  int exit_code = -1;     // -1 when killed by a signal or on timeout
  int signal = 0;
  bool timed_out = false;
  std::string output;     // stdout + stderr, at most kMaxScriptOutput bytes
  std::string error;      // spawn failure
};

inline constexpr size_t kMaxScriptOutput = 4096;

/// Runs `p.command` with `input` on stdin and waits for it (or its timeout). Never throws.
ScriptRun run_script(const ScriptParams& p, const std::string& input);

ScriptParams parse_script(config::NodeReader& params);

class Script final : public Actionner {
 public:
  explicit Script(ScriptParams p) : p_(std::move(p)) {}
  std::string_view kind() const override { return "script"; }
  ActionResult run(const Alert& alert, bool dry_run) override;

 private:
  ScriptParams p_;
};

}  // namespace peregrine::responder
