// One container runtime the sensor asks for container metadata: the extension point behind ContainerMetadata
// (sensor/container_meta.h), which owns the cache, the bounded queue, the backoff and the counters. A source
// only answers one question, on the metadata worker thread, never on the event path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peregrine::sensor {

struct ContainerMeta {
  std::string name;
  std::string image;
  std::string image_repository;
  std::string image_tag;
  std::string image_digest;         // "sha256:...", when the runtime names one (CRI image_ref "repo@sha256:...")
  int8_t privileged = -1;
  std::vector<std::string> mounts;  // "source:dest:mode:rw:propagation"
  uint64_t start_ts = 0;            // epoch ns (0 = never started or unknown)
  std::vector<std::string> labels;  // container labels, "key=value", sorted
  std::string k8s_ns_name, k8s_pod_name, k8s_pod_uid;  // Kubernetes pods only
  std::vector<std::string> k8s_pod_labels;             // pod sandbox labels, "key=value", sorted (CRI only)
};

enum class LookupOutcome : uint8_t {
  kOk,        // the runtime knows the container: meta is filled
  kNotFound,  // the runtime answered and does not know the id (another runtime's, or already removed)
  kError,     // no answer (socket missing, timeout, runtime down, unparsable answer): retried with backoff
};

struct SourceAnswer {
  LookupOutcome outcome = LookupOutcome::kError;
  ContainerMeta meta;
  std::string error;  // for kNotFound and kError: what the runtime said, for the one warning
};

class ContainerSource {
 public:
  virtual ~ContainerSource() = default;
  /// The runtime's name in metrics and logs: "docker", "containerd" or "crio".
  virtual const std::string& runtime() const = 0;
  /// Asks the runtime about one container (the 12-character id from the cgroup; runtimes resolve the prefix).
  /// Blocks for at most the source's own timeout; called only from the metadata worker thread.
  virtual SourceAnswer inspect(const std::string& id) = 0;
};

}  // namespace peregrine::sensor
