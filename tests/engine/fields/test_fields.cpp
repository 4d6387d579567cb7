// Every built-in field extractor over hand-built events, checked through its text rendering.
#include <doctest/doctest.h>

#include <set>

#include "engine/fields/simple.h"
#include "engine/filter/format.h"
#include "tests/engine/filter/event_fixture.h"

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

std::string render(const std::string& field, const Event& e) { return render_field(field, e); }

struct Row {
  const char* field;
  const char* expected;
};

void check_rows(const Event& e, std::initializer_list<Row> rows) {
  for (const auto& r : rows) CHECK_MESSAGE(render(r.field, e) == r.expected, r.field);
}

Event make_k8s_event() {
  Event e;
  e.source = EventSource::kK8sAudit;
  e.type = EventType::kK8sAudit;
  e.num = 9;
  e.ts_ns = 1700000000000000000ull;
  e.payload = R"({
    "kind":"Event","stage":"ResponseComplete","verb":"create",
    "requestURI":"/api/v1/namespaces/default/pods/web/exec?command=sh&container=web&stdin=true",
    "user":{"username":"alice","groups":["system:authenticated","dev"]},
    "impersonatedUser":{"username":"bob"},
    "objectRef":{"resource":"pods","namespace":"default","name":"web","subresource":"exec"},
    "responseStatus":{"code":201,"reason":"Created"},
    "annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed"},
    "responseObject":{"metadata":{"name":"web-resp"}},
    "requestObject":{
      "roleRef":{"name":"cluster-admin"},
      "subjects":[{"kind":"User","name":"alice"},{"kind":"Group","name":"ops"}],
      "rules":[{"resources":["pods","pods/exec"],"verbs":["get","create"],"apiGroups":[""]}],
      "data":{"k":"v"},
      "spec":{
        "hostNetwork":true,"hostPID":false,"type":"NodePort","ports":[{"port":80}],
        "containers":[{"image":"nginx:1.25","securityContext":{"privileged":true}},
                      {"image":"registry.io:5000/team/app@sha256:abc"}],
        "initContainers":[{"image":"busybox"}],
        "ephemeralContainers":[{"image":"debug:1","securityContext":{"privileged":false}}],
        "volumes":[{"hostPath":{"path":"/var/run/docker.sock"}},{"emptyDir":{}}]
      }
    }})";
  return e;
}

}  // namespace

TEST_CASE("evt fields") {
  Event e = make_open_event();
  set_param(e, "flags", 0102 | 01000);  // O_RDWR|O_CREAT|O_TRUNC
  set_param(e, "mode", 0755);
  check_rows(e, {
      {"evt.num", "42"},
      {"evt.type", "openat"},
      {"syscall.type", "openat"},
      {"evt.dir", "<"},
      {"evt.cpu", "1"},
      {"evt.source", "syscall"},
      {"evt.category", "file"},
      {"evt.time", "22:13:20.123456789"},
      {"evt.time.s", "22:13:20"},
      {"evt.time.iso8601", "2023-11-14T22:13:20.123456789Z"},
      {"evt.datetime", "2023-11-14 22:13:20.123456789"},
      {"evt.datetime.s", "2023-11-14 22:13:20"},
      {"evt.rawtime", "1700000000123456789"},
      {"evt.rawtime.s", "1700000000"},
      {"evt.rawtime.ns", "123456789"},
      {"evt.res", "SUCCESS"},
      {"evt.rawres", "3"},
      {"evt.failed", "false"},
      {"evt.arg.name", "/etc/shadow"},
      {"evt.arg.flags", "O_TRUNC|O_CREAT|O_RDWR"},
      {"evt.arg.mode", "0755"},
      {"evt.arg.fd", "<f>/etc/shadow"},
      {"evt.arg[2]", "/etc/shadow"},
      {"evt.arg[0]", "<f>/etc/shadow"},
      {"evt.rawarg.flags", "578"},
      {"evt.rawarg.name", "/etc/shadow"},
      {"evt.is_open_read", "true"},
      {"evt.is_open_write", "true"},
      {"evt.is_open_exec", "true"},
      {"evt.buffer", "<NA>"},
      {"evt.buflen", "<NA>"},
      {"evt.latency", "0"},
      {"evt.wait_latency", "0"},
  });
  CHECK(render("evt.args", e) ==
        "fd=3(<f>/etc/shadow) dirfd=-100(AT_FDCWD) name=/etc/shadow(/etc/shadow) flags=263(O_TRUNC|O_CREAT|O_RDWR) "
        "mode=0755 dev=NULL ino=NULL ");
  e.res = -2;
  e.payload = "data";
  check_rows(e, {{"evt.res", "ENOENT"}, {"evt.rawres", "-2"}, {"evt.failed", "true"}, {"evt.buffer", "data"},
                 {"evt.buflen", "4"}});
  e.res = -9999;
  CHECK(render("evt.res", e) == "-9999");
  Event x = make_open_event();
  x.type = EventType::kExecve;
  x.params.assign(event_spec(x.type).nparams, Param{});
  check_rows(x, {{"evt.is_open_read", "<NA>"}, {"evt.arg.flags", "0"}, {"evt.category", "process"}});
}

TEST_CASE("evt.arg.flags on execve/execveat is Falco's EXE_* flags, derived from the process context") {
  Event x = make_open_event();
  x.type = EventType::kExecve;
  x.params.assign(event_spec(x.type).nparams, Param{});
  check_rows(x, {{"evt.arg.flags", "0"}, {"evt.rawarg.flags", "0"}, {"evt.arg[4]", "<NA>"}});
  x.proc.exe_writable = true;
  check_rows(x, {{"evt.arg.flags", "EXE_WRITABLE"}, {"evt.rawarg.flags", "1"}});
  x.proc.exe_upper_layer = x.proc.exe_from_memfd = true;
  check_rows(x, {{"evt.arg.flags", "EXE_WRITABLE|EXE_UPPER_LAYER|EXE_FROM_MEMFD"}, {"evt.rawarg.flags", "7"}});
  // A container's own binary: on overlayfs, not copied up (what Falco shows for a shell in a container).
  Event lower = x;
  lower.proc.exe_upper_layer = lower.proc.exe_from_memfd = false;
  lower.proc.exe_lower_layer = true;
  check_rows(lower, {{"evt.arg.flags", "EXE_WRITABLE|EXE_LOWER_LAYER"}, {"evt.rawarg.flags", "9"}});
  // execveat: by name, `flags` is the exe flags as on Falco's exit event; the AT_* argument stays positional.
  x.type = EventType::kExecveat;
  x.params.assign(event_spec(x.type).nparams, Param{});
  set_param(x, "flags", 0x1000);  // AT_EMPTY_PATH
  x.proc.exe_writable = false;
  check_rows(x, {{"evt.arg.flags", "EXE_UPPER_LAYER|EXE_FROM_MEMFD"}, {"evt.rawarg.flags", "6"},
                 {"evt.arg[3]", "AT_EMPTY_PATH"}});
  // Other events keep their own `flags` parameter, or have none.
  Event o = make_open_event();
  o.proc.exe_writable = true;
  set_param(o, "flags", 01 | 0100);
  check_rows(o, {{"evt.arg.flags", "O_CREAT|O_WRONLY"}, {"evt.rawarg.flags", "65"}});
  o.type = EventType::kConnect;
  o.params.assign(event_spec(o.type).nparams, Param{});
  check_rows(o, {{"evt.arg.flags", "<NA>"}, {"evt.rawarg.flags", "<NA>"}});
}

TEST_CASE("evt.arg renders typed parameters symbolically") {
  Event e = make_open_event();
  e.type = EventType::kSocket;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "domain", 10);
  set_param(e, "type", 1 | 04000);
  CHECK(render("evt.arg.domain", e) == "AF_INET6");
  CHECK(render("evt.arg.type", e) == "2049");  // PT_UINT32 in Falco: no names
  e.type = EventType::kPtrace;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "request", 16);
  CHECK(render("evt.arg.request", e) == "PTRACE_ATTACH");
  e.type = EventType::kBpf;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "cmd", 5);
  CHECK(render("evt.arg.cmd", e) == "BPF_PROG_LOAD");
  e.type = EventType::kClone;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "flags", 0x100 | 0x10000);
  CHECK(render("evt.arg.flags", e) == "CLONE_THREAD|CLONE_VM");  // Falco's table order
  e.type = EventType::kSetuid;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "uid", 1000);
  set_param(e, "res", static_cast<uint64_t>(-1));
  CHECK(render("evt.arg.uid", e) == "<NA>");  // a uid without a known user name
  CHECK(render("evt.arg.res", e) == "EPERM");
  e.type = EventType::kUnshare;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "flags", 0x10000000 | 0x20000);
  CHECK(render("evt.arg.flags", e) == "CLONE_NEWNS|CLONE_NEWUSER");
}

TEST_CASE("proc fields") {
  Event e = make_open_event();
  check_rows(e, {
      {"proc.name", "bash"},
      {"proc.exe", "/bin/bash"},
      {"proc.exepath", "/usr/bin/bash"},
      {"proc.cwd", "/root"},
      {"proc.args", "-c ls -la"},
      {"proc.cmdline", "bash -c ls -la"},
      {"proc.exeline", "/bin/bash -c ls -la"},
      {"proc.env", "HOME=/root PATH=/usr/bin:/bin EMPTY="},
      {"proc.env[HOME]", "/root"},
      {"proc.env[PATH]", "/usr/bin:/bin"},
      {"proc.env[NOPE]", "<NA>"},
      {"proc.pid", "1234"},
      {"proc.tid", "1235"},
      {"proc.ppid", "1000"},
      {"proc.vpid", "34"},
      {"proc.sid", "1000"},
      {"proc.pgid", "1234"},
      {"proc.vpgid", "34"},
      {"proc.tty", "34816"},
      {"proc.sname", "sshd"},
      {"proc.is_vpgid_leader", "true"},
      {"proc.is_sid_leader", "false"},
      {"proc.start_ts", "1700000000000000000"},
      {"proc.duration", "123456789"},
      {"proc.exe_ino", "777"},
      {"proc.exe_ino.ctime", "1690000000000000000"},
      {"proc.exe_ino.mtime", "1680000000000000000"},
      {"proc.exe_ino.ctime_duration_proc_start", "10000000000000000"},
      {"proc.is_exe_from_memfd", "false"},
      {"proc.is_exe_upper_layer", "false"},
      {"proc.is_exe_writable", "false"},
      {"proc.pname", "sshd"},
      {"proc.pexe", "/usr/sbin/sshd"},
      {"proc.pexepath", "/usr/sbin/sshd"},
      {"proc.pcmdline", "sshd -D"},
      {"proc.aname", "sshd"},
      {"proc.aname[0]", "bash"},
      {"proc.aname[1]", "sshd"},
      {"proc.aname[2]", "systemd"},
      {"proc.aname[3]", "<NA>"},
      {"proc.aexe[2]", "/sbin/init"},
      {"proc.aexe", "/usr/sbin/sshd"},
      {"proc.aexepath[2]", "/usr/lib/systemd/systemd"},
      {"proc.aexepath", "/usr/sbin/sshd"},
      {"proc.apid[1]", "1000"},
      {"proc.apid[0]", "1234"},
      {"proc.apid[2]", "1"},
  });
  e.proc.ancestors.clear();
  e.proc.start_ts = 0;
  check_rows(e, {{"proc.pname", "<NA>"}, {"proc.pcmdline", "<NA>"}, {"proc.aname", "<NA>"},
                 {"proc.duration", "<NA>"}, {"proc.pexe", "<NA>"}});
}

TEST_CASE("thread fields render capabilities like Falco") {
  Event e = make_open_event();
  check_rows(e, {
      {"thread.tid", "1235"},
      {"thread.vtid", "35"},
      {"thread.ismain", "false"},
      {"thread.cap_effective", "CAP_CHOWN CAP_SYS_ADMIN"},
      {"thread.cap_permitted", "CAP_CHOWN CAP_KILL CAP_SYS_ADMIN"},
      {"thread.cap_inheritable", ""},
  });
  CHECK(eval_on("thread.cap_effective icontains sys_admin", e));
}

TEST_CASE("user and group fields") {
  Event e = make_open_event();
  check_rows(e, {{"user.uid", "0"}, {"user.euid", "0"}, {"user.name", "root"}, {"user.loginuid", "-1"},
                 {"user.loginname", "<NA>"}, {"group.gid", "0"}, {"group.egid", "0"}, {"group.name", "root"}});
  e.proc.loginuid = 1000;
  e.proc.loginname = "alice";
  check_rows(e, {{"user.loginuid", "1000"}, {"user.loginname", "alice"}});
  CHECK(eval_on("user.loginuid = 1000", e));
  e.proc.loginuid = 0xffffffffu;
  CHECK(eval_on("user.loginuid = -1", e));
  CHECK(eval_on("user.loginuid < 0", e));
}

TEST_CASE("fd fields for files") {
  Event e = make_open_event();
  check_rows(e, {
      {"fd.num", "3"},
      {"fd.type", "file"},
      {"fd.typechar", "f"},
      {"fd.name", "/etc/shadow"},
      {"fd.nameraw", "/etc/../etc/shadow"},
      {"fd.directory", "/etc"},
      {"fd.filename", "shadow"},
      {"fd.name_changed", "true"},
      {"fd.sip", "<NA>"},
      {"fd.l4proto", "<NA>"},
      {"fd.sockfamily", "<NA>"},
      {"fd.connected", "<NA>"},
  });
  e.fd.name = "/shadow";
  CHECK(render("fd.directory", e) == "/");
  e.fd.typechar = 'd';
  e.fd.name = "/etc/pam.d";
  CHECK(render("fd.directory", e) == "/etc/pam.d");
  CHECK(render("fd.type", e) == "directory");
  e.fd = FdInfo{};
  check_rows(e, {{"fd.num", "<NA>"}, {"fd.name", "<NA>"}, {"fd.typechar", "<NA>"}, {"fd.name_changed", "<NA>"}});
}

TEST_CASE("fd fields for sockets") {
  Event e = make_connect_event();
  check_rows(e, {
      {"fd.type", "ipv4"},
      {"fd.typechar", "4"},
      {"fd.name", "10.0.0.5:40000->93.184.216.34:443"},
      {"fd.ip", "10.0.0.5"},
      {"fd.cip", "10.0.0.5"},
      {"fd.sip", "93.184.216.34"},
      {"fd.lip", "10.0.0.5"},
      {"fd.rip", "93.184.216.34"},
      {"fd.net", "10.0.0.5"},
      {"fd.cnet", "10.0.0.5"},
      {"fd.snet", "93.184.216.34"},
      {"fd.lnet", "10.0.0.5"},
      {"fd.rnet", "93.184.216.34"},
      {"fd.port", "40000"},
      {"fd.cport", "40000"},
      {"fd.sport", "443"},
      {"fd.lport", "40000"},
      {"fd.rport", "443"},
      {"fd.l4proto", "tcp"},
      {"fd.sockfamily", "ip"},
      {"fd.connected", "true"},
      {"fd.is_server", "false"},
      {"fd.cip.name", "<NA>"},
      {"fd.sip.name", "<NA>"},
      {"fd.lip.name", "<NA>"},
      {"fd.rip.name", "<NA>"},
      {"fd.directory", "<NA>"},
      {"fd.filename", "<NA>"},
  });
  // A server socket (accept): local is the server side.
  e.fd.sock.is_server = true;
  check_rows(e, {{"fd.sip", "10.0.0.5"}, {"fd.cip", "93.184.216.34"}, {"fd.sport", "40000"}, {"fd.cport", "443"}});
  e.fd.sock.family = 10;
  e.fd.sock.local_ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(render("fd.lip", e) == "::1");
  e.fd.sock.local_ip = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  CHECK(render("fd.lip", e) == "2001:db8:1::10");
  e.fd.sock.family = 1;
  e.fd.typechar = 'u';
  check_rows(e, {{"fd.sockfamily", "unix"}, {"fd.sip", "<NA>"}, {"fd.type", "unix"}});
  e.fd.sock.l4proto = 17;
  CHECK(render("fd.l4proto", e) == "udp");
}

TEST_CASE("container and k8s fields") {
  Event e = make_open_event();
  check_rows(e, {
      {"container.id", "abcdef123456"},
      {"container.name", "web"},
      {"container.image", "docker.io/library/nginx:1.25"},
      {"container.image.repository", "docker.io/library/nginx"},
      {"container.image.tag", "1.25"},
      {"container.privileged", "true"},
      {"container.start_ts", "1690000000000000000"},
      {"container.mounts", "/var/run/docker.sock:/var/run/docker.sock::true:rprivate /data:/mnt/data:ro:false:"},
      {"container.mount.dest[/var/run/docker.sock]", "/var/run/docker.sock"},
      {"container.mount.dest[/var/run/*.sock]", "/var/run/docker.sock"},
      {"container.mount.dest[1]", "/mnt/data"},
      {"container.mount.dest[/nope]", "<NA>"},
      {"container.mount.source[/mnt/*]", "/data"},
      {"container.mount.mode[/data]", "ro"},
      {"k8s.ns.name", "default"},
      {"k8s.pod.name", "web-1"},
      {"container.image.digest", "sha256:0d17b565"},
      {"container.labels", "app:web, io.kubernetes.container.name:nginx"},
      {"container.label[io.kubernetes.container.name]", "nginx"},
      {"container.label[app]", "web"},
      {"container.label[ap]", "<NA>"},
      {"k8s.pod.uid", "5f3c9a7e-2b1d"},
      {"k8s.pod.labels", "app:web, tier:front"},
      {"k8s.pod.label[tier]", "front"},
      {"k8s.pod.label[nope]", "<NA>"},
  });
  CHECK(eval_on("k8s.pod.label[app] = web and container.label[app] startswith w", e));
  CHECK(eval_on("container.mount.dest[/var/run/docker.sock] exists", e));
  e.container = ContainerInfo{};
  check_rows(e, {{"container.id", "host"}, {"container.name", "host"}, {"container.privileged", "<NA>"},
                 {"container.image.repository", "<NA>"}, {"container.mounts", "<NA>"}, {"k8s.ns.name", "<NA>"},
                 {"container.labels", "<NA>"}, {"k8s.pod.labels", "<NA>"}, {"k8s.pod.label[app]", "<NA>"},
                 {"k8s.pod.uid", "<NA>"}, {"container.image.digest", "<NA>"}});
}

TEST_CASE("k8s audit fields over the audit JSON") {
  Event e = make_k8s_event();
  check_rows(e, {
      {"ka.auth.decision", "allow"},
      {"ka.auth.reason", "RBAC: allowed"},
      {"ka.user.name", "alice"},
      {"ka.user.groups", "(system:authenticated,dev)"},
      {"ka.impuser.name", "bob"},
      {"ka.verb", "create"},
      {"ka.uri", "/api/v1/namespaces/default/pods/web/exec?command=sh&container=web&stdin=true"},
      {"ka.uri.param[command]", "sh"},
      {"ka.uri.param[stdin]", "true"},
      {"ka.uri.param[nope]", "<NA>"},
      {"ka.target.name", "web"},
      {"ka.target.namespace", "default"},
      {"ka.target.resource", "pods"},
      {"ka.target.subresource", "exec"},
      {"ka.req.binding.subjects", "(alice,ops)"},
      {"ka.req.binding.role", "cluster-admin"},
      {"ka.req.configmap.name", "<NA>"},
      {"ka.req.configmap.obj", "<NA>"},
      {"ka.req.pod.containers.image", "(nginx:1.25,registry.io:5000/team/app@sha256:abc)"},
      {"ka.req.pod.containers.image[1]", "(registry.io:5000/team/app@sha256:abc)"},
      {"ka.req.pod.containers.image.repository", "(nginx,registry.io:5000/team/app)"},
      {"ka.req.pod.containers.privileged", "(true,false)"},
      {"ka.req.pod.initContainers.image", "(busybox)"},
      {"ka.req.pod.initContainers.image.repository", "(busybox)"},
      {"ka.req.pod.initContainers.privileged", "(false)"},
      {"ka.req.pod.ephemeralContainers.image", "(debug:1)"},
      {"ka.req.pod.ephemeralContainers.image.repository", "(debug)"},
      {"ka.req.pod.ephemeralContainers.privileged", "(false)"},
      {"ka.req.pod.host_ipc", "<NA>"},
      {"ka.req.pod.host_network", "true"},
      {"ka.req.pod.host_pid", "false"},
      {"ka.req.pod.volumes.hostpath", "(/var/run/docker.sock)"},
      {"ka.req.role.rules", "({\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/exec\"],\"verbs\":[\"get\",\"create\"]})"},
      {"ka.req.role.rules.resources", "(pods,pods/exec)"},
      {"ka.req.role.rules.verbs", "(get,create)"},
      {"ka.req.role.rules.apiGroups", "()"},
      {"ka.req.service.type", "NodePort"},
      {"ka.req.service.ports", "({\"port\":80})"},
      {"ka.resp.name", "web-resp"},
      {"ka.response.code", "201"},
      {"ka.response.reason", "Created"},
      {"jevt.value[/stage]", "ResponseComplete"},
      {"jevt.value[/requestObject/spec/hostNetwork]", "true"},
      {"jevt.value[/nope]", "<NA>"},
      {"json.value[/user/username]", "alice"},
      {"jevt.rawtime", "1700000000000000000"},
      {"json.rawtime", "1700000000000000000"},
  });
  CHECK(render("jevt.obj", e) == e.payload);
  CHECK(render("json.obj", e) == e.payload);
  e.payload = R"({"objectRef":{"resource":"configmaps","name":"cm1"},"requestObject":{"data":{"a":"b"}}})";
  e.num = 10;
  check_rows(e, {{"ka.req.configmap.name", "cm1"}, {"ka.req.configmap.obj", "{\"a\":\"b\"}"},
                 {"ka.verb", "<NA>"}});
  e.payload = "not json";
  e.num = 11;
  check_rows(e, {{"ka.verb", "<NA>"}, {"jevt.obj", "<NA>"}});
  Event s = make_open_event();  // a syscall event has no audit payload
  CHECK(render("ka.verb", s) == "<NA>");
}

TEST_CASE("every registered field compiles and extracts on syscall and audit events") {
  Event events[] = {make_open_event(), make_connect_event(), make_k8s_event()};
  builtin_fields().for_each_field([&](const FieldInfo& f) {
    std::string text = f.name;
    if (f.has(kFieldDotSuffix)) text += ".name";
    else if (f.name == "jevt.value" || f.name == "json.value") text += "[/verb]";
    else if (f.has(kFieldArgRequired) && f.has(kFieldArgIndex)) text += "[1]";
    else if (f.has(kFieldArgRequired)) text += "[HOME]";
    auto fmt = compile_output("%" + text, builtin_fields());
    REQUIRE_MESSAGE(fmt.ok(), text << ": " << (fmt.ok() ? "" : fmt.error().message));
    for (const Event& e : events) {
      EvalContext ctx(e);
      std::string out;
      std::map<std::string, FieldValue> typed;
      fmt.value().render(ctx, out, &typed);
      REQUIRE(typed.count(text) == 1);
      // Missing values print <NA> and are null in the typed map; present ones never print <NA>.
      CHECK((out == "<NA>") == std::holds_alternative<std::monostate>(typed[text]));
    }
  });
}

TEST_CASE("field registry: lookups, dot suffixes, sorted iteration") {
  const FieldRegistry& r = builtin_fields();
  CHECK(r.find("proc.name") != nullptr);
  CHECK(r.find("proc.nope") == nullptr);
  std::string suffix;
  const FieldInfo* f = r.resolve("evt.arg.flags", &suffix);
  REQUIRE(f);
  CHECK(f->name == "evt.arg");
  CHECK(suffix == "flags");
  CHECK(r.resolve("evt.rawarg.res", &suffix)->name == "evt.rawarg");
  CHECK(r.resolve("proc.name.x", &suffix) == nullptr);
  std::string prev;
  size_t n = 0;
  r.for_each_field([&](const FieldInfo& fi) {
    CHECK(fi.name > prev);
    CHECK(!fi.description.empty());
    prev = fi.name;
    ++n;
  });
  CHECK(n == r.size());
  CHECK(n >= 160);
  FieldRegistry dup;
  register_builtin_fields(dup);
  CHECK(dup.size() == r.size());
  CHECK_THROWS(register_proc_fields(dup));
}

TEST_CASE("extractor pool shares one extractor per field text") {
  ExtractorPool pool;
  auto a = make_field_extractor(builtin_fields(), pool, "proc.aname", true, "2");
  auto b = make_field_extractor(builtin_fields(), pool, "proc.aname", true, "2");
  auto c = make_field_extractor(builtin_fields(), pool, "proc.aname", true, "3");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(a.value().get() == b.value().get());
  CHECK(a.value().get() != c.value().get());
  CHECK(a.value()->slot_id() != c.value()->slot_id());
  CHECK(pool.size() == 2);
}
