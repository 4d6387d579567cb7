// The open filter derived from rule conditions: unit cases, and soundness against the real rule files (every
// open that makes a rule fire must pass the filter).
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <filesystem>
#include <set>

#include "common/transport/control.h"
#include "engine/filter/open_prefilter.h"
#include "engine/rules/rule_engine.h"
#include "tests/engine/filter/event_fixture.h"
#include "tests/engine/filter/upstream_rules.h"

using namespace peregrine;
using namespace peregrine::engine;

namespace {

OpenFilter of(const std::string& cond) {
  auto ast = parse_condition(cond);
  REQUIRE_MESSAGE(ast.ok(), cond);
  return open_prefilter(*ast.value());
}

bool passes(const std::string& cond, const std::string& path, bool write) {
  return open_filter_accepts(of(cond), path, write);
}

std::string rules_yaml(const std::string& cond) {
  return "- rule: r\n  desc: d\n  condition: " + cond + "\n  output: o\n  priority: WARNING\n";
}

}  // namespace

TEST_CASE("path checks on fd.name become prefixes and exact names") {
  const std::string c = "evt.type = openat and fd.name in (/etc/shadow, /etc/sudoers)";
  CHECK(passes(c, "/etc/shadow", false));
  CHECK_FALSE(passes(c, "/etc/shadow2", false));
  CHECK_FALSE(passes(c, "/etc/hostname", true));
  CHECK(passes("evt.type = openat and fd.name startswith /root/.ssh", "/root/.sshx", false));
  CHECK_FALSE(passes("evt.type = openat and fd.name startswith /root/.ssh", "/root/x", false));
  CHECK(passes("evt.type = openat and fd.directory in (/etc/pam.d, /)", "/etc/pam.d/sshd", false));
  CHECK(passes("evt.type = openat and fd.directory in (/etc/pam.d, /)", "/x", false));
  CHECK_FALSE(passes("evt.type = openat and fd.directory = /etc/pam.d", "/etc/pam.dx", false));
  CHECK(passes("evt.type = openat and fd.name glob '/proc/*/environ'", "/proc/1/environ", false));
  CHECK_FALSE(passes("evt.type = openat and fd.name glob '/proc/*/environ'", "/sys/x", false));
  CHECK(passes("evt.type = openat and fd.name pmatch (/usr/bin, /bin)", "/usr/bin/ls", true));
  CHECK(passes("evt.type = openat and fd.nameraw = /etc/shadow", "/etc/shadow", false));
}

TEST_CASE("and intersects, or unites, not and unknown checks accept everything") {
  const std::string w = "evt.type in (open, openat) and evt.is_open_write = true and fd.name startswith /etc";
  CHECK(passes(w, "/etc/passwd", true));
  CHECK_FALSE(passes(w, "/etc/passwd", false));
  CHECK_FALSE(passes(w, "/usr/x", true));
  const std::string both = "(evt.type = openat and fd.name startswith /etc and fd.name in (/etc/shadow, /var/x))";
  CHECK(passes(both, "/etc/shadow", false));
  CHECK_FALSE(passes(both, "/var/x", false));
  const std::string either = "evt.type = openat and (fd.name = /a or evt.is_open_write = true)";
  CHECK(passes(either, "/a", false));
  CHECK(passes(either, "/b", true));
  CHECK_FALSE(passes(either, "/b", false));
  CHECK(of("evt.type = openat and not fd.name = /a").pass_all);
  CHECK(of("evt.type = openat and proc.name = bash").pass_all);
  CHECK(of("evt.type = openat and fd.name contains shadow").pass_all);
  CHECK(of("evt.type = openat and tolower(fd.name) = /etc/shadow").pass_all);
  CHECK(of("evt.type = openat and fd.name = val(proc.exepath)").pass_all);
  SUBCASE("checks that exclude the open family accept no open") {
    auto f = of("(evt.type = execve and proc.name = sh) or (evt.type = openat and fd.name = /a)");
    CHECK_FALSE(f.pass_all);
    CHECK_FALSE(open_filter_accepts(f, "/b", true));
    CHECK(of("evt.type = execve").terms.empty());
    CHECK(of("not evt.type in (open, openat, openat2, creat)").terms.empty());
  }
  SUBCASE("a '..' component test leaves only the paths the kernel cannot judge") {
    auto f = of("evt.type = openat and fd.nameraw contains '../' and fd.name startswith /etc");
    CHECK_FALSE(open_filter_accepts(f, "/etc/shadow", false));
    CHECK(open_filter_accepts(f, "/tmp/../etc/shadow", false));
  }
}

TEST_CASE("the engine unites the filters of its enabled rules only") {
  RuleEngine eng;
  auto res = eng.load_string(rules_yaml("evt.type = openat and fd.name = /etc/shadow") +
                                 "- rule: w\n  desc: d\n  condition: evt.type = openat and evt.is_open_write = true\n"
                                 "  output: o\n  priority: WARNING\n"
                                 "- rule: e\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: ERROR\n",
                             "f.yaml");
  REQUIRE(res.successful());
  auto f = eng.open_filter();
  CHECK(open_filter_accepts(f, "/etc/shadow", false));
  CHECK(open_filter_accepts(f, "/var/log/x", true));
  CHECK_FALSE(open_filter_accepts(f, "/etc/hostname", false));
  eng.enable_rules("r", false);
  CHECK_FALSE(open_filter_accepts(eng.open_filter(), "/etc/shadow", false));
  eng.enable_rules("w", false);
  CHECK(eng.open_filter().terms.empty());
  REQUIRE(eng.load_string(rules_yaml("evt.type = openat and proc.name = cat"), "g.yaml").successful());
  CHECK(eng.open_filter().pass_all);
}

namespace {

// Every path a filter names, plus neighbours: just inside, just outside, one character short.
std::set<std::string> probe_paths(const OpenFilter& f) {
  std::set<std::string> out = {"/etc/hostname", "/etc/shadow", "/root/.ssh/id_rsa", "/home/u/.ssh/authorized_keys",
                               "/proc/1/environ", "/dev/shm/x", "/var/log/syslog", "/bin/ls", "/usr/bin/x",
                               "/etc/ld.so.preload", "/sys/fs/cgroup/release_agent", "/tmp/x"};
  for (const auto& t : f.terms) {
    for (const auto* list : {&t.prefixes, &t.exact}) {
      for (const auto& p : *list) {
        out.insert(p);
        out.insert(p + "x");
        out.insert(p + "/x");
        if (p.size() > 1) out.insert(p.substr(0, p.size() - 1));
      }
    }
  }
  std::erase_if(out, [](const std::string& p) { return !open_path_canonical(p); });
  return out;
}

// Fires the engine on openat events of `path` with `flags` from a few process contexts; true if any rule fired.
bool any_rule_fires(RuleEngine& eng, const std::string& path, uint64_t flags) {
  for (int ctx = 0; ctx < 3; ++ctx) {
    Event e = fixtures::make_open_event();
    fixtures::set_param(e, "name", 0, path);
    fixtures::set_param(e, "flags", flags);
    e.fd.name = e.fd.nameraw = path;
    if (ctx == 1) {  // a host daemon, not a shell, no tty
      e.container.id = "host";
      e.proc.comm = e.proc.exe = "python3";
      e.proc.exepath = "/usr/bin/python3";
      e.proc.tty = 0;
      e.proc.uid = 1000;
      e.proc.user_name = "app";
    } else if (ctx == 2) {  // a package manager
      e.proc.comm = e.proc.exe = "dpkg";
      e.proc.exepath = "/usr/bin/dpkg";
    }
    std::vector<Alert> out;
    eng.process(e, out);
    if (!out.empty()) return true;
  }
  return false;
}

void check_sound(const std::vector<std::string>& files) {
  RuleEngine eng;
  eng.set_rule_matching(RuleMatching::kAll);
  auto res = eng.load_files(files);
  REQUIRE(res.successful());
  const OpenFilter f = eng.open_filter();
  MESSAGE("open filter of " << files.back() << ": " << describe(f) << "\n"
                                  << transport::encode_control(transport::ControlMessage{{}, 0, f}));
  CHECK_FALSE(f.pass_all);  // the point: these rules do not need every open
  size_t fired = 0, dropped = 0;
  for (const auto& path : probe_paths(f)) {
    for (uint64_t flags : {0ull, 01ull, 02ull | 0100ull, 01ull | 01000ull}) {
      const bool write = (flags & 3) != 0;
      const bool fires = any_rule_fires(eng, path, flags);
      fired += fires ? 1 : 0;
      dropped += open_filter_accepts(f, path, write) ? 0 : 1;
      CHECK_MESSAGE(!(fires && !open_filter_accepts(f, path, write)),
                    "a rule fires on " << path << " (flags " << flags << ") but the filter drops it");
    }
  }
  MESSAGE(fired << " probes fired a rule, " << dropped << " were dropped by the filter");
  CHECK(fired > 0);
  CHECK(dropped > 0);
}

}  // namespace

TEST_CASE("rules below the minimum priority add nothing to the filter - they are never evaluated") {
  RuleEngine eng;
  auto res = eng.load_string(
      "- rule: shadow\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n  output: o\n"
      "  priority: ERROR\n"
      "- rule: noisy\n  desc: d\n  condition: evt.type = openat and fd.name startswith /tmp/\n  output: o\n"
      "  priority: DEBUG\n",
      "p.yaml");
  REQUIRE(res.successful());
  CHECK(open_filter_accepts(eng.open_filter(), "/tmp/x", false));
  eng.set_min_priority(Priority::kWarning);
  CHECK_FALSE(open_filter_accepts(eng.open_filter(), "/tmp/x", false));
  CHECK(open_filter_accepts(eng.open_filter(), "/etc/shadow", false));
}

TEST_CASE("soundness: our default rules' open filter passes every open that fires a rule") {
  check_sound({std::string(PEREGRINE_SOURCE_DIR) + "/rules/peregrine_rules.yaml"});
}

TEST_CASE("soundness: the upstream stable rules' open filter passes every open that fires a rule") {
  const std::string p = fixtures::upstream_path("falco_rules.yaml");
  if (p.empty()) {
    PEREGRINE_SKIP_NOTE("../shared/falco-rules/falco_rules.yaml is not present");
    return;
  }
  check_sound({p});
}
