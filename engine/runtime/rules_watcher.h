// engine.watch_rules: inotify on the rules_files entries. A file entry is watched through its directory (editors
// and config tools replace files by rename, which a watch on the file itself would miss); a directory entry
// counts changes to the *.yaml/*.yml files directly in it, as the loader reads them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace peregrine::engine {

class RulesWatcher {
 public:
  /// Watches `entries` (rules files or directories, as in rules_files). Throws std::runtime_error naming the
  /// path when a watch cannot be set (start-up only).
  explicit RulesWatcher(const std::vector<std::string>& entries);
  ~RulesWatcher();
  RulesWatcher(const RulesWatcher&) = delete;
  RulesWatcher& operator=(const RulesWatcher&) = delete;

  /// Never blocks: true when a watched rules file changed since the last call (written and closed, created,
  /// removed, renamed in or out).
  bool changed();

 private:
  struct Watch {
    bool any_yaml = false;        // a directory entry: every *.yaml / *.yml in it counts
    std::set<std::string> names;  // file entries in this directory
  };
  int fd_ = -1;
  std::map<int, Watch> watches_;  // by watch descriptor
};

}  // namespace peregrine::engine
