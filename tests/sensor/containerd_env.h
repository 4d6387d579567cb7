// A private containerd 1.6 for the sensor's CRI test, owned by the test: its own root, state, socket and config
// under a test directory (never the system service), the CRI plugin on, and a pause image made locally.
//
// Why this shape: no registry is reachable, so the sandbox image is built here (a static C `pause`, packed as
// a docker-archive tarball and imported with `ctr images import` into the k8s.io namespace) and the CRI
// config's sandbox_image points at it; test containers run the same image. Pods use the node's network
// namespace, so no CNI plugin is needed. `restrict_oom_score_adj` lets containerd run where the test's own
// oom_score_adj cannot be lowered (unprivileged-looking cgroups in CI sandboxes).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cri/api.grpc.pb.h"
#include "tests/support/process.h"

namespace peregrine::testing {

class ContainerdEnv {
 public:
  /// Holds /pause (the sandbox's and the test containers' entrypoint) and /probe (exits 0: a process to exec).
  static constexpr const char* kImage = "peregrine.test/pause:1";

  /// "" when this can run here (root; containerd, its runc shim, ctr, runc, cc, tar, sha256sum found);
  /// otherwise why not.
  static std::string cannot_run();

  /// Starts containerd with everything under `dir` and waits (30 s) until its CRI service answers Version.
  /// Throws std::runtime_error with the daemon's log when it does not come up.
  explicit ContainerdEnv(const std::filesystem::path& dir);
  /// Removes the pods started through run_pod(), stops containerd, kills shims it left, unmounts what is left
  /// mounted under the directory.
  ~ContainerdEnv();
  ContainerdEnv(const ContainerdEnv&) = delete;
  ContainerdEnv& operator=(const ContainerdEnv&) = delete;

  const std::string& socket() const { return socket_; }
  runtime::v1::RuntimeService::Stub& runtime() { return *runtime_; }

  /// Builds and imports kImage (with its repo digest reference, as a pull makes), then waits until the CRI
  /// image service lists it.
  void import_pause_image();
  /// The manifest digest of kImage ("sha256:..."), once imported.
  const std::string& image_digest() const { return digest_; }

  /// RunPodSandbox (host network, the given metadata and labels) and CreateContainer + StartContainer of one
  /// container running kImage with `labels`. Returns {sandbox id, container id}. Throws on any gRPC error.
  std::pair<std::string, std::string> run_pod(const runtime::v1::PodSandboxMetadata& pod,
                                              const std::map<std::string, std::string>& pod_labels,
                                              const std::string& container_name,
                                              const std::map<std::string, std::string>& labels);

  /// ExecSync of `cmd` in the container; returns its exit code. Throws on a gRPC error.
  int exec_sync(const std::string& container_id, const std::vector<std::string>& cmd);

  std::string log() const;

 private:
  void stop();

  std::filesystem::path dir_;
  std::string socket_;
  std::string digest_;
  std::unique_ptr<Child> daemon_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
  std::vector<std::string> sandboxes_;
};

}  // namespace peregrine::testing
