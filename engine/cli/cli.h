// The peregrine-engine command line: flag parsing and the offline commands (--validate, --list-fields,
// --replay). Daemon mode is dispatched by engine/main.cpp so that this library never depends on the runtime.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace peregrine::engine {

struct CliOptions {
  enum class Command { kDaemon, kValidate, kListFields, kReplay, kVersion, kExit } command = Command::kDaemon;
  int exit_code = 0;                       // for kExit (--help or a parse error)
  std::string config_path = "config/peregrine.yaml";
  std::vector<std::string> validate_files;
  std::vector<std::string> rules_files;
  std::string replay_path;
  bool json = false;
  std::string rule_matching = "first";     // first | all
  std::string min_priority = "debug";
  std::vector<std::string> disable_rules;  // names or '*' patterns
  std::vector<std::string> enable_rules;
  std::vector<std::string> disable_tags;
  std::string hostname;                    // empty = gethostname()
  std::string ready_file;                  // daemon: JSON with the bound admin port, once serving
};

/// Parses argv with CLI11. --help and errors give Command::kExit with the text already printed to out/err.
CliOptions parse_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// `--validate FILE... [--json]`: loads the files together; exit 0 iff no errors.
int run_validate(const CliOptions& opts, std::ostream& out);

/// `--list-fields [--json]`.
int run_list_fields(const CliOptions& opts, std::ostream& out);

/// `--rules FILE... --replay EVENTS.jsonl`: one Falco JSON alert per line on `out`; bad lines on `err` with
/// their line number (processing continues). Exit 0 unless the rules or the events file cannot be loaded.
int run_replay(const CliOptions& opts, std::ostream& out, std::ostream& err);

/// Runs a non-daemon command (everything but kDaemon).
int run_offline_command(const CliOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace peregrine::engine
