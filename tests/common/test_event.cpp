// Event model equality: every member takes part.
#include <doctest/doctest.h>

#include <functional>

#include "common/codec_samples.h"

using namespace peregrine;

TEST_CASE("equal events compare equal, and changing any single member breaks equality") {
  const Event base = samples::full_event(EventType::kConnect, 5);
  CHECK(base == samples::full_event(EventType::kConnect, 5));
  const std::vector<std::pair<const char*, std::function<void(Event&)>>> mutations = {
      {"source", [](Event& e) { e.source = EventSource::kK8sAudit; }},
      {"type", [](Event& e) { e.type = EventType::kBind; }},
      {"num", [](Event& e) { e.num++; }},
      {"ts_ns", [](Event& e) { e.ts_ns++; }},
      {"res", [](Event& e) { e.res++; }},
      {"cpu", [](Event& e) { e.cpu++; }},
      {"param.present", [](Event& e) { e.params[0].present = false; }},
      {"param.num", [](Event& e) { e.params[0].num++; }},
      {"param.str", [](Event& e) { e.params[1].str += "x"; }},
      {"params.size", [](Event& e) { e.params.pop_back(); }},
      {"proc.tid", [](Event& e) { e.proc.tid++; }},
      {"proc.vpgid", [](Event& e) { e.proc.vpgid++; }},
      {"proc.loginuid", [](Event& e) { e.proc.loginuid++; }},
      {"proc.tty", [](Event& e) { e.proc.tty++; }},
      {"proc.start_ts", [](Event& e) { e.proc.start_ts++; }},
      {"proc.cap_effective", [](Event& e) { e.proc.cap_effective++; }},
      {"proc.exe_ino_mtime", [](Event& e) { e.proc.exe_ino_mtime++; }},
      {"proc.exe_writable", [](Event& e) { e.proc.exe_writable = false; }},
      {"proc.exe_lower_layer", [](Event& e) { e.proc.exe_lower_layer = false; }},
      {"proc.comm", [](Event& e) { e.proc.comm = "dog"; }},
      {"proc.cwd", [](Event& e) { e.proc.cwd = "/"; }},
      {"proc.env", [](Event& e) { e.proc.env.clear(); }},
      {"proc.sname", [](Event& e) { e.proc.sname.clear(); }},
      {"proc.loginname", [](Event& e) { e.proc.loginname.clear(); }},
      {"ancestor.pid", [](Event& e) { e.proc.ancestors[1].pid++; }},
      {"ancestor.args", [](Event& e) { e.proc.ancestors[0].args.push_back("x"); }},
      {"ancestor.exepath", [](Event& e) { e.proc.ancestors[2].exepath.clear(); }},
      {"fd.num", [](Event& e) { e.fd.num++; }},
      {"fd.typechar", [](Event& e) { e.fd.typechar = 'f'; }},
      {"fd.name_changed", [](Event& e) { e.fd.name_changed = false; }},
      {"fd.nameraw", [](Event& e) { e.fd.nameraw.clear(); }},
      {"sock.family", [](Event& e) { e.fd.sock.family = 10; }},
      {"sock.l4proto", [](Event& e) { e.fd.sock.l4proto = 17; }},
      {"sock.connected", [](Event& e) { e.fd.sock.connected = false; }},
      {"sock.is_server", [](Event& e) { e.fd.sock.is_server = true; }},
      {"sock.local_ip", [](Event& e) { e.fd.sock.local_ip[15] = 1; }},
      {"sock.remote_ip", [](Event& e) { e.fd.sock.remote_ip[0] = 9; }},
      {"sock.local_port", [](Event& e) { e.fd.sock.local_port++; }},
      {"sock.remote_port", [](Event& e) { e.fd.sock.remote_port++; }},
      {"container.id", [](Event& e) { e.container.id = "host"; }},
      {"container.image_tag", [](Event& e) { e.container.image_tag = "latest"; }},
      {"container.privileged", [](Event& e) { e.container.privileged = 0; }},
      {"container.start_ts", [](Event& e) { e.container.start_ts++; }},
      {"container.mounts", [](Event& e) { e.container.mounts.clear(); }},
      {"container.k8s_pod_name", [](Event& e) { e.container.k8s_pod_name = "x"; }},
      {"container.image_digest", [](Event& e) { e.container.image_digest.clear(); }},
      {"container.labels", [](Event& e) { e.container.labels.pop_back(); }},
      {"container.k8s_pod_uid", [](Event& e) { e.container.k8s_pod_uid = "x"; }},
      {"container.k8s_pod_labels", [](Event& e) { e.container.k8s_pod_labels.clear(); }},
      {"payload", [](Event& e) { e.payload.clear(); }},
  };
  for (const auto& m : mutations) {  // not a structured binding: clang 14 cannot capture one (CAPTURE)
    const auto& name = m.first;
    CAPTURE(name);
    Event e = base;
    m.second(e);
    CHECK_FALSE(e == base);
    CHECK(e != base);
  }
}

TEST_CASE("default-constructed events are equal and host-scoped") {
  CHECK(Event{} == Event{});
  CHECK(Event{}.container.id == "host");
  CHECK(Event{}.fd.num == -1);
  CHECK(Event{}.proc.loginuid == 0xffffffffu);
}
