// docs/configuration.md is checked against the code's defaults: for every documented key with a default, a
// config that sets the key to the documented default must load to exactly what an empty config loads to. A
// default changed in the code (or in the docs) alone fails here, naming the key.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "tests/support/files.h"

using namespace peregrine;

namespace {

struct Row {
  std::string section;  // sensor, engine, router, or "*" for the common blocks (log, http)
  std::string key;      // dotted inside the section, e.g. queue.fsync
  std::string value;    // documented default, backticks removed
  int line = 0;
};

std::string strip_ticks(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '`'), s.end());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

// Table rows of the documented sections. Rows naming several keys ("`log`, `http`", "`a` / `.b`") or without a
// plain default ("required", "see above", a list of destinations) are not checkable this way and are skipped.
std::vector<Row> documented_rows() {
  std::ifstream in(std::string(PEREGRINE_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in.good());
  std::vector<Row> rows;
  std::string line, section, block;
  int n = 0;
  const std::regex heading(R"(^##+ `([a-z_.]+)`)");
  const std::regex row(R"(^\| `([a-z_.]+)` \| (.*?) \| .*\|$)");
  std::smatch m;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("## Common blocks", 0) == 0) section = "*";
    if (std::regex_search(line, m, heading)) section = m[1];
    if (line.rfind("`log` (in each section)", 0) == 0) block = "log";
    if (line.rfind("`http` (in each section)", 0) == 0) block = "http";
    const bool checked_section = section == "*" || section == "sensor" || section == "engine" || section == "router" ||
                                 section == "router.fault_injection";
    if (!checked_section || !std::regex_search(line, m, row)) continue;
    std::string key = m[1], value = m[2];
    if (value == "required" || value.find("see ") == 0 || key == "outputs" || key == "append_output") continue;
    if (section == "*") key = block + "." + key;
    if (section == "router.fault_injection") {
      section = "router";
      key = "fault_injection." + key;
    }
    rows.push_back({section, key, value, n});
    if (key.rfind("fault_injection.", 0) == 0) section = "router.fault_injection";
  }
  return rows;
}

// "a.b.c: v" as nested YAML under `section`.
std::string yaml_for(const std::string& section, const std::string& dotted, const std::string& value) {
  std::vector<std::string> parts;
  std::stringstream ss(dotted);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  std::string y = section + ":\n";
  std::string indent = "  ";
  for (size_t i = 0; i + 1 < parts.size(); ++i, indent += "  ") y += indent + parts[i] + ":\n";
  return y + indent + parts.back() + ": " + value + "\n";
}

// The documented value for `section` ("sensor `127.0.0.1:9101`, engine `...`" style cells pick their own).
std::string value_for(const Row& r, const std::string& section) {
  const std::regex per_section(section + R"( `([^`]*)`)");
  std::smatch m;
  if (std::regex_search(r.value, m, per_section)) return m[1];
  std::string v = strip_ticks(r.value);
  if (v.empty() || v == "\"\"") return "\"\"";
  return v;
}

bool same_section(const config::PeregrineConfig& a, const config::PeregrineConfig& b, const std::string& s) {
  if (s == "sensor") return a.sensor == b.sensor;
  if (s == "engine") return a.engine == b.engine;
  return a.router == b.router;
}

}  // namespace

TEST_CASE("docs/configuration.md states the code's defaults for every key with a default") {
  const auto rows = documented_rows();
  REQUIRE(rows.size() > 40);  // the parser found the tables
  const auto defaults = config::parse_config("", "empty.yaml");
  size_t checked = 0;
  for (const auto& r : rows) {
    const std::vector<std::string> sections =
        r.section == "*" ? std::vector<std::string>{"sensor", "engine", "router"} : std::vector<std::string>{r.section};
    for (const auto& s : sections) {
      const std::string text = yaml_for(s, r.key, value_for(r, s));
      INFO("docs/configuration.md:" << r.line << ": " << s << "." << r.key << " documented as " << r.value);
      auto cfg = config::try_parse_config(text, "documented.yaml");
      REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
      CHECK_MESSAGE(same_section(*cfg, defaults, s), "the code's default differs from the documented one");
      ++checked;
    }
  }
  MESSAGE(checked << " documented defaults checked");
  CHECK(checked > 45);
}

TEST_CASE("the documented-defaults check can fail: a wrong default is noticed") {
  const auto defaults = config::parse_config("", "empty.yaml");
  auto cfg = config::parse_config("sensor:\n  proc_table_max: 32768\n", "wrong.yaml");
  CHECK_FALSE(cfg.sensor == defaults.sensor);
}
