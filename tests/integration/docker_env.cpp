#include "tests/integration/docker_env.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace peregrine::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Debian's docker.io puts dockerd and runc in /usr/sbin, which a non-login PATH may lack; the client is
// looked up in /usr/bin first so that it matches the daemon's version (a newer client works too).
const char* const kToolDirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"};

std::string find_tool(const std::string& name) {
  for (const char* d : kToolDirs) {
    fs::path p = fs::path(d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

// dockerd starts containerd and runc by name from its PATH.
void ensure_sbin_on_path() {
  const char* cur = std::getenv("PATH");
  std::string path = cur ? cur : "/usr/bin:/bin";
  for (const char* d : {"/usr/sbin", "/sbin"}) {
    if ((":" + path + ":").find(std::string(":") + d + ":") == std::string::npos) path += std::string(":") + d;
  }
  setenv("PATH", path.c_str(), 1);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// The image's programs and, from `ldd`, every library they load (with the dynamic loader).
const char* const kImagePrograms[] = {"bash", "sh", "cat", "sleep", "true"};

void copy_into(const fs::path& root, const fs::path& host_file, const fs::path& image_path) {
  fs::path dst = root / image_path.relative_path();
  fs::create_directories(dst.parent_path());
  fs::copy_file(host_file, dst, fs::copy_options::overwrite_existing);  // follows symlinks (sh -> dash)
}

void build_rootfs(const fs::path& root) {
  for (const char* d : {"proc", "sys", "dev", "tmp", "etc"}) fs::create_directories(root / d);
  for (const char* prog : kImagePrograms) {
    std::string host = find_tool(prog);
    if (host.empty()) throw std::runtime_error(std::string("image: no host binary for ") + prog);
    copy_into(root, host, fs::path("/bin") / prog);
    auto ldd = run_command(find_tool("ldd"), {host}, 30s);
    if (ldd.rc != 0) throw std::runtime_error("ldd " + host + " failed: " + ldd.err);
    // Lines are "libx.so => /lib/.../libx.so (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso...".
    std::istringstream words(ldd.out);
    std::string w;
    while (words >> w)
      if (w.front() == '/') copy_into(root, w, w);
  }
}

}  // namespace

std::string DockerEnv::missing_tools() {
  std::string missing;
  for (const char* t : {"dockerd", "docker", "containerd", "runc"})
    if (find_tool(t).empty()) missing += std::string(missing.empty() ? "" : ", ") + t;
  return missing.empty() ? "" : "not installed: " + missing + " (scripts/install-deps.sh installs docker.io)";
}

DockerEnv::DockerEnv(const fs::path& state_dir)
    : dir_(state_dir), socket_((state_dir / "docker.sock").string()), docker_bin_(find_tool("docker")) {
  if (auto m = missing_tools(); !m.empty()) throw std::runtime_error("docker: " + m);
  fs::create_directories(dir_ / "data");
  fs::create_directories(dir_ / "exec");
  ensure_sbin_on_path();
  // Host networking only: no bridge, no iptables rules, no masquerading or forwarding, so the daemon creates
  // no network and no interface. All state in dir_, so nothing is shared with a system dockerd.
  daemon_ = std::make_unique<Child>(
      find_tool("dockerd"),
      std::vector<std::string>{"--bridge=none", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
                               "--storage-driver=overlay2", "--data-root=" + (dir_ / "data").string(),
                               "--exec-root=" + (dir_ / "exec").string(),
                               "--pidfile=" + (dir_ / "dockerd.pid").string(), "-H", "unix://" + socket_},
      dir_ / "dockerd");
  bool up = wait_until([&] { return !daemon_->running() || docker({"version"}, 10s).rc == 0; }, 30s) &&
            daemon_->running();
  if (!up) {
    std::string why = "dockerd did not answer `docker version` within 30 s; its log:\n" + log();
    stop_daemon();
    unmount_leftovers();
    throw std::runtime_error(why);
  }
}

DockerEnv::~DockerEnv() {
  for (const auto& name : containers_) docker({"rm", "-f", name}, 30s);
  stop_daemon();
  unmount_leftovers();
}

CommandResult DockerEnv::docker(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> full{"-H", "unix://" + socket_};
  full.insert(full.end(), args.begin(), args.end());
  return run_command(docker_bin_, full, timeout);
}

void DockerEnv::ensure_shell_image() {
  if (docker({"image", "inspect", kShellImage}).rc == 0) return;
  auto root = dir_ / "rootfs";
  auto tar = dir_ / "rootfs.tar";
  build_rootfs(root);
  auto t = run_command(find_tool("tar"), {"--numeric-owner", "-C", root.string(), "-cf", tar.string(), "."});
  if (t.rc != 0) throw std::runtime_error("tar of the image rootfs failed: " + t.err);
  auto imp = docker({"import", "--change", "ENV PATH=/bin", "--change", "CMD [\"bash\"]", tar.string(), kShellImage});
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::remove(tar, ec);
  if (imp.rc != 0) throw std::runtime_error("docker import failed: " + imp.err);
}

std::string DockerEnv::run_detached(const std::string& name, const std::vector<std::string>& cmd) {
  containers_.push_back(name);  // before the run: a half-created container is removed too
  std::vector<std::string> args{"run", "-d", "--network", "host", "--name", name, kShellImage};
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = docker(args);
  if (r.rc != 0) throw std::runtime_error("docker run " + name + " failed: " + r.err);
  auto id = trim(r.out);
  if (id.size() != 64) throw std::runtime_error("docker run " + name + ": unexpected id '" + id + "'");
  return id;
}

std::string DockerEnv::log() const {
  if (!daemon_) return "";
  std::string text = daemon_->stderr_text();
  size_t cut = text.size();
  for (int newlines = 0; newlines < 31 && cut > 0; ++newlines) {  // the last line's '\n' + 30 before it
    cut = text.rfind('\n', cut - 1);
    if (cut == std::string::npos) return text;
  }
  return text.substr(cut + 1);
}

void DockerEnv::stop_daemon() {
  if (!daemon_) return;
  // SIGTERM: dockerd stops the remaining containers and its containerd. Past the deadline the Child's
  // destructor kills it.
  daemon_->stop(SIGTERM, 30s);
  daemon_.reset();
}

void DockerEnv::unmount_leftovers() {
  // dockerd leaves an nsfs mount at <exec-root>/netns/default when it stops; a killed daemon may also leave
  // overlay mounts of containers. Only mounts below our own state dir are touched, deepest first.
  std::vector<std::string> mine;
  std::ifstream mounts("/proc/self/mounts");
  std::string dev, point, rest;
  const std::string prefix = fs::weakly_canonical(dir_).string() + "/";
  while (mounts >> dev >> point && std::getline(mounts, rest))
    if (point.rfind(prefix, 0) == 0) mine.push_back(point);
  std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& p : mine) umount2(p.c_str(), MNT_DETACH);
}

}  // namespace peregrine::testing
