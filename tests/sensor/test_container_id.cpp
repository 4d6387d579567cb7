#include <doctest/doctest.h>

#include "sensor/container_id.h"

using peregrine::sensor::container_id_from_cgroup_path;
using peregrine::sensor::container_id_from_proc_cgroup;

namespace {
const std::string kId = "3f4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233445566778a";
const std::string kShort = kId.substr(0, 12);
}  // namespace

TEST_CASE("container id: docker cgroupfs and systemd layouts") {
  CHECK(container_id_from_cgroup_path("/docker/" + kId) == kShort);
  CHECK(container_id_from_cgroup_path("/system.slice/docker-" + kId + ".scope") == kShort);
}

TEST_CASE("container id: kubernetes / CRI layouts") {
  CHECK(container_id_from_cgroup_path("/kubepods/burstable/pod0a1b2c3d-1111-2222-3333-444455556666/" + kId) == kShort);
  CHECK(container_id_from_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
                                      "cri-containerd-" + kId + ".scope") == kShort);
  CHECK(container_id_from_cgroup_path("/kubepods.slice/kubepods-pod1.slice/crio-" + kId + ".scope") == kShort);
  CHECK(container_id_from_cgroup_path("/kubepods/besteffort/pod1/crio-" + kId) == kShort);
  CHECK(container_id_from_cgroup_path("/kubepods-burstable-pod1.slice:cri-containerd:" + kId) == kShort);
}

TEST_CASE("container id: podman / libpod layouts") {
  CHECK(container_id_from_cgroup_path("/machine.slice/libpod-" + kId + ".scope") == kShort);
  CHECK(container_id_from_cgroup_path("/machine.slice/libpod-" + kId + ".scope/container") == kShort);
  CHECK(container_id_from_cgroup_path("/libpod_parent/libpod-" + kId) == kShort);
}

TEST_CASE("container id: host and near misses") {
  CHECK(container_id_from_cgroup_path("/").empty());
  CHECK(container_id_from_cgroup_path("/user.slice/user-0.slice/session-1.scope").empty());
  CHECK(container_id_from_cgroup_path("/system.slice/docker.service").empty());
  CHECK(container_id_from_cgroup_path("/docker/" + kId.substr(0, 63)).empty());            // too short
  CHECK(container_id_from_cgroup_path("/docker/" + kId.substr(0, 63) + "g").empty());      // not hex
  CHECK(container_id_from_cgroup_path("/docker/ABCDEF" + kId.substr(6)).empty());          // upper case
}

TEST_CASE("container id: /proc/<pid>/cgroup content v1 and v2") {
  CHECK(container_id_from_proc_cgroup("0::/system.slice/docker-" + kId + ".scope\n") == kShort);
  CHECK(container_id_from_proc_cgroup("12:memory:/docker/" + kId + "\n11:cpu:/docker/" + kId + "\n") == kShort);
  CHECK(container_id_from_proc_cgroup("0::/user.slice/user-1000.slice\n") == "host");
  CHECK(container_id_from_proc_cgroup("") == "host");
}
