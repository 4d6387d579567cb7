// engine.watch_rules: which changes under the rules_files entries count, without sleeping (inotify events are
// queued by the time the write returns).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "engine/runtime/rules_watcher.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using peregrine::engine::RulesWatcher;
using peregrine::testing::TempDir;
using peregrine::testing::write_file;

TEST_CASE("rules watcher: a directory entry counts its *.yaml and *.yml files only") {
  TempDir t;
  const auto d = t / "rules.d";
  std::filesystem::create_directories(d / "sub");
  RulesWatcher w({d.string()});
  CHECK_FALSE(w.changed());
  write_file(d / "README.txt", "not rules");
  write_file(d / "sub" / "deep.yaml", "- list: x\n  items: []\n");  // subdirectories are not loaded either
  CHECK_FALSE(w.changed());
  write_file(d / "10-a.yaml", "- list: a\n  items: []\n");
  CHECK(w.changed());
  CHECK_FALSE(w.changed());  // reported once
  write_file(d / "20-b.yml", "- list: b\n  items: []\n");
  CHECK(w.changed());
  std::filesystem::remove(d / "10-a.yaml");
  CHECK(w.changed());
}

TEST_CASE("rules watcher: a file entry counts writes, replacement by rename and removal of that file only") {
  TempDir t;
  const auto f = t / "local_rules.yaml";
  write_file(f, "- list: a\n  items: []\n");
  write_file(t / "other.yaml", "x");
  RulesWatcher w({f.string()});
  CHECK_FALSE(w.changed());
  write_file(t / "other.yaml", "y");  // a neighbour is not a rules file
  CHECK_FALSE(w.changed());
  write_file(f, "- list: a\n  items: [b]\n");
  CHECK(w.changed());
  write_file(t / "local_rules.yaml.tmp", "- list: a\n  items: [c]\n");  // an editor's save: write, then rename
  CHECK_FALSE(w.changed());
  std::filesystem::rename(t / "local_rules.yaml.tmp", f);
  CHECK(w.changed());
  std::filesystem::remove(f);
  CHECK(w.changed());
}

TEST_CASE("rules watcher: an entry whose directory does not exist is refused, naming it") {
  TempDir t;
  const auto missing = t / "nowhere" / "rules.yaml";
  try {
    RulesWatcher w({missing.string()});
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find((t / "nowhere").string()) != std::string::npos);
  }
}
