// cgroup path -> container.id, using the runtime layouts Falco's container matchers know (docker cgroupfs and
// systemd, CRI-O, containerd with and without systemd cgroups, cri-dockerd, podman/libpod, kubepods).
#pragma once

#include <string>
#include <string_view>

namespace peregrine::sensor {

inline constexpr std::string_view kHostContainerId = "host";

/// The 12-character container id for one cgroup path, or "" when the path is not a container's.
std::string container_id_from_cgroup_path(std::string_view path);

/// Same over the content of /proc/<pid>/cgroup (one "hier:controllers:path" per line; v1 or v2);
/// returns "host" when no line names a container.
std::string container_id_from_proc_cgroup(std::string_view content);

}  // namespace peregrine::sensor
