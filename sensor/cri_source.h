// The CRI runtime.v1 gRPC API (containerd, CRI-O) as a container source, over the runtime's unix socket.
//
// Per container two calls, each with its own deadline: ContainerStatus(verbose) gives the name (CRI metadata
// name, as the kubelet names it), image, image_ref (digest), labels, mounts, start time and, in the verbose
// info JSON, the pod sandbox id and whether it runs privileged; PodSandboxStatus then gives the pod's name,
// namespace, uid and labels. A runtime without "sandboxID" in its info is asked with ListContainers(filter id),
// whose answer names the sandbox. The id from the cgroup is the 12-character prefix; both runtimes resolve it.
//
// A pod sandbox is not a CRI container, but its infra process (pause) runs in its own cgroup named by the
// sandbox id: an id ContainerStatus does not know is asked as a sandbox (PodSandboxStatus, verbose for the
// image), and a sandbox answers as a container named after the pod, with the pod's metadata and labels.
//
// Answers: NotFound (from both) is kNotFound (not this runtime's container, or removed); any other failure, including an
// absent socket (UNAVAILABLE) and a missed deadline, is kError and retried with backoff by ContainerMetadata.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cri/api.grpc.pb.h"
#include "sensor/container_source.h"

namespace peregrine::sensor {

/// The sandbox id in a verbose ContainerStatus answer (info["info"] JSON "sandboxID"), or "".
std::string cri_sandbox_id(const runtime::v1::ContainerStatusResponse& status);

/// Maps the answers to the sensor's metadata; `pod` is null when the sandbox is unknown (then the pod's name,
/// namespace and uid come from the container's io.kubernetes.pod.* labels, and there are no pod labels).
ContainerMeta cri_container_meta(const runtime::v1::ContainerStatusResponse& status,
                                 const runtime::v1::PodSandboxStatusResponse* pod);

/// A pod sandbox (its infra container) as container metadata: the pod's name, the sandbox's labels as both
/// container and pod labels, created_at as the start, the image from the verbose info ("image") if given.
ContainerMeta cri_sandbox_meta(const runtime::v1::PodSandboxStatusResponse& pod);

class CriSource : public ContainerSource {
 public:
  /// `runtime`: "containerd" or "crio" (metrics and logs); `socket`: the runtime's unix socket path.
  CriSource(std::string runtime, std::string socket,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  const std::string& runtime() const override { return runtime_; }
  SourceAnswer inspect(const std::string& id) override;

 private:
  SourceAnswer inspect_sandbox(const std::string& id, std::string container_error);
  std::string sandbox_of(const std::string& id, const runtime::v1::ContainerStatusResponse& status,
                         SourceAnswer& out);

  std::string runtime_;
  std::string socket_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> stub_;
};

}  // namespace peregrine::sensor
