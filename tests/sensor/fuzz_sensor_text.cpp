// libFuzzer target: the sensor's text parsers of untrusted input (/proc files a process controls, such as
// its comm and cmdline; cgroup paths; the container runtime's JSON; paths passed to syscalls).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/container_id.h"
#include "sensor/container_meta.h"
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
  auto n = normalize_path(s);
  if (!s.empty() && s.front() == '/' && (n.empty() || n.front() != '/')) __builtin_trap();  // stays absolute
  (void)join_path("/base", s);
  return 0;
}
