#include "sensor/proc_fs.h"

#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bpf/event_layout.h"
#include "sensor/container_id.h"

namespace peregrine::sensor {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
T to_num(std::string_view s, int base = 10) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v, base);
  return v;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// "0100007F:1F90" (v4) or 32 hex digits (v6): words printed in host order, copied back as bytes.
void parse_hex_endpoint(std::string_view s, uint8_t family, std::array<uint8_t, 16>& ip, uint16_t& port) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view addr = s.substr(0, colon);
  size_t words = family == AF_INET ? 1 : 4;
  for (size_t w = 0; w < words && (w + 1) * 8 <= addr.size(); ++w) {
    uint32_t v = to_num<uint32_t>(addr.substr(w * 8, 8), 16);
    std::memcpy(ip.data() + w * 4, &v, 4);
  }
  port = to_num<uint16_t>(s.substr(colon + 1), 16);
}

void read_net_file(const std::string& path, uint8_t family, uint8_t proto,
                   std::unordered_map<uint64_t, SockInfo>& out) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto f = split_ws(line);
    if (f.size() < 10) continue;
    SockInfo s;
    s.family = family;
    s.l4proto = proto;
    parse_hex_endpoint(f[1], family, s.local_ip, s.local_port);
    parse_hex_endpoint(f[2], family, s.remote_ip, s.remote_port);
    s.connected = s.remote_port != 0;
    s.is_server = proto == IPPROTO_TCP && to_num<int>(f[3], 16) == 0x0A;  // TCP_LISTEN
    out[to_num<uint64_t>(f[9])] = s;
  }
}

// /proc/net/unix: "Num RefCount Protocol Flags Type St Inode [Path]". The path is not kept in SockInfo, so
// unix sockets are recorded by family only (fd.typechar 'u').
void read_unix_file(const std::string& path, std::unordered_map<uint64_t, SockInfo>& out) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto f = split_ws(line);
    if (f.size() < 7) continue;
    SockInfo s;
    s.family = AF_UNIX;
    s.connected = f[5] == "03";  // SS_CONNECTED
    out.emplace(to_num<uint64_t>(f[6]), s);
  }
}

}  // namespace

std::optional<StatFields> parse_proc_stat(std::string_view c) {
  size_t open = c.find('('), close = c.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  StatFields s;
  s.comm = std::string(c.substr(open + 1, close - open - 1));
  auto f = split_ws(c.substr(close + 1));
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) ... starttime(22) -> indexes 0,1,2,3,4 ... 19
  if (f.size() < 20) return std::nullopt;
  s.state = f[0].empty() ? '?' : f[0][0];
  s.ppid = to_num<uint32_t>(f[1]);
  s.pgrp = to_num<uint32_t>(f[2]);
  s.session = to_num<uint32_t>(f[3]);
  s.tty = to_num<uint32_t>(f[4]);  // tty_nr: the encoding Falco's proc.tty uses, as the BPF side sends it
  s.start_ticks = to_num<uint64_t>(f[19]);
  return s;
}

StatusFields parse_proc_status(std::string_view c) {
  StatusFields s;
  size_t i = 0;
  while (i < c.size()) {
    size_t nl = c.find('\n', i);
    if (nl == std::string_view::npos) nl = c.size();
    std::string_view line = c.substr(i, nl - i);
    i = nl + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    auto vals = split_ws(line.substr(colon + 1));
    if (vals.empty()) continue;
    if (key == "Tgid") s.tgid = to_num<uint32_t>(vals[0]);
    else if (key == "CapInh") s.cap_inheritable = to_num<uint64_t>(vals[0], 16);
    else if (key == "CapPrm") s.cap_permitted = to_num<uint64_t>(vals[0], 16);
    else if (key == "CapEff") s.cap_effective = to_num<uint64_t>(vals[0], 16);
    else if (key == "NSpid") s.vpid = to_num<uint32_t>(vals.back());
    else if (key == "NSpgid") s.vpgid = to_num<uint32_t>(vals.back());
  }
  return s;
}

std::vector<std::string> split_argv(std::string_view blob) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < blob.size()) {
    size_t z = blob.find('\0', i);
    if (z == std::string_view::npos) z = blob.size();
    out.emplace_back(blob.substr(i, z - i));
    i = z + 1;
  }
  return out;
}

std::string join_words(std::span<const std::string> parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += parts[i];
  }
  return out;
}

std::vector<std::string> split_env(std::string_view blob, size_t limit) {
  if (blob.size() > limit) blob = blob.substr(0, limit);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < blob.size()) {
    size_t z = blob.find('\0', i);
    if (z == std::string_view::npos) break;  // cut short
    if (z > i) out.emplace_back(blob.substr(i, z - i));
    i = z + 1;
  }
  return out;
}

std::unordered_map<uint64_t, SockInfo> read_socket_inodes(const std::string& root) {
  std::unordered_map<uint64_t, SockInfo> out;
  read_net_file(root + "/net/tcp", AF_INET, IPPROTO_TCP, out);
  read_net_file(root + "/net/tcp6", AF_INET6, IPPROTO_TCP, out);
  read_net_file(root + "/net/udp", AF_INET, IPPROTO_UDP, out);
  read_net_file(root + "/net/udp6", AF_INET6, IPPROTO_UDP, out);
  read_unix_file(root + "/net/unix", out);
  return out;
}

namespace {

void read_fds(const std::string& dir, const std::unordered_map<uint64_t, SockInfo>* sockets, ProcEntry& e) {
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir + "/fd", ec)) {
    auto fd = to_num<int64_t>(de.path().filename().string());
    std::string link = read_link(de.path().string());
    if (link.empty()) continue;
    FdEntry fe;
    fe.typechar = typechar_from_link(link);
    if (fe.typechar == 'f') {
      struct stat st {};
      if (::stat(de.path().c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fe.typechar = 'd';
      fe.name = fe.nameraw = link;
    } else if (link.rfind("socket:[", 0) == 0 && sockets != nullptr) {
      auto it = sockets->find(to_num<uint64_t>(std::string_view(link).substr(8)));
      if (it != sockets->end()) {
        fe.sock = it->second;
        fe.typechar = fe.sock.family == AF_INET ? '4' : fe.sock.family == AF_INET6 ? '6' : 'u';
        fe.name = format_tuple(fe.sock, !fe.sock.is_server);
      }
    } else {
      fe.name = link;
    }
    e.fds.set(fd, std::move(fe));
  }
}

}  // namespace

Result<ProcEntry> read_proc_entry(const std::string& root, uint32_t pid, uint64_t boot_epoch,
                                  const std::unordered_map<uint64_t, SockInfo>* sockets, size_t max_fds) {
  const std::string dir = root + "/" + std::to_string(pid);
  auto stat = parse_proc_stat(read_file(dir + "/stat"));
  if (!stat) return make_error("cannot read " + dir + "/stat");
  auto status = parse_proc_status(read_file(dir + "/status"));
  ProcEntry e;
  e.fds = FdTable(max_fds);
  e.pid = pid;
  e.ppid = stat->ppid;
  e.pgid = stat->pgrp;
  e.sid = stat->session;
  e.tty = stat->tty;
  e.comm = stat->comm;
  static const long kTicks = ::sysconf(_SC_CLK_TCK);
  e.start_ts = boot_epoch + stat->start_ticks * (1000000000ull / static_cast<uint64_t>(kTicks > 0 ? kTicks : 100));
  e.cap_inheritable = status.cap_inheritable;
  e.cap_permitted = status.cap_permitted;
  e.cap_effective = status.cap_effective;
  e.vpid = status.vpid ? status.vpid : pid;
  e.vpgid = status.vpgid ? status.vpgid : e.pgid;
  auto argv = split_argv(read_file(dir + "/cmdline"));
  if (!argv.empty()) {
    e.exe = argv.front();
    e.args.assign(argv.begin() + 1, argv.end());
  }
  e.env = std::make_shared<const std::vector<std::string>>(split_env(read_file(dir + "/environ"), PG_MAX_ENV_BYTES));
  e.exepath = read_link(dir + "/exe");
  constexpr std::string_view kDeleted = " (deleted)";
  if (e.exepath.size() > kDeleted.size() && e.exepath.ends_with(kDeleted))
    e.exepath.resize(e.exepath.size() - kDeleted.size());
  e.exe_from_memfd = e.exepath.rfind("/memfd:", 0) == 0;
  struct stat st {};
  if (::stat((dir + "/exe").c_str(), &st) == 0) {
    e.exe_ino = st.st_ino;
    e.exe_ino_ctime = static_cast<uint64_t>(st.st_ctim.tv_sec) * 1000000000ull + st.st_ctim.tv_nsec;
    e.exe_ino_mtime = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull + st.st_mtim.tv_nsec;
  }
  e.cwd = read_link(dir + "/cwd");
  std::string login = read_file(dir + "/loginuid");
  e.loginuid = login.empty() ? 0xffffffffu : to_num<uint32_t>(login);
  e.container_id = container_id_from_proc_cgroup(read_file(dir + "/cgroup"));
  read_fds(dir, sockets, e);
  return e;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

size_t seed_proc_table(ProcTable& table, const std::string& root, uint64_t boot_epoch) {
  auto sockets = read_socket_inodes(root);
  size_t n = 0;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = de.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto e = read_proc_entry(root, to_num<uint32_t>(name), boot_epoch, &sockets, table.max_fds_per_proc());
    if (e.ok() && table.upsert(std::move(e).value()) != nullptr) ++n;
  }
  return n;
}

}  // namespace peregrine::sensor
