// container.* and k8s.*: container context attached by the sensor (Falco's container plugin fields).
#include "engine/fields/simple.h"

#include <fnmatch.h>

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;

void str_if(ExtractSlot& s, const std::string& v) {
  if (!v.empty()) fields::set_str(s, v);
}
void ex_id(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.id); }
void ex_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.container.id == "host") {
    fields::set_str(s, "host");
  } else {
    str_if(s, e.container.name);
  }
}
void ex_image(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.image); }
void ex_image_repo(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.image_repository); }
void ex_image_tag(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.image_tag); }
void ex_privileged(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.container.privileged >= 0) fields::set_bool(s, e.container.privileged == 1);
}
void ex_start_ts(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.container.start_ts) fields::set_num(s, e.container.start_ts);
}
void ex_mounts(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.container.id == "host") return;
  fields::join_into(s.buf, e.container.mounts, ' ');
  fields::set_buf(s);
}

// A mount is "source:dest:mode:rw:propagation".
std::string_view mount_part(std::string_view m, int part) {
  for (int i = 0; i < part; ++i) {
    size_t c = m.find(':');
    if (c == std::string_view::npos) return {};
    m.remove_prefix(c + 1);
  }
  return m.substr(0, m.find(':'));
}

// Argument: a mount index, or a glob matched against the other side of the mount (source for dest, ...).
template <int kWant, int kMatch>
void ex_mount_part(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const auto& ms = e.container.mounts;
  if (a.index >= 0) {
    if (static_cast<size_t>(a.index) < ms.size()) fields::set_str(s, mount_part(ms[a.index], kWant));
    return;
  }
  for (const auto& m : ms) {
    std::string& tmp = s.next_str();
    tmp.assign(mount_part(m, kMatch));
    if (fnmatch(a.key.c_str(), tmp.c_str(), 0) == 0) {
      fields::set_str(s, mount_part(m, kWant));
      return;
    }
  }
}

void ex_k8s_ns(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.k8s_ns_name); }
void ex_k8s_pod(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.k8s_pod_name); }

constexpr uint32_t kMountArg = kFieldArgRequired | kFieldArgIndex | kFieldArgKey;
constexpr FieldDef kDefs[] = {
    {"container.id", FieldType::kString, 0, "container id (12 chars) or 'host'", ex_id},
    {"container.name", FieldType::kString, 0, "container name ('host' for host processes)", ex_name},
    {"container.image", FieldType::kString, 0, "full image reference", ex_image},
    {"container.image.repository", FieldType::kString, 0, "image repository", ex_image_repo},
    {"container.image.tag", FieldType::kString, 0, "image tag", ex_image_tag},
    {"container.privileged", FieldType::kBool, 0, "container runs privileged", ex_privileged},
    {"container.start_ts", FieldType::kAbsTime, 0, "container start time (epoch ns)", ex_start_ts},
    {"container.mounts", FieldType::kString, 0,
     "space-separated mounts, each 'source:dest:mode:rw:propagation'", ex_mounts},
    {"container.mount.dest", FieldType::kString, kMountArg,
     "mount destination; [N] = mount index, [glob] = mount whose source matches", ex_mount_part<1, 0>},
    {"container.mount.source", FieldType::kString, kMountArg,
     "mount source; [N] = mount index, [glob] = mount whose destination matches", ex_mount_part<0, 1>},
    {"container.mount.mode", FieldType::kString, kMountArg,
     "mount mode; [N] = mount index, [glob] = mount whose source matches", ex_mount_part<2, 0>},
    {"k8s.ns.name", FieldType::kString, 0, "Kubernetes namespace of the pod", ex_k8s_ns},
    {"k8s.pod.name", FieldType::kString, 0, "Kubernetes pod name", ex_k8s_pod},
};

}  // namespace

void register_container_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
