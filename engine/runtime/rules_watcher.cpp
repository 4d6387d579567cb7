#include "engine/runtime/rules_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace peregrine::engine {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
                           IN_DELETE_SELF | IN_MOVE_SELF;

bool yaml_name(const std::string& n) {
  return n.size() > 5 && (n.ends_with(".yaml") || n.ends_with(".yml"));
}

}  // namespace

RulesWatcher::RulesWatcher(const std::vector<std::string>& entries) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(std::string("watch_rules: inotify_init1: ") + std::strerror(errno));
  for (const auto& e : entries) {
    std::error_code ec;
    const std::filesystem::path p(e);
    const bool dir = std::filesystem::is_directory(p, ec);
    const std::filesystem::path watched = dir ? p : (p.has_parent_path() ? p.parent_path() : ".");
    const int wd = ::inotify_add_watch(fd_, watched.c_str(), kMask);
    if (wd < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("watch_rules: cannot watch '" + watched.string() + "' (for rules_files entry '" + e +
                               "'): " + why);
    }
    Watch& w = watches_[wd];  // entries sharing a directory share its watch
    if (dir) w.any_yaml = true;
    else w.names.insert(p.filename().string());
  }
}

RulesWatcher::~RulesWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

bool RulesWatcher::changed() {
  bool relevant = false;
  alignas(inotify_event) char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) break;  // EAGAIN: nothing more now
    for (ssize_t at = 0; at < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: assume the worst
        relevant = true;
        continue;
      }
      auto it = watches_.find(ev->wd);
      if (it == watches_.end()) continue;
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {  // the directory itself went away
        relevant = true;
        continue;
      }
      const std::string name = ev->len > 0 ? std::string(ev->name) : std::string();
      if ((it->second.any_yaml && yaml_name(name)) || it->second.names.count(name)) relevant = true;
    }
  }
  return relevant;
}

}  // namespace peregrine::engine
