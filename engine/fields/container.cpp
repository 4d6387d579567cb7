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
void ex_k8s_pod_uid(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.k8s_pod_uid); }
void ex_digest(const Event& e, const FieldArg&, ExtractSlot& s) { str_if(s, e.container.image_digest); }

// Labels are carried as "key=value" (label keys have no '='), rendered as Falco does: "k1:v1, k2:v2".
template <std::vector<std::string> ContainerInfo::*kLabels>
void ex_labels(const Event& e, const FieldArg&, ExtractSlot& s) {
  const auto& ls = e.container.*kLabels;
  if (ls.empty()) return;
  s.buf.clear();
  for (const auto& kv : ls) {
    if (!s.buf.empty()) s.buf += ", ";
    const size_t eq = kv.find('=');
    s.buf.append(kv, 0, eq);
    if (eq != std::string::npos) s.buf.append(":").append(kv, eq + 1);
  }
  fields::set_buf(s);
}
template <std::vector<std::string> ContainerInfo::*kLabels>
void ex_label(const Event& e, const FieldArg& a, ExtractSlot& s) {
  for (const auto& kv : e.container.*kLabels) {
    if (kv.size() > a.key.size() && kv[a.key.size()] == '=' && kv.compare(0, a.key.size(), a.key) == 0) {
      fields::set_str(s, std::string_view(kv).substr(a.key.size() + 1));
      return;
    }
  }
}

constexpr uint32_t kMountArg = kFieldArgRequired | kFieldArgIndex | kFieldArgKey;
constexpr FieldDef kDefs[] = {
    {"container.id", FieldType::kString, 0, "container id (12 chars) or 'host'", ex_id},
    {"container.name", FieldType::kString, 0, "container name ('host' for host processes)", ex_name},
    {"container.image", FieldType::kString, 0, "full image reference", ex_image},
    {"container.image.repository", FieldType::kString, 0, "image repository", ex_image_repo},
    {"container.image.tag", FieldType::kString, 0, "image tag", ex_image_tag},
    {"container.image.digest", FieldType::kString, 0, "image digest ('sha256:...'), when the runtime gives one",
     ex_digest},
    {"container.labels", FieldType::kString, 0, "container labels as 'k1:v1, k2:v2'",
     ex_labels<&ContainerInfo::labels>},
    {"container.label", FieldType::kString, kFieldArgRequired | kFieldArgKey,
     "value of a container label: container.label[io.kubernetes.container.name]", ex_label<&ContainerInfo::labels>},
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
    {"k8s.pod.uid", FieldType::kString, 0, "Kubernetes pod uid", ex_k8s_pod_uid},
    {"k8s.pod.labels", FieldType::kString, 0, "pod labels as 'k1:v1, k2:v2'",
     ex_labels<&ContainerInfo::k8s_pod_labels>},
    {"k8s.pod.label", FieldType::kString, kFieldArgRequired | kFieldArgKey, "value of a pod label: k8s.pod.label[app]",
     ex_label<&ContainerInfo::k8s_pod_labels>},
};

}  // namespace

void register_container_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kSyscall);
}

}  // namespace peregrine::engine
