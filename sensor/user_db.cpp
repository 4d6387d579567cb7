#include "sensor/user_db.h"

#include <sys/stat.h>

#include <charconv>
#include <fstream>

namespace peregrine::sensor {
namespace {

const std::string kEmpty;

timespec mtime_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool same(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

UserDb::UserDb(std::string passwd_path, std::string group_path, std::chrono::milliseconds recheck)
    : passwd_path_(std::move(passwd_path)), group_path_(std::move(group_path)), recheck_(recheck) {}

// Both files share the "name:x:id:..." prefix: field 0 is the name, field 2 the numeric id.
bool UserDb::load(const std::string& path, std::unordered_map<uint32_t, std::string>& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::unordered_map<uint32_t, std::string> fresh;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t c1 = line.find(':');
    if (c1 == std::string::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    size_t c3 = line.find(':', c2 + 1);
    if (c3 == std::string::npos) c3 = line.size();
    uint32_t id = 0;
    auto [p, ec] = std::from_chars(line.data() + c2 + 1, line.data() + c3, id);
    if (ec != std::errc() || p != line.data() + c3) continue;
    fresh.try_emplace(id, line.substr(0, c1));  // first entry wins, as getpwuid does
  }
  out.swap(fresh);
  return true;
}

void UserDb::refresh() {
  auto pm = mtime_of(passwd_path_), gm = mtime_of(group_path_);
  if (loaded_ && same(pm, passwd_mtime_) && same(gm, group_mtime_)) return;
  if (!loaded_ || !same(pm, passwd_mtime_)) load(passwd_path_, users_);
  if (!loaded_ || !same(gm, group_mtime_)) load(group_path_, groups_);
  passwd_mtime_ = pm;
  group_mtime_ = gm;
  loaded_ = true;
  ++reloads_;
}

void UserDb::maybe_refresh() {
  // Reading the clock on every lookup showed up in profiles (3 lookups per event): look at it every 64 calls.
  if (loaded_ && (++calls_ & 63) != 0) return;
  auto now = std::chrono::steady_clock::now();
  if (loaded_ && now < next_check_) return;
  next_check_ = now + recheck_;
  refresh();
}

const std::string& UserDb::user_name(uint32_t uid) {
  maybe_refresh();
  auto it = users_.find(uid);
  return it == users_.end() ? kEmpty : it->second;
}

const std::string& UserDb::group_name(uint32_t gid) {
  maybe_refresh();
  auto it = groups_.find(gid);
  return it == groups_.end() ? kEmpty : it->second;
}

}  // namespace peregrine::sensor
