#include "sensor/path_util.h"

#include <vector>

namespace peregrine::sensor {

std::string normalize_path(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg.empty() || seg == ".") {
      // skip
    } else if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(seg);
      }
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  out.reserve(path.size());
  for (const auto& p : parts) {
    if (!out.empty() || absolute) out.push_back('/');
    out.append(p);
  }
  if (out.empty()) return absolute ? "/" : (path.empty() ? "" : ".");
  return out;
}

std::string join_path(std::string_view base, std::string_view path) {
  if (!path.empty() && path.front() == '/') return normalize_path(path);
  if (base.empty()) return normalize_path(path);
  std::string full(base);
  full.push_back('/');
  full.append(path);
  return normalize_path(full);
}

}  // namespace peregrine::sensor
