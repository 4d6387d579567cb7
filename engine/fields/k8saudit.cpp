// ka.* (k8saudit plugin) and jevt.* / json.* (json plugin) over the audit event JSON in Event::payload.
//
// The payload is parsed at most once per event: a per-thread cache keyed by the payload text itself (a memcmp
// is far cheaper than a parse, and it stays correct when the decoder reuses one Event object). The k8s audit
// path allocates while parsing JSON; the syscall path does not touch this file.
#include "engine/fields/k8saudit_json.h"

namespace peregrine::engine::k8saudit {
namespace {
struct DocCache {
  bool valid = false;
  std::string text;
  bool ok = false;
  json doc;
};
}  // namespace

const json* doc_of(const Event& e) {
  if (e.source != EventSource::kK8sAudit) return nullptr;
  thread_local DocCache c;
  if (!c.valid || c.text != e.payload) {
    c.valid = true;
    c.text = e.payload;
    c.doc = json::parse(e.payload, nullptr, false);
    c.ok = !c.doc.is_discarded() && c.doc.is_object();
  }
  return c.ok ? &c.doc : nullptr;
}

const json* at(const json* j, std::initializer_list<std::string_view> path) {
  for (auto k : path) {
    if (!j || !j->is_object()) return nullptr;
    auto it = j->find(k);
    if (it == j->end()) return nullptr;
    j = &*it;
  }
  return j;
}

// Scalar rendering: strings as-is, booleans true/false, numbers and objects as JSON text; null = absent.
bool render(const json& v, std::string& out) {
  if (v.is_null()) return false;
  if (v.is_string()) {
    out = v.get_ref<const std::string&>();
  } else if (v.is_boolean()) {
    out = v.get<bool>() ? "true" : "false";
  } else {
    out = v.dump();
  }
  return true;
}

void put_scalar(const json* v, ExtractSlot& s) {
  if (v && render(*v, s.buf)) fields::set_buf(s);
}
void push(ExtractSlot& s, const json& v) {
  std::string& str = s.next_str();
  if (render(v, str)) s.views.push_back(str);
}

const json* req_spec(const Event& e) { return at(doc_of(e), {"requestObject", "spec"}); }

}  // namespace peregrine::engine::k8saudit

namespace peregrine::engine {
namespace {

using fields::FieldArg;
using fields::FieldDef;
using namespace k8saudit;

template <const char* A, const char* B>
void ex_path2(const Event& e, const FieldArg&, ExtractSlot& s) { put_scalar(at(doc_of(e), {A, B}), s); }

constexpr char kUser[] = "user", kUsername[] = "username", kImpUser[] = "impersonatedUser", kVerb[] = "verb",
               kUri[] = "requestURI", kObjRef[] = "objectRef", kName[] = "name", kNamespace[] = "namespace",
               kResource[] = "resource", kSubresource[] = "subresource", kRespStatus[] = "responseStatus",
               kCode[] = "code", kReason[] = "reason";

void ex_top(const Event& e, const char* key, ExtractSlot& s) { put_scalar(at(doc_of(e), {key}), s); }
void ex_verb(const Event& e, const FieldArg&, ExtractSlot& s) { ex_top(e, kVerb, s); }
void ex_uri(const Event& e, const FieldArg&, ExtractSlot& s) { ex_top(e, kUri, s); }

void ex_auth(const Event& e, std::string_view key, ExtractSlot& s) {
  const json* a = at(doc_of(e), {"annotations"});
  if (!a || !a->is_object()) return;
  auto it = a->find(key);
  if (it != a->end()) put_scalar(&*it, s);
}
void ex_auth_decision(const Event& e, const FieldArg&, ExtractSlot& s) {
  ex_auth(e, "authorization.k8s.io/decision", s);
}
void ex_auth_reason(const Event& e, const FieldArg&, ExtractSlot& s) { ex_auth(e, "authorization.k8s.io/reason", s); }
void ex_vap_failure(const Event& e, const FieldArg&, ExtractSlot& s) {
  ex_auth(e, "validation.policy.admission.k8s.io/validation_failure", s);
}
void ex_pod_violations(const Event& e, const FieldArg&, ExtractSlot& s) {
  ex_auth(e, "pod-security.kubernetes.io/audit-violations", s);
}

void ex_auditid(const Event& e, const FieldArg&, ExtractSlot& s) { put_scalar(at(doc_of(e), {"auditID"}), s); }
void ex_stage(const Event& e, const FieldArg&, ExtractSlot& s) { put_scalar(at(doc_of(e), {"stage"}), s); }
void ex_useragent(const Event& e, const FieldArg&, ExtractSlot& s) { put_scalar(at(doc_of(e), {"userAgent"}), s); }
void ex_sourceips(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* ips = at(doc_of(e), {"sourceIPs"});
  if (!ips || !ips->is_array()) return;
  for (size_t i = 0; i < ips->size(); ++i)
    if (!a.has || a.index < 0 || i == static_cast<size_t>(a.index)) push(s, (*ips)[i]);
  if (!s.views.empty()) fields::set_list(s);
}
// The pod a request targets: objectRef.name when the resource is pods (including its subresources).
void ex_target_pod(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* r = at(doc_of(e), {"objectRef", "resource"});
  if (r && r->is_string() && r->get_ref<const std::string&>() == "pods")
    put_scalar(at(doc_of(e), {"objectRef", "name"}), s);
}
// kube-apiserver's audit events carry no cluster name (the managed-cloud variants of the plugin add one from
// their own configuration): the field exists so that rules and outputs naming it load; it is never present.
void ex_cluster_name(const Event&, const FieldArg&, ExtractSlot&) {}

void ex_user_groups(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* g = at(doc_of(e), {"user", "groups"});
  if (!g || !g->is_array()) return;
  for (const auto& v : *g) push(s, v);
  fields::set_list(s);
}

void ex_uri_param(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* u = at(doc_of(e), {"requestURI"});
  if (!u || !u->is_string()) return;
  std::string_view uri = u->get_ref<const std::string&>();
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return;
  std::string_view qs = uri.substr(q + 1);
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == a.key) {
      s.buf.assign(eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1));
      fields::set_buf(s);
      return;
    }
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
}

// Strips ":tag" and "@digest" from an image reference (a ':' after the last '/' starts the tag).
std::string_view image_repository(std::string_view img) {
  size_t at_pos = img.find('@');
  if (at_pos != std::string_view::npos) img = img.substr(0, at_pos);
  size_t slash = img.rfind('/');
  size_t colon = img.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
    img = img.substr(0, colon);
  return img;
}

enum class CtrWhat { kImage, kRepo, kPrivileged };
template <CtrWhat W>
void containers(const Event& e, const char* list, const FieldArg& a, ExtractSlot& s) {
  const json* c = at(req_spec(e), {list});
  if (!c || !c->is_array()) return;
  size_t i = 0;
  for (const auto& ctr : *c) {
    if (a.has && a.index >= 0 && i++ != static_cast<size_t>(a.index)) continue;
    if constexpr (W == CtrWhat::kPrivileged) {
      const json* p = at(&ctr, {"securityContext", "privileged"});
      s.views.push_back(p && p->is_boolean() && p->get<bool>() ? "true" : "false");
    } else {
      const json* img = at(&ctr, {"image"});
      if (!img || !img->is_string()) continue;
      std::string& str = s.next_str();
      std::string_view v = img->get_ref<const std::string&>();
      str.assign(W == CtrWhat::kRepo ? image_repository(v) : v);
      s.views.push_back(str);
    }
  }
  if (!s.views.empty()) fields::set_list(s);
}
constexpr char kContainers[] = "containers", kInit[] = "initContainers", kEphemeral[] = "ephemeralContainers";
template <const char* L, CtrWhat W>
void ex_ctr(const Event& e, const FieldArg& a, ExtractSlot& s) { containers<W>(e, L, a, s); }

template <const char* Key>
void ex_spec_flag(const Event& e, const FieldArg&, ExtractSlot& s) { put_scalar(at(req_spec(e), {Key}), s); }
constexpr char kHostIpc[] = "hostIPC", kHostNet[] = "hostNetwork", kHostPid[] = "hostPID", kType[] = "type";

void ex_hostpath(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* v = at(req_spec(e), {"volumes"});
  if (!v || !v->is_array()) return;
  for (const auto& vol : *v)
    if (const json* p = at(&vol, {"hostPath", "path"})) push(s, *p);
  if (!s.views.empty()) fields::set_list(s);
}

// Legacy single-valued aliases over the pod's containers (the first one; any privileged one).
template <CtrWhat W>
void ex_first_container(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* c = at(req_spec(e), {"containers"});
  if (!c || !c->is_array()) return;
  if constexpr (W == CtrWhat::kPrivileged) {
    bool any = false;
    for (const auto& ctr : *c) {
      const json* p = at(&ctr, {"securityContext", "privileged"});
      any = any || (p && p->is_boolean() && p->get<bool>());
    }
    fields::set_str(s, any ? "true" : "false");
  } else {
    const json* img = c->empty() ? nullptr : at(&c->front(), {"image"});
    if (!img || !img->is_string()) return;
    std::string_view v = img->get_ref<const std::string&>();
    s.buf.assign(W == CtrWhat::kRepo ? image_repository(v) : v);
    fields::set_buf(s);
  }
}
// Legacy ka.req.volume.hostpath[PREFIX]: "true" when a hostPath volume's path starts with PREFIX.
void ex_volume_hostpath(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* v = at(req_spec(e), {"volumes"});
  if (!v || !v->is_array()) return;
  bool found = false;
  for (const auto& vol : *v) {
    const json* p = at(&vol, {"hostPath", "path"});
    found = found || (p && p->is_string() && p->get_ref<const std::string&>().starts_with(a.key));
  }
  fields::set_str(s, found ? "true" : "false");
}

void ex_binding_subjects(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* v = at(doc_of(e), {"requestObject", "subjects"});
  if (!v || !v->is_array()) return;
  for (const auto& sub : *v)
    if (const json* n = at(&sub, {"name"})) push(s, *n);
  if (!s.views.empty()) fields::set_list(s);
}
// Subjects of one kind: their names, or (service accounts) "namespace:name".
enum class SubjectWhat { kUser, kGroup, kSa, kSaNs };
template <SubjectWhat W>
void ex_binding_kind(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* v = at(doc_of(e), {"requestObject", "subjects"});
  if (!v || !v->is_array()) return;
  const char* kind = W == SubjectWhat::kUser ? "User" : W == SubjectWhat::kGroup ? "Group" : "ServiceAccount";
  for (const auto& sub : *v) {
    const json* k = at(&sub, {"kind"});
    const json* n = at(&sub, {"name"});
    if (!k || *k != kind || !n || !n->is_string()) continue;
    if constexpr (W == SubjectWhat::kSaNs) {
      const json* ns = at(&sub, {"namespace"});
      std::string& str = s.next_str();
      str = (ns && ns->is_string() ? ns->get<std::string>() : std::string()) + ":" + n->get<std::string>();
      s.views.push_back(str);
    } else {
      push(s, *n);
    }
  }
  if (!s.views.empty()) fields::set_list(s);
}
// Legacy ka.req.binding.subject.has_name[NAME]: "true" when a subject has that name, else "false".
void ex_binding_has_name(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* v = at(doc_of(e), {"requestObject", "subjects"});
  if (!v || !v->is_array()) return;
  bool found = false;
  for (const auto& sub : *v) {
    const json* n = at(&sub, {"name"});
    found = found || (n && n->is_string() && n->get_ref<const std::string&>() == a.key);
  }
  fields::set_str(s, found ? "true" : "false");
}
void ex_binding_role(const Event& e, const FieldArg&, ExtractSlot& s) {
  put_scalar(at(doc_of(e), {"requestObject", "roleRef", "name"}), s);
}
void ex_configmap_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* r = at(doc_of(e), {"objectRef", "resource"});
  if (r && r->is_string() && r->get_ref<const std::string&>() == "configmaps")
    put_scalar(at(doc_of(e), {"objectRef", "name"}), s);
}
void ex_configmap_obj(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* r = at(doc_of(e), {"objectRef", "resource"});
  if (r && r->is_string() && r->get_ref<const std::string&>() == "configmaps")
    put_scalar(at(doc_of(e), {"requestObject", "data"}), s);
}

// Role rules: the rule objects, or the union of one of their string arrays.
template <const char* Key>
void ex_role_rules_part(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* rules = at(doc_of(e), {"requestObject", "rules"});
  if (!rules || !rules->is_array()) return;
  for (const auto& rule : *rules) {
    if (Key[0] == '\0') {
      push(s, rule);
      continue;
    }
    const json* arr = at(&rule, {Key});
    if (arr && arr->is_array())
      for (const auto& v : *arr) push(s, v);
  }
  if (!s.views.empty()) fields::set_list(s);
}
constexpr char kNone[] = "", kResources[] = "resources", kVerbs[] = "verbs", kApiGroups[] = "apiGroups",
               kNonResourceUrls[] = "nonResourceURLs";

void ex_service_ports(const Event& e, const FieldArg&, ExtractSlot& s) {
  const json* p = at(req_spec(e), {"ports"});
  if (!p || !p->is_array()) return;
  for (const auto& v : *p) push(s, v);
  if (!s.views.empty()) fields::set_list(s);
}
void ex_resp_name(const Event& e, const FieldArg&, ExtractSlot& s) {
  put_scalar(at(doc_of(e), {"responseObject", "metadata", "name"}), s);
}

// json plugin: value at a JSON pointer; the whole object; the event time.
Result<FieldType> resolve_pointer(FieldArg& a) {
  if (a.key.empty() || a.key[0] != '/') return make_error("JSON pointer '" + a.key + "' must start with '/'");
  try {
    json::json_pointer p(a.key);
  } catch (const std::exception& ex) {
    return make_error("invalid JSON pointer '" + a.key + "': " + ex.what());
  }
  return FieldType::kString;
}
void ex_json_value(const Event& e, const FieldArg& a, ExtractSlot& s) {
  const json* d = doc_of(e);
  if (!d) return;
  json::json_pointer p(a.key);
  if (!d->contains(p)) return;
  put_scalar(&d->at(p), s);
}
void ex_json_obj(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (doc_of(e)) fields::set_str(s, e.payload);
}
void ex_json_rawtime(const Event& e, const FieldArg&, ExtractSlot& s) {
  if (e.source != EventSource::kK8sAudit) return;
  s.buf = std::to_string(e.ts_ns);
  fields::set_buf(s);
}

constexpr uint32_t kList = kFieldIsList;
constexpr uint32_t kListIdx = kFieldIsList | kFieldArgAllowed | kFieldArgIndex;
constexpr uint32_t kPtr = kFieldArgRequired | kFieldArgKey;
constexpr FieldType S = FieldType::kString;
constexpr FieldDef kDefs[] = {
    {"ka.auth.decision", S, 0, "authorization decision (allow/forbid)", ex_auth_decision},
    {"ka.auth.reason", S, 0, "authorization reason", ex_auth_reason},
    {"ka.auditid", S, 0, "unique id of the audit event (auditID)", ex_auditid},
    {"ka.stage", S, 0, "stage of the request (RequestReceived, ResponseStarted, ResponseComplete, Panic)", ex_stage},
    {"ka.validations.admission.policy.failure", S, 0, "validation failure reason of a ValidatingAdmissionPolicy",
     ex_vap_failure},
    {"ka.security.pod.violations", S, 0, "Pod Security admission audit violations", ex_pod_violations},
    {"ka.user.name", S, 0, "user performing the request", ex_path2<kUser, kUsername>},
    {"ka.user.groups", S, kList, "groups of the requesting user", ex_user_groups},
    {"ka.impuser.name", S, 0, "impersonated user name", ex_path2<kImpUser, kUsername>},
    {"ka.verb", S, 0, "action being performed (create, delete, ...)", ex_verb},
    {"ka.uri", S, 0, "request URI as sent from client to server", ex_uri},
    {"ka.uri.param", S, kFieldArgRequired | kFieldArgKey, "value of a query parameter of the URI, [name]",
     ex_uri_param},
    {"ka.target.name", S, 0, "target object name", ex_path2<kObjRef, kName>},
    {"ka.target.namespace", S, 0, "target object namespace", ex_path2<kObjRef, kNamespace>},
    {"ka.target.resource", S, 0, "target object resource (pods, deployments, ...)", ex_path2<kObjRef, kResource>},
    {"ka.target.subresource", S, 0, "target object subresource (exec, attach, ...)",
     ex_path2<kObjRef, kSubresource>},
    {"ka.target.pod.name", S, 0, "target pod name (requests on pods and their subresources)", ex_target_pod},
    {"ka.useragent", S, 0, "user agent of the client", ex_useragent},
    {"ka.sourceips", S, kListIdx, "IP addresses of the client; [i] = one", ex_sourceips},
    {"ka.cluster.name", S, 0, "cluster name: not carried by kube-apiserver audit events, never present",
     ex_cluster_name},
    {"ka.req.binding.subjects", S, kList, "subject names of a (cluster) role binding", ex_binding_subjects},
    {"ka.req.binding.subjects.user_names", S, kList, "User subject names of a (cluster) role binding",
     ex_binding_kind<SubjectWhat::kUser>},
    {"ka.req.binding.subjects.serviceaccount_names", S, kList, "ServiceAccount subject names of a binding",
     ex_binding_kind<SubjectWhat::kSa>},
    {"ka.req.binding.subjects.serviceaccount_ns_names", S, kList,
     "ServiceAccount subjects of a binding as namespace:name", ex_binding_kind<SubjectWhat::kSaNs>},
    {"ka.req.binding.subjects.group_names", S, kList, "Group subject names of a (cluster) role binding",
     ex_binding_kind<SubjectWhat::kGroup>},
    {"ka.req.binding.subject.has_name", S, kFieldArgRequired | kFieldArgKey,
     "deprecated: 'true' if a binding subject has the name [NAME], else 'false'", ex_binding_has_name},
    {"ka.req.binding.role", S, 0, "role referenced by a (cluster) role binding", ex_binding_role},
    {"ka.req.configmap.name", S, 0, "configmap name (configmap requests only)", ex_configmap_name},
    {"ka.req.configmap.obj", S, 0, "configmap data as JSON text (configmap requests only)", ex_configmap_obj},
    {"ka.req.pod.containers.image", S, kListIdx, "container images of the pod; [i] = one container",
     ex_ctr<kContainers, CtrWhat::kImage>},
    {"ka.req.pod.containers.image.repository", S, kListIdx, "container image repositories (tag stripped)",
     ex_ctr<kContainers, CtrWhat::kRepo>},
    {"ka.req.pod.containers.privileged", S, kListIdx, "privileged flag of each container ('true'/'false')",
     ex_ctr<kContainers, CtrWhat::kPrivileged>},
    {"ka.req.pod.initContainers.image", S, kListIdx, "init container images", ex_ctr<kInit, CtrWhat::kImage>},
    {"ka.req.pod.initContainers.image.repository", S, kListIdx, "init container image repositories",
     ex_ctr<kInit, CtrWhat::kRepo>},
    {"ka.req.pod.initContainers.privileged", S, kListIdx, "privileged flag of each init container",
     ex_ctr<kInit, CtrWhat::kPrivileged>},
    {"ka.req.pod.ephemeralContainers.image", S, kListIdx, "ephemeral container images",
     ex_ctr<kEphemeral, CtrWhat::kImage>},
    {"ka.req.pod.ephemeralContainers.image.repository", S, kListIdx, "ephemeral container image repositories",
     ex_ctr<kEphemeral, CtrWhat::kRepo>},
    {"ka.req.pod.ephemeralContainers.privileged", S, kListIdx, "privileged flag of each ephemeral container",
     ex_ctr<kEphemeral, CtrWhat::kPrivileged>},
    {"ka.req.container.image", S, 0, "deprecated: image of the first container", ex_first_container<CtrWhat::kImage>},
    {"ka.req.container.image.repository", S, 0, "deprecated: image repository of the first container",
     ex_first_container<CtrWhat::kRepo>},
    {"ka.req.container.privileged", S, 0, "deprecated: 'true' if any container is privileged, else 'false'",
     ex_first_container<CtrWhat::kPrivileged>},
    {"ka.req.container.host_network", S, 0, "deprecated alias of ka.req.pod.host_network", ex_spec_flag<kHostNet>},
    {"ka.req.volume.hostpath", S, kFieldArgRequired | kFieldArgKey,
     "deprecated: 'true' if a hostPath volume's path starts with [PREFIX], else 'false'", ex_volume_hostpath},
    {"ka.req.pod.host_ipc", S, 0, "pod hostIPC flag", ex_spec_flag<kHostIpc>},
    {"ka.req.pod.host_network", S, 0, "pod hostNetwork flag", ex_spec_flag<kHostNet>},
    {"ka.req.pod.host_pid", S, 0, "pod hostPID flag", ex_spec_flag<kHostPid>},
    {"ka.req.pod.volumes.hostpath", S, kList, "hostPath paths of the pod volumes", ex_hostpath},
    {"ka.req.role.rules", S, kList, "role rules, each as JSON text", ex_role_rules_part<kNone>},
    {"ka.req.role.rules.resources", S, kList, "resources named by any role rule", ex_role_rules_part<kResources>},
    {"ka.req.role.rules.verbs", S, kList, "verbs named by any role rule", ex_role_rules_part<kVerbs>},
    {"ka.req.role.rules.apiGroups", S, kList, "API groups named by any role rule",
     ex_role_rules_part<kApiGroups>},
    {"ka.req.role.rules.nonResourceURLs", S, kList, "non-resource URLs named by any role rule",
     ex_role_rules_part<kNonResourceUrls>},
    {"ka.req.service.type", S, 0, "service type", ex_spec_flag<kType>},
    {"ka.req.service.ports", S, kList, "service ports, each as JSON text", ex_service_ports},
    {"ka.resp.name", S, 0, "response object name", ex_resp_name},
    {"ka.response.code", S, 0, "HTTP response code", ex_path2<kRespStatus, kCode>},
    {"ka.response.reason", S, 0, "response reason", ex_path2<kRespStatus, kReason>},
    {"jevt.value", S, kPtr, "value at a JSON pointer, e.g. jevt.value[/stage] (alias of json.value)",
     ex_json_value, resolve_pointer},
    {"jevt.obj", S, 0, "the whole audit event JSON (alias of json.obj)", ex_json_obj},
    {"jevt.rawtime", S, 0, "event time in ns since the epoch, as text (alias of json.rawtime)", ex_json_rawtime},
    {"json.value", S, kPtr, "value at a JSON pointer, e.g. json.value[/a/b]", ex_json_value, resolve_pointer},
    {"json.obj", S, 0, "the whole audit event JSON", ex_json_obj},
    {"json.rawtime", S, 0, "event time in ns since the epoch, as text", ex_json_rawtime},
};

}  // namespace

void register_k8saudit_fields(FieldRegistry& registry) {
  fields::register_table(registry, kDefs, EventSource::kK8sAudit);
  register_k8saudit_pod_fields(registry);
}

}  // namespace peregrine::engine
