// ka.req.pod.*: per-container values (names, commands, ports, security context) of the three container lists,
// and the pod's own security context and volumes, over requestObject.spec.
//
// A list field yields one value per container that has one, in order; [i] keeps container i only. Flags
// (allow_privilege_escalation, read_only_fs) yield "false" for a container that does not set them, as the
// privileged flag does; eff_run_as_user/group combine the container's and the pod's security contexts and
// yield 0 when neither sets one (the uid/gid the container starts with).
#include "engine/fields/k8saudit_json.h"

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;
using namespace k8saudit;

enum class Prop {
  kName, kCommand, kArgs, kHostPort, kAllowPrivEsc, kReadOnlyFs, kRunAsUser, kEffRunAsUser, kRunAsGroup,
  kEffRunAsGroup, kProcMount, kAddCaps
};

// Pushes container `ctr`'s value(s) of P; `pod_sc` is the pod's securityContext (or nullptr).
template <Prop P>
void container_values(const json& ctr, const json* pod_sc, ExtractSlot& s) {
  const json* sc = at(&ctr, {"securityContext"});
  auto flag = [&](const char* key) {
    const json* f = at(sc, {key});
    s.views.push_back(f && f->is_boolean() && f->get<bool>() ? "true" : "false");
  };
  auto each = [&](const json* arr) {
    if (arr && arr->is_array())
      for (const auto& v : *arr) push(s, v);
  };
  auto eff = [&](const char* key) {
    const json* v = at(sc, {key});
    if (!v || v->is_null()) v = at(pod_sc, {key});
    if (v && !v->is_null()) push(s, *v);
    else s.views.push_back("0");
  };
  if constexpr (P == Prop::kName) {
    if (const json* n = at(&ctr, {"name"})) push(s, *n);
  } else if constexpr (P == Prop::kCommand) {
    each(at(&ctr, {"command"}));
  } else if constexpr (P == Prop::kArgs) {
    each(at(&ctr, {"args"}));
  } else if constexpr (P == Prop::kHostPort) {
    const json* ports = at(&ctr, {"ports"});
    if (ports && ports->is_array())
      for (const auto& p : *ports)
        if (const json* hp = at(&p, {"hostPort"})) push(s, *hp);
  } else if constexpr (P == Prop::kAllowPrivEsc) {
    flag("allowPrivilegeEscalation");
  } else if constexpr (P == Prop::kReadOnlyFs) {
    flag("readOnlyRootFilesystem");
  } else if constexpr (P == Prop::kRunAsUser) {
    if (const json* v = at(sc, {"runAsUser"})) push(s, *v);
  } else if constexpr (P == Prop::kEffRunAsUser) {
    eff("runAsUser");
  } else if constexpr (P == Prop::kRunAsGroup) {
    if (const json* v = at(sc, {"runAsGroup"})) push(s, *v);
  } else if constexpr (P == Prop::kEffRunAsGroup) {
    eff("runAsGroup");
  } else if constexpr (P == Prop::kProcMount) {
    if (const json* v = at(sc, {"procMount"})) push(s, *v);
  } else {
    each(at(sc, {"capabilities", "add"}));
  }
}

template <const char* List, Prop P>
void ex_containers(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* spec = req_spec(e);
  const json* c = at(spec, {List});
  if (!c || !c->is_array()) return;
  const json* pod_sc = at(spec, {"securityContext"});
  for (size_t i = 0; i < c->size(); ++i)
    if (!a.has || a.index < 0 || i == static_cast<size_t>(a.index)) container_values<P>((*c)[i], pod_sc, s);
  if (!s.views.empty()) fields::set_list(s);
}

template <const char* Key>
void ex_pod_sc(const Event& e, const FieldArg&, ExtractSlot& s) {
  put_scalar(at(req_spec(e), {"securityContext", Key}), s);
}
void ex_supplemental_groups(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* g = at(req_spec(e), {"securityContext", "supplementalGroups"});
  if (!g || !g->is_array()) return;
  for (const auto& v : *g) push(s, v);
  if (!s.views.empty()) fields::set_list(s);
}

// Volumes: the flexVolume driver of each that has one; the source type of each (its key other than "name").
template <bool Driver>
void ex_volumes(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* v = at(req_spec(e), {"volumes"});
  if (!v || !v->is_array()) return;
  for (size_t i = 0; i < v->size(); ++i) {
    if (a.has && a.index >= 0 && i != static_cast<size_t>(a.index)) continue;
    const json& vol = (*v)[i];
    if constexpr (Driver) {
      if (const json* d = at(&vol, {"flexVolume", "driver"})) push(s, *d);
    } else if (vol.is_object()) {
      for (const auto& [k, _] : vol.items())
        if (k != "name") {
          std::string& str = s.next_str();
          str = k;
          s.views.push_back(str);
        }
    }
  }
  if (!s.views.empty()) fields::set_list(s);
}

constexpr char kC[] = "containers", kI[] = "initContainers", kE[] = "ephemeralContainers";
constexpr char kRunAsUser[] = "runAsUser", kRunAsGroup[] = "runAsGroup", kFsGroup[] = "fsGroup";
constexpr uint32_t kListIdx = kFieldIsList | kFieldArgAllowed | kFieldArgIndex;
constexpr FieldType S = FieldType::kString;

// The twelve per-container fields of one list ("containers", "initContainers", "ephemeralContainers").
#define PEREGRINE_KA_CONTAINER_FIELDS(LIST, NAME, WHO)                                                          \
  {"ka.req.pod." NAME ".name", S, kListIdx, WHO " names", ex_containers<LIST, Prop::kName>},                    \
  {"ka.req.pod." NAME ".command", S, kListIdx, WHO " command words", ex_containers<LIST, Prop::kCommand>},       \
  {"ka.req.pod." NAME ".args", S, kListIdx, WHO " args", ex_containers<LIST, Prop::kArgs>},                      \
  {"ka.req.pod." NAME ".host_port", S, kListIdx, WHO " hostPort values", ex_containers<LIST, Prop::kHostPort>}, \
  {"ka.req.pod." NAME ".allow_privilege_escalation", S, kListIdx, WHO " allowPrivilegeEscalation flags",        \
   ex_containers<LIST, Prop::kAllowPrivEsc>},                                                                   \
  {"ka.req.pod." NAME ".read_only_fs", S, kListIdx, WHO " readOnlyRootFilesystem flags",                        \
   ex_containers<LIST, Prop::kReadOnlyFs>},                                                                     \
  {"ka.req.pod." NAME ".run_as_user", S, kListIdx, WHO " runAsUser uids (where set)",                           \
   ex_containers<LIST, Prop::kRunAsUser>},                                                                      \
  {"ka.req.pod." NAME ".eff_run_as_user", S, kListIdx, WHO " effective uids (container, else pod, else 0)",     \
   ex_containers<LIST, Prop::kEffRunAsUser>},                                                                   \
  {"ka.req.pod." NAME ".run_as_group", S, kListIdx, WHO " runAsGroup gids (where set)",                         \
   ex_containers<LIST, Prop::kRunAsGroup>},                                                                     \
  {"ka.req.pod." NAME ".eff_run_as_group", S, kListIdx, WHO " effective gids (container, else pod, else 0)",    \
   ex_containers<LIST, Prop::kEffRunAsGroup>},                                                                  \
  {"ka.req.pod." NAME ".proc_mount", S, kListIdx, WHO " procMount types (where set)",                           \
   ex_containers<LIST, Prop::kProcMount>},                                                                      \
  {"ka.req.pod." NAME ".add_capabilities", S, kListIdx, WHO " added capabilities",                              \
   ex_containers<LIST, Prop::kAddCaps>}

constexpr FieldDef kDefs[] = {
    PEREGRINE_KA_CONTAINER_FIELDS(kC, "containers", "containers'"),
    PEREGRINE_KA_CONTAINER_FIELDS(kI, "initContainers", "init containers'"),
    PEREGRINE_KA_CONTAINER_FIELDS(kE, "ephemeralContainers", "ephemeral containers'"),
    {"ka.req.pod.run_as_user", S, 0, "runAsUser of the pod's securityContext", ex_pod_sc<kRunAsUser>},
    {"ka.req.pod.run_as_group", S, 0, "runAsGroup of the pod's securityContext", ex_pod_sc<kRunAsGroup>},
    {"ka.req.pod.fs_group", S, 0, "fsGroup of the pod's securityContext", ex_pod_sc<kFsGroup>},
    {"ka.req.pod.supplemental_groups", S, kFieldIsList, "supplementalGroups of the pod's securityContext",
     ex_supplemental_groups},
    {"ka.req.pod.volumes.flexvolume_driver", S, kListIdx, "flexVolume drivers of the pod's volumes",
     ex_volumes<true>},
    {"ka.req.pod.volumes.volume_type", S, kListIdx, "source type of each volume (hostPath, configMap, ...)",
     ex_volumes<false>},
};

#undef PEREGRINE_KA_CONTAINER_FIELDS

}  // namespace

void register_k8saudit_pod_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kK8sAudit);
}

}  // namespace peregrine::engine
