#include "common/ready_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace peregrine {
namespace {

std::mutex g_mu;
std::string g_path;

}  // namespace

void set_ready_file(std::string path) {
  std::lock_guard lk(g_mu);
  g_path = std::move(path);
}

Result<void> announce_ready(nlohmann::json info) {
  std::lock_guard lk(g_mu);
  if (g_path.empty()) return {};
  info["pid"] = ::getpid();
  const std::string tmp = g_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << info.dump() << "\n";
    if (!out.flush()) return make_error("ready file " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, g_path, ec);
  if (ec) return make_error("ready file " + g_path + ": " + ec.message());
  return {};
}

}  // namespace peregrine
