// libFuzzer target: the sensor's text parsers of untrusted input (/proc files a process controls, such as
// its comm and cmdline; cgroup paths; the container runtimes' JSON: Docker's inspect body and the CRI verbose
// info, as text and as a serialized runtime.v1 answer; paths passed to syscalls).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/container_id.h"
#include "sensor/container_meta.h"
#include "sensor/cri_source.h"
#include "sensor/path_util.h"
#include "sensor/proc_fs.h"

using namespace peregrine::sensor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  (void)parse_proc_stat(s);
  (void)parse_proc_status(s);
  (void)split_argv(s);
  (void)container_id_from_proc_cgroup(s);
  (void)container_id_from_cgroup_path(s);
  (void)parse_docker_inspect(s);
  std::string repo, tag;
  split_image(s, repo, tag);
  runtime::v1::ContainerStatusResponse status;
  (*status.mutable_info())["info"] = std::string(s);
  status.mutable_status()->set_image_ref(std::string(s));
  (void)cri_sandbox_id(status);
  (void)cri_container_meta(status, nullptr);
  runtime::v1::PodSandboxStatusResponse pod;
  (*pod.mutable_info())["info"] = std::string(s);
  (void)cri_sandbox_meta(pod);
  if (status.ParseFromArray(data, static_cast<int>(size))) (void)cri_container_meta(status, nullptr);
  if (pod.ParseFromArray(data, static_cast<int>(size))) (void)cri_sandbox_meta(pod);
  auto n = normalize_path(s);
  if (!s.empty() && s.front() == '/' && (n.empty() || n.front() != '/')) __builtin_trap();  // stays absolute
  (void)join_path("/base", s);
  return 0;
}
