// rules_files entries as Falco reads them: a file is itself; a directory stands for the rules files directly in
// it (regular files, or links to them, named *.yaml or *.yml), in name order. Subdirectories and other files are
// skipped, as Falco skips what it cannot load as rules. Expanded once per load, so a file added to a directory is
// picked up by the next load.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace peregrine::engine {

/// The files `entries` stand for, in load order. An entry that does not exist, a directory that cannot be
/// listed and a file that cannot be opened are errors: "WHERE: rules_files entry 'P': reason", with WHERE =
/// where[i] (the entry's "FILE:LINE:COL" in the config) when given, else "P: reason".
Result<std::vector<std::string>> expand_rules_paths(const std::vector<std::string>& entries,
                                                    const std::vector<std::string>& where = {});

}  // namespace peregrine::engine
