// Evaluating a compiled condition and rendering an output must not allocate once warmed up. A global
// operator new hook counts allocations while a realistic condition runs 1000 times over alternating events.
#include <doctest/doctest.h>

// The replacement operators below pair malloc/free on purpose; GCC cannot see that through inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/filter/format.h"
#include "tests/engine/filter/event_fixture.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocs{0};
}  // namespace

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

using namespace peregrine;
using namespace peregrine::engine;
using namespace peregrine::engine::fixtures;

namespace {

constexpr const char* kCondition =
    "evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.typechar = f and fd.num >= 0 "
    "and (fd.name in (/etc/shadow, /etc/sudoers, /etc/pam.conf) or fd.directory in (/etc/sudoers.d, /etc/pam.d)) "
    "and not proc.name in (login, systemd, sshd, su) and not proc.cmdline startswith \"perl /usr/bin/updmap\" "
    "and not (proc.aname[2] = chef-client or proc.aname = qualys-cloud-ag) and not fd.name pmatch (/proc, /sys) "
    "and not fd.name glob '/etc/*.conf' and not proc.exepath regex '/opt/.*' and container.id != xyz "
    "and not thread.cap_effective icontains sys_module and tolower(proc.name) != evil "
    "and proc.name != val(proc.pname) and user.loginuid < 100000 and not evt.num = 0";

constexpr const char* kOutput =
    "Sensitive file opened for reading (file=%fd.name gparent=%proc.aname[2] evt_type=%evt.type user=%user.name "
    "user_uid=%user.uid user_loginuid=%user.loginuid process=%proc.name proc_exepath=%proc.exepath "
    "parent=%proc.pname command=%proc.cmdline terminal=%proc.tty flags=%evt.arg.flags)";

}  // namespace

TEST_CASE("steady-state evaluation and output rendering allocate nothing") {
  auto f = compile_text(kCondition);
  REQUIRE_MESSAGE(f.ok(), (f.ok() ? "" : f.error().message));
  auto out = compile_output(kOutput, builtin_fields());
  REQUIRE(out.ok());
  Event a = make_open_event();
  a.proc.comm = "evil2";
  Event b = make_open_event();
  b.fd.name = "/etc/hostname";
  EvalContext ctx;
  std::string text;
  text.reserve(1024);
  // Warm-up: slot table growth, buffer capacities, RE2 DFA caches.
  for (int i = 0; i < 4; ++i) {
    ctx.reset(i % 2 ? b : a);
    (void)f.value()->eval(ctx);
    out.value().render(ctx, text, nullptr);
  }
  size_t matches = 0;
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    ctx.reset(i % 2 ? b : a);
    matches += f.value()->eval(ctx) ? 1 : 0;
    if (i % 2 == 0) out.value().render(ctx, text, nullptr);
  }
  g_counting = false;
  CHECK(matches == 500);  // a matches, b does not
  CHECK(g_allocs.load() == 0);
  CHECK(text.find("file=/etc/shadow") != std::string::npos);
}

TEST_CASE("rendering an execve's exe flags (longer than the SSO buffer) allocates nothing once warm") {
  auto out = compile_output("exe_flags=%evt.arg.flags raw=%evt.rawarg.flags", builtin_fields());
  REQUIRE(out.ok());
  Event a = make_open_event();
  a.type = EventType::kExecve;
  a.params.assign(event_spec(a.type).nparams, Param{});
  a.proc.exe_writable = a.proc.exe_upper_layer = a.proc.exe_from_memfd = true;
  Event b = a;
  b.proc.exe_upper_layer = false;
  EvalContext ctx;
  std::string text;
  text.reserve(256);
  for (int i = 0; i < 4; ++i) {
    ctx.reset(i % 2 ? b : a);
    out.value().render(ctx, text, nullptr);
  }
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    ctx.reset(i % 2 ? b : a);
    out.value().render(ctx, text, nullptr);
  }
  g_counting = false;
  CHECK(g_allocs.load() == 0);
  CHECK(text == "exe_flags=EXE_WRITABLE|EXE_FROM_MEMFD raw=5");
}

TEST_CASE("the allocation hook itself counts (guards against a test that cannot fail)") {
  g_allocs = 0;
  g_counting = true;
  auto* p = new std::string(100, 'x');
  g_counting = false;
  delete p;
  CHECK(g_allocs.load() >= 1);
}
