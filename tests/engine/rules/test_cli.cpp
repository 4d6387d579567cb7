// The peregrine-engine command line: flag parsing and the offline commands, run in-process.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/cli/cli.h"

using namespace peregrine::engine;
namespace fs = std::filesystem;

namespace {

struct TempFile {
  fs::path path;
  TempFile(const std::string& name, const std::string& content) {
    path = fs::temp_directory_path() / ("peregrine_cli_" + std::to_string(getpid()) + "_" + name);
    std::ofstream(path) << content;
  }
  ~TempFile() { fs::remove(path); }
};

CliOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "peregrine-engine");
  std::ostringstream out, err;
  return parse_cli(static_cast<int>(args.size()), args.data(), out, err);
}

}  // namespace

TEST_CASE("cli: flag parsing picks the command") {
  CHECK(parse({}).command == CliOptions::Command::kDaemon);
  auto d = parse({"--config", "x.yaml"});
  CHECK(d.command == CliOptions::Command::kDaemon);
  CHECK(d.config_path == "x.yaml");
  auto v = parse({"--validate", "a.yaml", "b.yaml", "--json"});
  CHECK(v.command == CliOptions::Command::kValidate);
  CHECK(v.validate_files == std::vector<std::string>{"a.yaml", "b.yaml"});
  CHECK(v.json);
  CHECK(parse({"--list-fields"}).command == CliOptions::Command::kListFields);
  auto r = parse({"--rules", "r.yaml", "--replay", "e.jsonl", "--rule-matching", "all"});
  CHECK(r.command == CliOptions::Command::kReplay);
  CHECK(r.rule_matching == "all");
  auto noreplay = parse({"--replay", "e.jsonl"});
  CHECK(noreplay.command == CliOptions::Command::kExit);
  CHECK(noreplay.exit_code != 0);
  auto help = parse({"--help"});
  CHECK(help.command == CliOptions::Command::kExit);
  CHECK(help.exit_code == 0);
  auto bad = parse({"--no-such-flag"});
  CHECK(bad.command == CliOptions::Command::kExit);
  CHECK(bad.exit_code != 0);
  CHECK(parse({"--version"}).command == CliOptions::Command::kVersion);
}

TEST_CASE("cli: --validate text report (golden) and exit status") {
  TempFile good("good.yaml", "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n");
  TempFile bad("bad.yaml",
               "- macro: m\n  condition: evt.type = open\n\n- rule: r\n  desc: d\n  condition: >\n    evt.type = open and"
               "\n    proc.name = \n  output: o\n  priority: info\n");
  CliOptions opts;
  opts.validate_files = {good.path.string()};
  std::ostringstream out;
  CHECK(run_validate(opts, out) == 0);
  CHECK(out.str() == good.path.string() + ": Ok\n");

  opts.validate_files = {bad.path.string()};
  std::ostringstream out2;
  CHECK(run_validate(opts, out2) == 1);
  const std::string f = bad.path.string();
  CHECK(out2.str() ==
        f + ": Invalid\n"
            "1 Errors:\n"
            "In rules content: (" + f + ":0:0)\n"
            "    rule 'r': (" + f + ":4:3)\n"
            "    condition expression: (\"(evt.type = open and proc.name = \n)\":2:1)\n"
            "------\n"
            "- rule: r\n  desc: d\n  condition: >\n    evt.type = open and\n    proc.name = \n  output: o\n"
            "  priority: info\n"
            "------\n"
            "LOAD_ERR_COMPILE_CONDITION (Error compiling condition): expected a string value or a field with a valid transformer\n");
}

TEST_CASE("cli: --validate --json lists rules with sorted event types") {
  TempFile rules("rules.yaml",
                 "- macro: opens\n  condition: evt.type in (openat, open)\n"
                 "- rule: A\n  desc: d\n  condition: opens or evt.type = execve\n  output: o\n  priority: info\n"
                 "  tags: [b, a]\n"
                 "- rule: B\n  desc: d\n  condition: evt.type = connect\n  output: o\n  priority: CRITICAL\n"
                 "  enabled: false\n"
                 "- list: unused\n  items: [x]\n");
  CliOptions opts;
  opts.validate_files = {rules.path.string()};
  opts.json = true;
  std::ostringstream out;
  CHECK(run_validate(opts, out) == 0);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j["successful"] == true);
  CHECK(j["errors"].empty());
  REQUIRE(j["warnings"].size() == 1);
  CHECK(j["warnings"][0]["code"] == "LOAD_UNUSED_LIST");
  CHECK(j["warnings"][0]["line"] == 15);
  REQUIRE(j["rules"].size() == 2);
  CHECK(j["rules"][0] == nlohmann::json::parse(R"({"name":"A","source":"syscall","priority":"Informational",
      "enabled":true,"tags":["a","b"],"evttypes":["execve","open","openat"]})"));
  CHECK(j["rules"][1]["enabled"] == false);
  CHECK(j["rules"][1]["evttypes"] == nlohmann::json::array({"connect"}));
}

TEST_CASE("cli: --validate of a missing file fails with LOAD_ERR_FILE_READ") {
  CliOptions opts;
  opts.validate_files = {"/nonexistent/rules.yaml"};
  opts.json = true;
  std::ostringstream out;
  CHECK(run_validate(opts, out) == 1);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j["errors"][0]["code"] == "LOAD_ERR_FILE_READ");
}

TEST_CASE("cli: --list-fields text and JSON") {
  CliOptions opts;
  std::ostringstream out;
  CHECK(run_list_fields(opts, out) == 0);
  CHECK(out.str().find("proc.name") != std::string::npos);
  opts.json = true;
  std::ostringstream jout;
  CHECK(run_list_fields(opts, jout) == 0);
  auto j = nlohmann::json::parse(jout.str());
  REQUIRE(j.is_array());
  bool found = false;
  for (const auto& f : j) found = found || f["name"] == "fd.name";
  CHECK(found);
  CHECK(j.size() > 50);
}
