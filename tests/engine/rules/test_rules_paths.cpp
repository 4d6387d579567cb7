// rules_files entries that are directories (Falco's rules.d): *.yaml/*.yml directly inside, in name order;
// other files and subdirectories skipped; entries that cannot be read are errors naming the config position.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/event_json.h"
#include "engine/rules/rule_engine.h"
#include "engine/rules/rules_paths.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::engine;
using peregrine::testing::TempDir;
using peregrine::testing::write_file;

namespace {

// 20-append.yaml appends to the rule 10-rule.yml defines, which loads only in name order (appending to a rule
// not yet defined is an error); the files are created out of that order. The skipped ones would break the load
// if they were read.
void make_rules_dir(const std::filesystem::path& d) {
  std::filesystem::create_directories(d);
  write_file(d / "20-append.yaml",
             "- rule: Shadow read\n  condition: and fd.name = /etc/shadow\n  override:\n    condition: append\n");
  write_file(d / "notes.txt", "not: [valid yaml\n");
  write_file(d / "10-rule.yml",
             "- rule: Shadow read\n  desc: d\n  condition: evt.type = openat\n  output: o %fd.name\n"
             "  priority: NOTICE\n");
  write_file(d / "30-empty.yaml", "");
  std::filesystem::create_directories(d / "00-sub.yaml");  // a directory, even with a rules-file name
  write_file(d / "00-sub.yaml" / "x.yaml", "- rule: [broken\n");
  write_file(d / "README", "- rule: [broken\n");
}

std::string error_of(const Result<std::vector<std::string>>& r) { return r.ok() ? "<no error>" : r.error().message; }

// A file this process cannot open: mode 000 is enough unless we are root, for whom /proc/sys's write-only files
// still refuse reads.
std::string unreadable_file(const TempDir& t) {
  const auto f = t / "locked.yaml";
  write_file(f, "- list: l\n  items: []\n");
  chmod(f.c_str(), 0);
  if (!std::ifstream(f)) return f.string();
  return "/proc/sys/vm/compact_memory";
}

}  // namespace

TEST_CASE("rules_files: a directory stands for its *.yaml/*.yml files, in name order") {
  TempDir t;
  make_rules_dir(t / "rules.d");
  write_file(t / "first.yaml", "- list: l\n  items: [a]\n");
  auto files = expand_rules_paths({(t / "first.yaml").string(), (t / "rules.d").string()});
  REQUIRE_MESSAGE(files.ok(), error_of(files));
  const std::string d = (t / "rules.d").string();
  CHECK(*files == std::vector<std::string>{(t / "first.yaml").string(), d + "/10-rule.yml", d + "/20-append.yaml",
                                           d + "/30-empty.yaml"});
  // A plain file entry is itself, whatever its name.
  write_file(t / "rules.txt", "");
  CHECK(*expand_rules_paths({(t / "rules.txt").string()}) == std::vector<std::string>{(t / "rules.txt").string()});
  // An empty directory is no file at all, as in Falco.
  std::filesystem::create_directories(t / "empty.d");
  CHECK(expand_rules_paths({(t / "empty.d").string()})->empty());
}

TEST_CASE("rules_files: the engine loads a directory in name order and skips the rest") {
  TempDir t;
  make_rules_dir(t / "rules.d");
  RuleEngine eng;
  auto res = eng.load_files({(t / "rules.d").string()});
  REQUIRE_MESSAGE(res.successful(), res.to_text());
  REQUIRE(eng.rules().size() == 1);
  CHECK(eng.rules()[0]->name == "Shadow read");
  // The append took effect: only /etc/shadow fires.
  auto fires = [&](const std::string& name) {
    Event e;
    REQUIRE(event_from_json_line(R"({"type":"openat","ts":1,"res":3,"args":{"name":")" + name +
                                     R"(","flags":"O_RDONLY"},"proc":{"name":"cat","pid":4},"fd":{"num":3,"type":"f",)"
                                     R"("name":")" + name + R"("}})",
                                 e)
                .ok());
    std::vector<Alert> out;
    eng.process(e, out);
    return out.size();
  };
  CHECK(fires("/etc/shadow") == 1);
  CHECK(fires("/etc/passwd") == 0);
  // The same two files named in the other order fail: the order above is the directory's name order.
  RuleEngine reversed;
  CHECK_FALSE(reversed
                  .load_files({(t / "rules.d" / "20-append.yaml").string(), (t / "rules.d" / "10-rule.yml").string()})
                  .successful());
}

TEST_CASE("rules_files: a missing entry is an error naming its config position, or its path") {
  TempDir t;
  const std::string missing = (t / "nope.d").string();
  CHECK(error_of(expand_rules_paths({missing}, {"peregrine.yaml:7:7"})) ==
        "peregrine.yaml:7:7: rules_files entry '" + missing + "': no such file or directory");
  CHECK(error_of(expand_rules_paths({missing})) == missing + ": no such file or directory");
  // The position comes from the config file: the entry's own line and column.
  const auto cfg = config::parse_config("engine:\n  rules_files:\n    - " + (t / "ok.yaml").string() + "\n    - " +
                                            missing + "\n",
                                        "peregrine.yaml");
  write_file(t / "ok.yaml", "");
  CHECK(error_of(expand_rules_paths(cfg.engine.rules_files, cfg.engine.rules_files_at.where)) ==
        "peregrine.yaml:4:7: rules_files entry '" + missing + "': no such file or directory");
  // load_files (the CLI's --validate and --rules) reports it as Falco's LOAD_ERR_FILE_READ.
  RuleEngine eng;
  auto res = eng.load_files({missing});
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].code == LoadCode::kErrFileRead);
  CHECK(res.errors[0].message == "Could not read file " + missing + ": no such file or directory");
}

TEST_CASE("rules_files: an unreadable file, named directly or found in a directory, is an error") {
  TempDir t;
  const std::string locked = unreadable_file(t);
  REQUIRE_FALSE(std::ifstream(locked));  // the premise: this process cannot open it
  const auto direct = error_of(expand_rules_paths({locked}, {"c.yaml:2:5"}));
  CHECK(direct == "c.yaml:2:5: rules_files entry '" + locked + "': cannot read: Permission denied");
  // In a directory (through a link, which is followed as Falco follows it): the file and the entry are named.
  std::filesystem::create_directories(t / "d");
  std::filesystem::create_symlink(locked, t / "d" / "x.yaml");
  const std::string d = (t / "d").string();
  CHECK(error_of(expand_rules_paths({d}, {"c.yaml:3:5"})) ==
        "c.yaml:3:5: rules_files entry '" + d + "': " + d + "/x.yaml: cannot read: Permission denied");
}
