#include "engine/cli/cli.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "common/alert.h"
#include "common/event.h"
#include "common/event_json.h"
#include "engine/fields/registry.h"
#include "engine/rules/reader.h"
#include "engine/rules/rule_engine.h"

namespace peregrine::engine {
namespace {

nlohmann::json rules_json(const RuleEngine& engine) {
  auto arr = nlohmann::json::array();
  for (const auto& r : engine.rules()) {
    arr.push_back({{"name", r->name},
                   {"source", r->source},
                   {"priority", priority_name(r->priority)},
                   {"enabled", engine.is_enabled(r->name)},
                   {"tags", r->tags},
                   {"evttypes", names(r->evttypes)}});
  }
  return arr;
}

/// Applies --rule-matching, --min-priority and the enable/disable flags. Returns false (message in err) on a
/// bad value.
bool configure(RuleEngine& engine, const CliOptions& opts, std::ostream& err) {
  if (opts.rule_matching == "first") {
    engine.set_rule_matching(RuleMatching::kFirst);
  } else if (opts.rule_matching == "all") {
    engine.set_rule_matching(RuleMatching::kAll);
  } else {
    err << "invalid --rule-matching '" << opts.rule_matching << "': expected first or all\n";
    return false;
  }
  auto p = parse_priority(opts.min_priority);
  if (!p) {
    err << "invalid --min-priority '" << opts.min_priority << "': " << p.error().message << "\n";
    return false;
  }
  engine.set_min_priority(*p);
  if (!opts.hostname.empty()) engine.set_hostname(opts.hostname);
  for (const auto& t : opts.disable_tags) engine.enable_rules_by_tag(t, false);
  for (const auto& n : opts.disable_rules) engine.enable_rules(n, false);
  for (const auto& n : opts.enable_rules) engine.enable_rules(n, true);
  return true;
}

const char* source_name(EventSource s) { return s == EventSource::kK8sAudit ? "k8s_audit" : "syscall"; }

}  // namespace

CliOptions parse_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CliOptions opts;
  CLI::App app{"peregrine-engine: evaluates Falco rules over sensor events and publishes alerts"};
  bool version = false, list_fields = false;
  app.add_option("-c,--config", opts.config_path, "daemon configuration file");
  app.add_option("-V,--validate", opts.validate_files, "validate rules files (loaded together, in order)");
  app.add_option("-r,--rules", opts.rules_files, "rules files for --replay (loaded together, in order)");
  app.add_option("--replay", opts.replay_path, "replay a JSONL events file through the rules; alerts on stdout");
  app.add_flag("--list-fields", list_fields, "list the supported condition/output fields");
  app.add_flag("--json", opts.json, "JSON output for --validate / --list-fields");
  app.add_option("--rule-matching", opts.rule_matching, "first|all (replay)");
  app.add_option("--min-priority", opts.min_priority, "minimum rule priority to enable (replay)");
  app.add_option("-D,--disable-rule", opts.disable_rules, "disable rules by name or '*' pattern (replay)");
  app.add_option("-E,--enable-rule", opts.enable_rules, "enable rules by name or '*' pattern (replay)");
  app.add_option("-T,--disable-tag", opts.disable_tags, "disable rules carrying this tag (replay)");
  app.add_option("--hostname", opts.hostname, "hostname put into alerts (default: this host)");
  app.add_flag("-v,--version", version, "print the version");
  app.add_option("--ready-file", opts.ready_file,
                 "daemon: once serving, write the bound admin port as JSON (for supervisors and tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    opts.command = CliOptions::Command::kExit;
    opts.exit_code = app.exit(e, out, err);
    return opts;
  }
  if (version) {
    opts.command = CliOptions::Command::kVersion;
  } else if (!opts.validate_files.empty()) {
    opts.command = CliOptions::Command::kValidate;
  } else if (list_fields) {
    opts.command = CliOptions::Command::kListFields;
  } else if (!opts.replay_path.empty()) {
    opts.command = CliOptions::Command::kReplay;
    if (opts.rules_files.empty()) {
      err << "--replay needs at least one --rules FILE\n";
      opts.command = CliOptions::Command::kExit;
      opts.exit_code = 2;
    }
  }
  return opts;
}

int run_validate(const CliOptions& opts, std::ostream& out) {
  RuleEngine engine;
  LoadResult res = engine.load_files(opts.validate_files);
  if (opts.json) {
    nlohmann::json j = res.to_json();
    j["rules"] = rules_json(engine);
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    out << res.to_text();
  }
  return res.successful() ? 0 : 1;
}

int run_list_fields(const CliOptions& opts, std::ostream& out) {
  const FieldRegistry& reg = builtin_fields();
  if (opts.json) {
    auto arr = nlohmann::json::array();
    reg.for_each_field([&](const FieldInfo& f) {
      arr.push_back({{"name", f.name},
                     {"type", field_type_name(f.type)},
                     {"source", source_name(f.source)},
                     {"arg_required", f.has(kFieldArgRequired)},
                     {"arg_allowed", f.has(kFieldArgAllowed) || f.has(kFieldArgRequired)},
                     {"is_list", f.has(kFieldIsList)},
                     {"deprecated", f.has(kFieldDeprecated)},
                     {"description", f.description}});
    });
    out << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  reg.for_each_field([&](const FieldInfo& f) {
    out << f.name;
    if (f.has(kFieldArgRequired)) out << "[ARG]";
    out << " (" << field_type_name(f.type) << ", " << source_name(f.source) << ")";
    if (f.has(kFieldDeprecated)) out << " [deprecated]";
    out << "\n    " << f.description << "\n";
  });
  return 0;
}

int run_replay(const CliOptions& opts, std::ostream& out, std::ostream& err) {
  RuleEngine engine;
  LoadResult res = engine.load_files(opts.rules_files);
  if (!res.successful()) {
    err << res.to_text();
    return 1;
  }
  if (!res.warnings.empty()) err << res.to_text();
  if (!configure(engine, opts, err)) return 2;
  std::ifstream in(opts.replay_path);
  if (!in) {
    err << "cannot read events file " << opts.replay_path << "\n";
    return 1;
  }
  Event evt;
  std::vector<Alert> alerts;
  std::string line;
  size_t line_no = 0, bad = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (auto r = event_from_json_line(line, evt); !r) {
      err << opts.replay_path << ":" << line_no << ": " << r.error().message << "\n";
      ++bad;
      continue;
    }
    alerts.clear();
    engine.process(evt, alerts);
    for (const auto& a : alerts) {
      nlohmann::json j = a;
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
  }
  if (bad > 0) err << bad << " bad line(s) skipped\n";
  return 0;
}

int run_offline_command(const CliOptions& opts, std::ostream& out, std::ostream& err) {
  switch (opts.command) {
    case CliOptions::Command::kValidate:
      return run_validate(opts, out);
    case CliOptions::Command::kListFields:
      return run_list_fields(opts, out);
    case CliOptions::Command::kReplay:
      return run_replay(opts, out, err);
    case CliOptions::Command::kVersion:
      out << "peregrine-engine " << PEREGRINE_VERSION << " (Falco rules engine version " << kEngineVersion.str()
          << ")\n";
      return 0;
    case CliOptions::Command::kExit:
      return opts.exit_code;
    case CliOptions::Command::kDaemon:
      break;
  }
  err << "daemon mode is started by main()\n";
  return 2;
}

}  // namespace peregrine::engine
