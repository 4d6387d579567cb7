// A private Docker daemon for integration tests, owned by the test: its own data root, exec root, pidfile and
// API socket under a test directory, and nothing shared with a system dockerd.
//
// Why this shape: the machine may only talk to loopback and has no registry, so dockerd runs with host
// networking only (--bridge=none, no iptables/masquerade/forwarding: it creates no network and no interface;
// containers must use `--network host`), and the one image is made locally from host binaries
// (bash, sh, cat, sleep, true and the libraries `ldd` lists) and `docker import`ed. See
// shared/reference/containers.md for the tested recipe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace peregrine::testing {

/// The image the test containers run: `kShellImage` = repository `kShellImageRepository`, tag `kShellImageTag`.
inline constexpr const char* kShellImageRepository = "peregrine-test/shell";
inline constexpr const char* kShellImageTag = "e2e";
inline constexpr const char* kShellImage = "peregrine-test/shell:e2e";

class DockerEnv {
 public:
  /// "" when dockerd and the docker client are installed (scripts/install-deps.sh); otherwise why not.
  static std::string missing_tools();

  /// Starts dockerd with its state in `state_dir` (created) and waits for `docker version` (30 s).
  /// Throws std::runtime_error with the daemon's log when it does not come up.
  explicit DockerEnv(const std::filesystem::path& state_dir);
  /// Removes the containers started through run_detached(), stops dockerd, unmounts what it left mounted
  /// under the state dir (`<exec-root>/netns/default`, overlay mounts after a crash).
  ~DockerEnv();
  DockerEnv(const DockerEnv&) = delete;
  DockerEnv& operator=(const DockerEnv&) = delete;

  /// Path of the daemon's API socket (what the sensor's `docker_socket` points at).
  const std::string& socket() const { return socket_; }

  /// `docker -H unix://<socket> args...`.
  CommandResult docker(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

  /// Builds the rootfs tarball from host binaries and imports it as kShellImage unless the daemon has it.
  void ensure_shell_image();

  /// `docker run -d --network host --name <name> <image> <cmd...>`; returns the full (64 hex) container id.
  /// The container is removed (`docker rm -f`) by the destructor. Throws when docker fails.
  std::string run_detached(const std::string& name, const std::vector<std::string>& cmd);

  /// The last 30 lines of the daemon's log (stderr), for failure messages.
  std::string log() const;

 private:
  void stop_daemon();
  void unmount_leftovers();

  std::filesystem::path dir_;
  std::string socket_, docker_bin_;
  std::unique_ptr<Child> daemon_;
  std::vector<std::string> containers_;
};

}  // namespace peregrine::testing
