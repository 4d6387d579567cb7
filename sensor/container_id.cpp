#include "sensor/container_id.h"

#include <array>
#include <utility>

namespace peregrine::sensor {
namespace {

bool is_hex_id(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

// (prefix, suffix) around the id, as in the runc-style matchers: docker cgroupfs "/docker/<id>" and generic
// "/<id>" (kubepods, cri-o cgroupfs), systemd units, containerd without SystemdCgroup (":cri-containerd:<id>").
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kLayouts = {{
    {"/docker-", ".scope"},
    {"/crio-", ".scope"},
    {"/cri-containerd-", ".scope"},
    {"/libpod-", ".scope/container"},
    {"/libpod-", ".scope"},
    {":cri-containerd:", ""},
    {"/crio-", ""},
    {"/libpod-", ""},
    {"/", ""},
}};

std::string match_layout(std::string_view path, std::string_view prefix, std::string_view suffix) {
  size_t end = path.size();
  if (!suffix.empty()) {
    if (!ends_with(path, suffix)) return {};
    end -= suffix.size();
  }
  size_t p = path.rfind(prefix, end == 0 ? 0 : end - 1);
  if (p == std::string_view::npos) return {};
  size_t start = p + prefix.size();
  if (start > end) return {};
  std::string_view id = path.substr(start, end - start);
  if (is_hex_id(id)) return std::string(id.substr(0, 12));
  return {};
}

}  // namespace

std::string container_id_from_cgroup_path(std::string_view path) {
  for (const auto& [prefix, suffix] : kLayouts) {
    auto id = match_layout(path, prefix, suffix);
    if (!id.empty()) return id;
  }
  return {};
}

std::string container_id_from_proc_cgroup(std::string_view content) {
  size_t i = 0;
  while (i < content.size()) {
    size_t nl = content.find('\n', i);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(i, nl - i);
    // "hier:controllers:path": the path is everything after the second ':' (paths may contain ':').
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 != std::string_view::npos) {
      auto id = container_id_from_cgroup_path(line.substr(c2 + 1));
      if (!id.empty()) return id;
    }
    i = nl + 1;
  }
  return std::string(kHostContainerId);
}

}  // namespace peregrine::sensor
