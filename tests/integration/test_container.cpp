// Container context for real: a private dockerd (host networking only, an image imported from host binaries),
// sensor -> engine -> router, and a shell with a terminal started in a container. The alert in the router's
// file must carry the container's id, name and image, with Falco's upstream rule and with our default one.
//
// Timing, honestly: the sensor resolves container names and images asynchronously (sensor/container_meta.h),
// like Falco, so an event that arrives before its container's lookup has been answered has no name or image.
// The test does not retry until an alert happens to have them. It starts each container with `sleep` first
// and waits until the sensor's peregrine_sensor_container_lookups_total{result="fetched"} counts both of them
// (only this test's containers exist in its private daemon, so only they can be fetched), then starts the
// shells; every alert must then carry the full context. One container runs before the sensor starts (its
// lookup comes from the sensor's /proc seeding), one after (from the `sleep` exec event).
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/integration/docker_env.h"
#include "tests/integration/stack.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kUpstreamRules = std::string(PEREGRINE_SOURCE_DIR) + "/../shared/falco-rules/falco_rules.yaml";
const std::string kDefaultRules = std::string(PEREGRINE_SOURCE_DIR) + "/rules/peregrine_rules.yaml";
const char* kFetched = "peregrine_sensor_container_lookups_total{result=\"fetched\"}";

// Why one of the container tests cannot run here, or "".
std::string cannot_run() {
  if (auto why = sensor_unavailable(); !why.empty()) return why;
  return DockerEnv::missing_tools();
}

std::string random_suffix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", rd());
  return buf;
}

struct Container {
  std::string name, id;
};

// Alerts of `rule` for container `c` in the router's file output. The sensor sees the whole host, so
// containers of other tests running at the same time may raise the rule too; they are not counted.
std::vector<json> alerts_of(const std::filesystem::path& file, const std::string& rule, const Container& c) {
  std::vector<json> out;
  for (const auto& l : read_lines(file)) {
    auto a = json::parse(l);
    if (a.value("rule", "") == rule && a["output_fields"].value("container.id", json()) == c.id.substr(0, 12))
      out.push_back(std::move(a));
  }
  return out;
}

struct RuleCase {
  std::string rules_file;
  std::string rule;
  // Container fields the rule's output lacks, added to output_fields through engine.append_output (as a
  // Falco deployment does to get container context on upstream rules).
  std::string extra_fields;
};

// rule_matching: all, so that an earlier rule matching the same exec cannot hide the one under test.
std::string engine_extra(const RuleCase& rc) {
  return "rule_matching: all\n"
         "append_output:\n"
         "  - match: {rule: \"" + rc.rule + "\"}\n"
         "    extra_fields: [" + rc.extra_fields + "]\n";
}

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// `started_after`: a wall-clock time before the container was started (docker's State.StartedAt).
void check_alert(const json& a, const Container& c, uint64_t started_after) {
  INFO("alert: " << a.dump());
  const auto& f = a["output_fields"];
  CHECK(f["container.id"] == c.id.substr(0, 12));
  CHECK(f["container.name"] == c.name);
  CHECK(f["container.image.repository"] == kShellImageRepository);
  CHECK(f["container.image.tag"] == kShellImageTag);
  REQUIRE(f.contains("container.start_ts"));
  REQUIRE(f["container.start_ts"].is_number());
  CHECK(f["container.start_ts"].get<uint64_t>() >= started_after - 1'000'000'000ull);  // clock granularity
  CHECK(f["container.start_ts"].get<uint64_t>() <= now_ns());
  CHECK(f["proc.name"] == "bash");
  CHECK(f["proc.cmdline"] == "bash -c : with-tty");
  // Falco's encoding (tty_nr of /proc/<pid>/stat): major in bits 8..19; docker's pty is a Unix98 slave (136).
  REQUIRE(f["proc.tty"].is_number());
  CHECK(((f["proc.tty"].get<int64_t>() >> 8) & 0xfff) == 136);
  // The image's own bash (overlay2, not copied up), run by root who owns it: Falco's exe_flags.
  if (f.contains("evt.arg.flags")) CHECK(f["evt.arg.flags"] == "EXE_WRITABLE|EXE_LOWER_LAYER");
}

void shell_in_container_raises(const RuleCase& rc) {
  TempDir dir;
  DockerEnv docker(dir / "docker");
  docker.ensure_shell_image();
  const std::string prefix = "pg-e2e-" + random_suffix();
  std::vector<Container> containers;
  const uint64_t test_start = now_ns();
  containers.push_back({prefix + "-early", docker.run_detached(prefix + "-early", {"sleep", "600"})});

  auto cfg = write_stack_config(dir, rc.rules_file, engine_extra(rc), "",
                                "docker_socket: " + docker.socket() + "\n");
  LiveStack stack(dir, cfg);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  INFO("dockerd log: " << docker.log());
  REQUIRE(wait_until([&] {
    return metric_value(http_get(stack.engine.admin_port(), "/metrics").body, "peregrine_engine_events_total") > 0;
  }, 60s));
  containers.push_back({prefix + "-late", docker.run_detached(prefix + "-late", {"sleep", "600"})});
  REQUIRE(wait_until([&] { return metric_value(http_get(stack.sensor.admin_port(), "/metrics").body, kFetched) >= 2; }, 30s));

  for (const auto& c : containers) {
    // Without a terminal first: the rule must not fire for it (proc.tty is 0). Events stay in order through
    // the pipeline, so once the tty shells' alerts are in the file, a wrong one from here would be too.
    auto no_tty = docker.docker({"exec", c.name, "bash", "-c", ": without-tty"});
    REQUIRE_MESSAGE(no_tty.rc == 0, no_tty.err);
    // -t without -i: docker allocates the container-side pty; the test needs no terminal of its own.
    auto tty = docker.docker({"exec", "-t", c.name, "bash", "-c", ": with-tty"});
    REQUIRE_MESSAGE(tty.rc == 0, tty.err);
  }
  auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] {
    return std::all_of(containers.begin(), containers.end(),
                       [&](const Container& c) { return !alerts_of(file, rc.rule, c).empty(); });
  }, 30s));
  REQUIRE(wait_until([&] {
    return metric_value(http_get(stack.engine.admin_port(), "/metrics").body, "peregrine_engine_alerts_unacked") == 0;
  }, 20s));

  for (const auto& c : containers) {
    INFO("container " << c.name << " " << c.id);
    auto alerts = alerts_of(file, rc.rule, c);
    REQUIRE(alerts.size() == 1);  // the tty shell only
    check_alert(alerts[0], c, test_start);
  }

  CHECK(stack.stop_all() == "");
}

}  // namespace

TEST_CASE("container: a tty shell raises the upstream Terminal shell in container with container id, name, image") {
  if (auto why = cannot_run(); !why.empty()) PEREGRINE_SKIP(why);
  if (!std::ifstream(kUpstreamRules).good()) PEREGRINE_SKIP("upstream rules not found at " << kUpstreamRules);
  shell_in_container_raises({kUpstreamRules, "Terminal shell in container",
                             "container.id, container.name, container.image.repository, container.image.tag, container.start_ts"});
}

TEST_CASE("container: a tty shell raises the default Interactive shell in container with container id, name, image") {
  if (auto why = cannot_run(); !why.empty()) PEREGRINE_SKIP(why);
  // The rule's own output has container.id, container.name and container.image.repository.
  shell_in_container_raises({kDefaultRules, "Interactive shell in container", "container.image.tag, container.start_ts"});
}
