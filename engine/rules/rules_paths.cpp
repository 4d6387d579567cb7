#include "engine/rules/rules_paths.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace peregrine::engine {
namespace {

namespace fs = std::filesystem;

bool is_rules_file_name(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// Opening is the only reliable readability test (permissions, ACLs, a dangling link).
bool readable(const std::string& path, std::string& why) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (in) return true;
  why = std::strerror(errno != 0 ? errno : EACCES);
  return false;
}

// The rules files directly in `dir`, sorted by name; false with `why` if it cannot be listed.
bool list_dir(const fs::path& dir, std::vector<std::string>& out, std::string& why) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  std::vector<std::string> found;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (is_rules_file_name(it->path()) && it->is_regular_file(type_ec)) found.push_back(it->path().string());
  }
  if (ec) {
    why = "cannot list directory: " + ec.message();
    return false;
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

}  // namespace

Result<std::vector<std::string>> expand_rules_paths(const std::vector<std::string>& entries,
                                                    const std::vector<std::string>& where) {
  std::vector<std::string> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& entry = entries[i];
    auto fail = [&](const std::string& file, const std::string& why) {
      const std::string what = file == entry ? why : file + ": " + why;
      if (i < where.size() && !where[i].empty())
        return make_error(where[i] + ": rules_files entry '" + entry + "': " + what, ErrorCode::kInvalid);
      return make_error(entry + ": " + what, ErrorCode::kInvalid);
    };
    std::error_code ec;
    const fs::file_status st = fs::status(entry, ec);
    if (ec || !fs::exists(st)) return fail(entry, ec && ec != std::errc::no_such_file_or_directory
                                                      ? ec.message()
                                                      : "no such file or directory");
    std::string why;
    if (!fs::is_directory(st)) {
      if (!readable(entry, why)) return fail(entry, "cannot read: " + why);
      out.push_back(entry);
      continue;
    }
    const size_t first = out.size();
    if (!list_dir(entry, out, why)) return fail(entry, why);
    for (size_t f = first; f < out.size(); ++f)
      if (!readable(out[f], why)) return fail(out[f], "cannot read: " + why);
  }
  return out;
}

}  // namespace peregrine::engine
