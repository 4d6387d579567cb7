// Small file helpers for tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace peregrine::testing {

/// The whole file ("" when missing).
std::string slurp(const std::filesystem::path& p);
/// Non-empty lines of a text file (missing file = none).
std::vector<std::string> read_lines(const std::filesystem::path& p);
/// Writes (truncates) `p`; throws std::runtime_error on failure.
void write_file(const std::filesystem::path& p, const std::string& text);

}  // namespace peregrine::testing
