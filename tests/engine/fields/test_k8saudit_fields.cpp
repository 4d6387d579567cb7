// The ka.* fields beyond the basics (test_fields.cpp): audit metadata, binding subjects by kind, per-container
// security context of the three container lists, pod security context, volumes, and the deprecated aliases
// older rule files use; list fields under in / intersects as Falco evaluates them.
#include <doctest/doctest.h>

#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

Event k8s(std::string payload) {
  Event e;
  e.source = EventSource::kK8sAudit;
  e.type = EventType::kK8sAudit;
  e.ts_ns = 1700000000000000000ull;
  e.payload = std::move(payload);
  return e;
}

Event pod_event() {
  return k8s(R"J({
    "kind":"Event","auditID":"7e0c5b3a","stage":"ResponseComplete","verb":"create",
    "requestURI":"/api/v1/namespaces/default/pods","userAgent":"kubectl/v1.30.0",
    "sourceIPs":["203.0.113.10","10.0.0.1"],
    "user":{"username":"alice"},
    "objectRef":{"resource":"pods","namespace":"default","name":"web"},
    "annotations":{"pod-security.kubernetes.io/audit-violations":"privileged (container \"a\")",
                   "validation.policy.admission.k8s.io/validation_failure":"[{\"message\":\"no\"}]"},
    "requestObject":{"spec":{
      "securityContext":{"runAsUser":1000,"runAsGroup":3000,"fsGroup":2000,"supplementalGroups":[4000,5000]},
      "hostNetwork":true,
      "containers":[
        {"name":"a","image":"nginx:1.25","command":["nginx","-g"],"args":["daemon off;"],
         "ports":[{"containerPort":80,"hostPort":8080}],
         "securityContext":{"privileged":true,"allowPrivilegeEscalation":true,"runAsUser":0,
                            "procMount":"Unmasked","capabilities":{"add":["SYS_ADMIN","NET_ADMIN"]}}},
        {"name":"b","image":"quay.io/x/y:2","securityContext":{"readOnlyRootFilesystem":true}}],
      "initContainers":[{"name":"init","image":"busybox","securityContext":{"runAsGroup":7}}],
      "ephemeralContainers":[{"name":"dbg","image":"debug:1","securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}],
      "volumes":[{"name":"sock","hostPath":{"path":"/var/run/docker.sock"}},{"name":"tmp","emptyDir":{}},
                 {"name":"flex","flexVolume":{"driver":"example/lvm"}}]}}})J");
}

Event binding_event() {
  return k8s(R"({
    "kind":"Event","auditID":"b1","stage":"ResponseComplete","verb":"create","requestURI":"/apis/rbac",
    "objectRef":{"resource":"clusterrolebindings","name":"crb"},
    "requestObject":{"roleRef":{"name":"cluster-admin"},"subjects":[
      {"kind":"User","name":"alice"},{"kind":"Group","name":"ops"},
      {"kind":"ServiceAccount","name":"deployer","namespace":"ci"}],
      "rules":[{"nonResourceURLs":["/healthz","/metrics"],"verbs":["get"]}]}})");
}

// `cond` compiled as a source k8s_audit rule condition.
Result<std::unique_ptr<Filter>> compile_k8s(const std::string& cond) {
  CompileOptions opts;
  opts.source = EventSource::kK8sAudit;
  return compile_text(cond, nullptr, opts);
}

bool eval_k8s(const std::string& cond, const Event& e) {
  auto f = compile_k8s(cond);
  REQUIRE_MESSAGE(f.ok(), cond << ": " << (f.ok() ? "" : f.error().message));
  EvalContext ctx(e);
  return f.value()->eval(ctx);
}

void check_rows(const Event& e, std::initializer_list<std::pair<const char*, const char*>> rows) {
  for (const auto& row : rows) CHECK_MESSAGE(render_field(row.first, e) == row.second, row.first);
}

}  // namespace

TEST_CASE("ka.* audit metadata: auditid, stage, useragent, sourceips, target.pod.name, annotations") {
  const Event e = pod_event();
  check_rows(e, {{"ka.auditid", "7e0c5b3a"},
                 {"ka.stage", "ResponseComplete"},
                 {"ka.useragent", "kubectl/v1.30.0"},
                 {"ka.sourceips", "(203.0.113.10,10.0.0.1)"},
                 {"ka.sourceips[1]", "(10.0.0.1)"},
                 {"ka.target.pod.name", "web"},
                 {"ka.cluster.name", "<NA>"},
                 {"ka.security.pod.violations", "privileged (container \"a\")"},
                 {"ka.validations.admission.policy.failure", R"([{"message":"no"}])"}});
  CHECK(render_field("ka.target.pod.name", binding_event()) == "<NA>");  // not a pod request
}

TEST_CASE("ka.req.pod.<list>.*: names, commands, ports, security context per container") {
  const Event e = pod_event();
  check_rows(e, {{"ka.req.pod.containers.name", "(a,b)"},
                 {"ka.req.pod.containers.command", "(nginx,-g)"},
                 {"ka.req.pod.containers.args", "(daemon off;)"},
                 {"ka.req.pod.containers.host_port", "(8080)"},
                 {"ka.req.pod.containers.allow_privilege_escalation", "(true,false)"},
                 {"ka.req.pod.containers.read_only_fs", "(false,true)"},
                 {"ka.req.pod.containers.run_as_user", "(0)"},
                 {"ka.req.pod.containers.eff_run_as_user", "(0,1000)"},
                 {"ka.req.pod.containers.run_as_group", "<NA>"},
                 {"ka.req.pod.containers.eff_run_as_group", "(3000,3000)"},
                 {"ka.req.pod.containers.proc_mount", "(Unmasked)"},
                 {"ka.req.pod.containers.add_capabilities", "(SYS_ADMIN,NET_ADMIN)"},
                 {"ka.req.pod.containers.name[1]", "(b)"},
                 {"ka.req.pod.initContainers.name", "(init)"},
                 {"ka.req.pod.initContainers.eff_run_as_group", "(7)"},
                 {"ka.req.pod.ephemeralContainers.add_capabilities", "(SYS_PTRACE)"},
                 {"ka.req.pod.run_as_user", "1000"},
                 {"ka.req.pod.run_as_group", "3000"},
                 {"ka.req.pod.fs_group", "2000"},
                 {"ka.req.pod.supplemental_groups", "(4000,5000)"},
                 {"ka.req.pod.volumes.flexvolume_driver", "(example/lvm)"},
                 {"ka.req.pod.volumes.volume_type", "(hostPath,emptyDir,flexVolume)"}});
}

TEST_CASE("ka.req.binding.subjects.* by kind, has_name, and role rules' nonResourceURLs") {
  const Event e = binding_event();
  check_rows(e, {{"ka.req.binding.subjects.user_names", "(alice)"},
                 {"ka.req.binding.subjects.group_names", "(ops)"},
                 {"ka.req.binding.subjects.serviceaccount_names", "(deployer)"},
                 {"ka.req.binding.subjects.serviceaccount_ns_names", "(ci:deployer)"},
                 {"ka.req.binding.subject.has_name[ops]", "true"},
                 {"ka.req.binding.subject.has_name[mallory]", "false"},
                 {"ka.req.role.rules.nonResourceURLs", "(/healthz,/metrics)"}});
}

TEST_CASE("deprecated aliases older rule files use") {
  const Event e = pod_event();
  check_rows(e, {{"ka.req.container.image", "nginx:1.25"},
                 {"ka.req.container.image.repository", "nginx"},
                 {"ka.req.container.privileged", "true"},
                 {"ka.req.container.host_network", "true"},
                 {"ka.req.volume.hostpath[/var/run]", "true"},
                 {"ka.req.volume.hostpath[/etc]", "false"}});
  CHECK(eval_k8s("ka.req.container.privileged=true", e));
  CHECK(eval_k8s("ka.req.volume.hostpath[/var/run/docker.sock]=true", e));
  CHECK(eval_k8s("ka.req.binding.subject.has_name[alice]=true", binding_event()));
  CHECK_FALSE(compile_k8s("ka.req.volume.hostpath=true").ok());  // the prefix argument is required
}

TEST_CASE("list-valued ka.* fields under in / intersects / exists") {
  const Event e = pod_event();
  CHECK(eval_k8s("ka.req.pod.containers.add_capabilities intersects (SYS_ADMIN, SYS_MODULE)", e));
  CHECK_FALSE(eval_k8s("ka.req.pod.containers.add_capabilities intersects (SYS_MODULE)", e));
  CHECK(eval_k8s("ka.req.pod.containers.add_capabilities in (SYS_ADMIN, NET_ADMIN, CHOWN)", e));
  CHECK_FALSE(eval_k8s("ka.req.pod.containers.add_capabilities in (SYS_ADMIN)", e));  // every value must be in
  CHECK(eval_k8s("ka.sourceips intersects (10.0.0.1)", e));
  CHECK(eval_k8s("ka.req.pod.containers.host_port exists", e));
  CHECK_FALSE(eval_k8s("ka.req.pod.initContainers.host_port exists", e));
  CHECK(eval_k8s("ka.req.pod.containers.eff_run_as_user intersects (0)", e));
}
