// Hand-built events and one-line helpers for the filter/fields tests.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "common/event.h"
#include "engine/fields/registry.h"
#include "engine/filter/compiler.h"
#include "engine/filter/format.h"
#include "engine/filter/parser.h"

namespace peregrine::engine::fixtures {

inline void set_param(Event& e, std::string_view name, uint64_t num, std::string str = {}) {
  int i = param_index(e.type, name);
  REQUIRE_MESSAGE(i >= 0, "no param " << name);
  e.params.resize(event_spec(e.type).nparams);
  e.params[i].present = true;
  e.params[i].num = num;
  e.params[i].str = std::move(str);
}

/// An openat of /etc/shadow by "bash -c ls -la" (parent sshd, grandparent systemd) in a container.
inline Event make_open_event() {
  Event e;
  e.type = EventType::kOpenat;
  e.num = 42;
  e.ts_ns = 1700000000123456789ull;
  e.res = 3;
  e.cpu = 1;
  e.params.resize(event_spec(e.type).nparams);
  set_param(e, "fd", 3);
  set_param(e, "dirfd", static_cast<uint64_t>(-100));
  set_param(e, "name", 0, "/etc/shadow");
  set_param(e, "flags", 0);       // O_RDONLY
  set_param(e, "mode", 0);
  e.proc.tid = 1235;
  e.proc.pid = 1234;
  e.proc.ppid = 1000;
  e.proc.vpid = 34;
  e.proc.vtid = 35;
  e.proc.sid = 1000;
  e.proc.pgid = 1234;
  e.proc.vpgid = 34;
  e.proc.uid = 0;
  e.proc.gid = 0;
  e.proc.tty = 34816;
  e.proc.start_ts = 1700000000000000000ull;
  e.proc.cap_effective = (1ull << 21) | (1ull << 0);
  e.proc.cap_permitted = (1ull << 21) | (1ull << 0) | (1ull << 5);
  e.proc.exe_ino = 777;
  e.proc.exe_ino_ctime = 1690000000000000000ull;
  e.proc.exe_ino_mtime = 1680000000000000000ull;
  e.proc.comm = "bash";
  e.proc.exe = "/bin/bash";
  e.proc.exepath = "/usr/bin/bash";
  e.proc.cwd = "/root";
  e.proc.args = {"-c", "ls -la"};
  e.proc.env = {"HOME=/root", "PATH=/usr/bin:/bin", "EMPTY="};
  e.proc.user_name = "root";
  e.proc.group_name = "root";
  e.proc.loginname = "";
  e.proc.sname = "sshd";
  e.proc.ancestors = {
      AncestorInfo{1000, "sshd", "/usr/sbin/sshd", "/usr/sbin/sshd", {"-D"}},
      AncestorInfo{1, "systemd", "/sbin/init", "/usr/lib/systemd/systemd", {}},
  };
  e.fd.num = 3;
  e.fd.typechar = 'f';
  e.fd.name_changed = true;
  e.fd.name = "/etc/shadow";
  e.fd.nameraw = "/etc/../etc/shadow";
  e.container.id = "abcdef123456";
  e.container.name = "web";
  e.container.image = "docker.io/library/nginx:1.25";
  e.container.image_repository = "docker.io/library/nginx";
  e.container.image_tag = "1.25";
  e.container.privileged = 1;
  e.container.start_ts = 1690000000000000000ull;
  e.container.mounts = {"/var/run/docker.sock:/var/run/docker.sock::true:rprivate", "/data:/mnt/data:ro:false:"};
  e.container.k8s_ns_name = "default";
  e.container.k8s_pod_name = "web-1";
  e.container.image_digest = "sha256:0d17b565";
  e.container.labels = {"app=web", "io.kubernetes.container.name=nginx"};
  e.container.k8s_pod_uid = "5f3c9a7e-2b1d";
  e.container.k8s_pod_labels = {"app=web", "tier=front"};
  return e;
}

/// A connect from 10.0.0.5:40000 to 93.184.216.34:443 (tcp).
inline Event make_connect_event() {
  Event e = make_open_event();
  e.type = EventType::kConnect;
  e.params.assign(event_spec(e.type).nparams, Param{});
  set_param(e, "res", 0);
  set_param(e, "tuple", 0, "10.0.0.5:40000->93.184.216.34:443");
  set_param(e, "fd", 5);
  e.res = 0;
  e.fd = FdInfo{};
  e.fd.num = 5;
  e.fd.typechar = '4';
  e.fd.name = "10.0.0.5:40000->93.184.216.34:443";
  e.fd.name_changed = true;
  e.fd.sock.family = 2;
  e.fd.sock.l4proto = 6;
  e.fd.sock.connected = true;
  e.fd.sock.is_server = false;
  e.fd.sock.local_ip = {10, 0, 0, 5};
  e.fd.sock.remote_ip = {93, 184, 216, 34};
  e.fd.sock.local_port = 40000;
  e.fd.sock.remote_port = 443;
  return e;
}

/// `e` rendered through the output format "%<field>", as a rule's output shows the field.
inline std::string render_field(const std::string& field, const Event& e) {
  auto fmt = compile_output("%" + field, builtin_fields());
  REQUIRE_MESSAGE(fmt.ok(), field << ": " << (fmt.ok() ? "" : fmt.error().message));
  EvalContext ctx(e);
  std::string out;
  fmt.value().render(ctx, out, nullptr);
  return out;
}

inline Result<std::unique_ptr<Filter>> compile_text(const std::string& cond,
                                                    std::vector<Diagnostic>* warnings = nullptr,
                                                    const CompileOptions& opts = {},
                                                    CompileFailure* failure = nullptr) {
  auto ast = parse_condition(cond);
  if (!ast) return ast.error();
  return compile_filter(*ast.value(), builtin_fields(), warnings, opts, failure);
}

/// Evaluates `cond` against `e`; fails the test if it does not compile.
inline bool eval_on(const std::string& cond, const Event& e) {
  auto f = compile_text(cond);
  REQUIRE_MESSAGE(f.ok(), cond << ": " << (f.ok() ? "" : f.error().message));
  EvalContext ctx(e);
  return f.value()->eval(ctx);
}

/// The compile error message for `cond` ("" if it compiles).
inline std::string compile_error(const std::string& cond) {
  auto f = compile_text(cond);
  return f.ok() ? std::string() : f.error().message;
}

}  // namespace peregrine::engine::fixtures
