#include "sensor/fd_table.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace peregrine::sensor {

bool FdTable::set(int64_t fd, FdEntry e) {
  auto it = map_.find(fd);
  if (it != map_.end()) {
    it->second = std::move(e);
    return true;
  }
  if (map_.size() >= max_) {
    ++refused_;
    return false;
  }
  map_.emplace(fd, std::move(e));
  return true;
}

const FdEntry* FdTable::find(int64_t fd) const {
  auto it = map_.find(fd);
  return it == map_.end() ? nullptr : &it->second;
}

void FdTable::dup(int64_t oldfd, int64_t newfd, bool cloexec) {
  if (oldfd == newfd) return;
  auto it = map_.find(oldfd);
  if (it == map_.end()) {
    map_.erase(newfd);
    return;
  }
  FdEntry copy = it->second;
  copy.cloexec = cloexec;
  set(newfd, std::move(copy));
}

void FdTable::on_exec() {
  std::erase_if(map_, [](const auto& kv) { return kv.second.cloexec; });
}

char typechar_from_link(std::string_view link) {
  if (link.rfind("socket:", 0) == 0) return 's';  // refined by the socket family when known
  if (link.rfind("pipe:", 0) == 0) return 'p';
  if (link.rfind("anon_inode:", 0) == 0) {
    if (link.find("eventfd") != std::string_view::npos) return 'e';
    if (link.find("signalfd") != std::string_view::npos) return 's';
    if (link.find("eventpoll") != std::string_view::npos) return 'l';
    if (link.find("inotify") != std::string_view::npos) return 'i';
    if (link.find("bpf") != std::string_view::npos) return 'b';
    if (link.find("userfaultfd") != std::string_view::npos) return 'u';
    return 'o';
  }
  if (link.rfind("/memfd:", 0) == 0) return 'm';
  if (!link.empty() && link.front() == '/') return 'f';
  return 'o';
}

std::string format_ip(uint8_t family, const std::array<uint8_t, 16>& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    ::inet_ntop(AF_INET, ip.data(), buf, sizeof(buf));
  } else if (family == AF_INET6) {
    ::inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  }
  return buf;
}

std::string format_tuple(const SockInfo& s, bool local_first) {
  if (s.family != AF_INET && s.family != AF_INET6) return {};
  std::string l = format_ip(s.family, s.local_ip) + ":" + std::to_string(s.local_port);
  std::string r = format_ip(s.family, s.remote_ip) + ":" + std::to_string(s.remote_port);
  return local_first ? l + "->" + r : r + "->" + l;
}

}  // namespace peregrine::sensor
