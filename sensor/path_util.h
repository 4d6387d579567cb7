// Path helpers for fd.name / proc.cwd: Falco reports open paths made absolute and normalized
// ("/etc/../etc/shadow" -> "/etc/shadow") in fd.name, and the path as passed in fd.nameraw.
#pragma once

#include <string>
#include <string_view>

namespace peregrine::sensor {

/// Lexically normalize an absolute path: collapse "//", drop ".", resolve ".." (never above "/"),
/// drop a trailing "/". Relative input is returned normalized but still relative.
std::string normalize_path(std::string_view path);

/// Resolve `path` against `base` (a directory, absolute) and normalize. Absolute `path` ignores `base`.
std::string join_path(std::string_view base, std::string_view path);

}  // namespace peregrine::sensor
