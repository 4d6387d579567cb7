// sensor → engine → router with the real binaries.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"
#include "tests/integration/stack.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kMarkerRules = R"(
- rule: Integration marker opened
  desc: the integration test opened its marker file
  condition: evt.type in (open, openat, openat2) and fd.name startswith "MARKER_DIR/"
  output: marker opened (file=%fd.name proc=%proc.name pid=%proc.pid user=%user.name)
  priority: WARNING
  tags: [integration, filesystem]
)";

std::string write_rules(const TempDir& dir, const std::string& marker_dir) {
  std::string text = kMarkerRules;
  text.replace(text.find("MARKER_DIR"), 10, marker_dir);
  auto p = dir / "rules.yaml";
  std::ofstream(p) << text;
  return p.string();
}

void check_metrics(int port, const char* who) {
  int status = 0;
  auto text = http_get(port, "/metrics", &status);
  INFO(std::string(who));
  CHECK(status == 200);
  CHECK(text.find("peregrine_") != std::string::npos);
  if (has_promtool()) {
    CHECK(promtool_check(text) == "");
  } else {
    MESSAGE("promtool not installed: skipping the promtool check of " << who);
  }
  CHECK(http_get(port, "/healthz", &status) != "");
  CHECK(status == 200);
}

}  // namespace

TEST_CASE("replayed event becomes one alert in the router's file, once, after a forced resend") {
  TempDir dir;
  StackPorts ports;
  auto rules = write_rules(dir, "/integration/marker");
  auto events = dir / "events.jsonl";
  std::ofstream(events) << R"({"type":"openat","res":3,"args":{"fd":3,"dirfd":-100,"name":"/integration/marker/a","flags":"O_RDONLY"},)"
                        << R"("proc":{"name":"cat","exepath":"/usr/bin/cat","args":["/integration/marker/a"],"pid":4242,"tid":4242,"uid":0,"user":"root"},)"
                        << R"("fd":{"num":3,"type":"f","name":"/integration/marker/a"}})" << "\n";
  // The router drops its first ack (fault injection), so the engine must resend the alert after 200 ms.
  auto cfg = write_stack_config(dir, ports, rules,
                                "replay_file: " + events.string() + "\nack_timeout_ms: 200\n",
                                "fault_injection: {drop_acks: 1}\n");

  Child router(binary("peregrine-router"), {"--config", cfg}, dir / "router");
  REQUIRE(wait_until([&] { return !http_get(ports.router, "/healthz").empty(); }, 20s));
  Child engine(binary("peregrine-engine"), {"--config", cfg}, dir / "engine");
  auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return !read_lines(file).empty(); }, 20s));
  // Done once the resend was acknowledged: nothing left unacknowledged after at least one resend.
  REQUIRE(wait_until([&] {
    auto m = http_get(ports.engine, "/metrics");
    return metric_value(m, "peregrine_engine_alerts_resent_total") >= 1 &&
           metric_value(m, "peregrine_engine_alerts_unacked") == 0;
  }, 20s));
  auto engine_metrics = http_get(ports.engine, "/metrics");
  CHECK(metric_value(engine_metrics, "peregrine_engine_alerts_total") == 1);
  CHECK(metric_value(http_get(ports.router, "/metrics"), "peregrine_router_intake_duplicates_total") >= 1);

  auto alerts = alerts_in(file);
  REQUIRE(alerts.size() == 1);
  const auto& a = alerts[0];
  CHECK(a["rule"] == "Integration marker opened");
  CHECK(a["priority"] == "Warning");
  CHECK(a["source"] == "syscall");
  CHECK(a["output_fields"]["fd.name"] == "/integration/marker/a");
  CHECK(a["output_fields"]["proc.name"] == "cat");
  CHECK(a["output_fields"]["proc.pid"] == 4242);
  CHECK(a["tags"] == json::array({"filesystem", "integration"}));
  REQUIRE(a.contains("uuid"));
  CHECK(a["uuid"].get<std::string>().size() == 36);

  check_metrics(ports.engine, "engine");
  check_metrics(ports.router, "router");

  CHECK(router.stop(SIGTERM, 10s) == 0);
  CHECK(engine.stop(SIGTERM, 10s) == 0);
  // Still exactly one delivery after a clean shutdown.
  CHECK(alerts_in(file).size() == 1);
}

TEST_CASE("live: a file opened on this host raises one alert through sensor, engine and router") {
  if (!can_run_sensor()) {
    MESSAGE("SKIPPED: needs root and /sys/kernel/btf/vmlinux to load the sensor");
    return;
  }
  TempDir dir;
  StackPorts ports;
  auto marker_dir = (dir / "marker").string();
  std::filesystem::create_directories(marker_dir);
  auto rules = write_rules(dir, marker_dir);
  auto cfg = write_stack_config(dir, ports, rules);

  LiveStack stack(dir, cfg);
  // Events are flowing once the engine has evaluated some (this test process itself makes syscalls).
  bool flowing = wait_until([&] {
    return metric_value(http_get(ports.engine, "/metrics"), "peregrine_engine_events_total") > 0;
  }, 60s);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  REQUIRE(flowing);

  auto marker = marker_dir + "/opened-by-test";
  std::ofstream(marker) << "x";
  auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return !read_lines(file).empty(); }, 30s));
  // Give nothing else a chance to count: exactly one open of the marker happened.
  REQUIRE(wait_until([&] {
    return metric_value(http_get(ports.engine, "/metrics"), "peregrine_engine_alerts_unacked") == 0;
  }, 20s));
  auto alerts = alerts_in(file);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["output_fields"]["fd.name"] == marker);
  CHECK(alerts[0]["output_fields"]["proc.pid"] == static_cast<int64_t>(getpid()));
  CHECK(alerts[0]["output_fields"]["user.name"] == "root");

  check_metrics(ports.sensor, "sensor");
  check_metrics(ports.engine, "engine");
  check_metrics(ports.router, "router");
  CHECK(stack.stop_all() == "");
}

TEST_CASE("live: a rule on proc.env makes the engine ask for the environment and fires with its value") {
  if (!can_run_sensor()) {
    MESSAGE("SKIPPED: needs root and /sys/kernel/btf/vmlinux to load the sensor");
    return;
  }
  TempDir dir;
  StackPorts ports;
  const std::string marker = "preload-" + std::to_string(getpid());
  auto rules = dir / "rules.yaml";
  std::ofstream(rules) << R"(
- rule: Exec with the integration environment marker
  desc: a process started with PEREGRINE_IT_PRELOAD set to this test's marker
  condition: evt.type = execve and evt.dir = < and proc.env[PEREGRINE_IT_PRELOAD] = )" << marker << R"(
  output: marked exec (value=%proc.env[PEREGRINE_IT_PRELOAD] proc=%proc.name)
  priority: WARNING
)";
  auto cfg = write_stack_config(dir, ports, rules.string());
  LiveStack stack(dir, cfg);
  // The sensor says when it applied a selection that asks for proc.env.
  bool applied = wait_until([&] { return stack.sensor.stderr_text().find("proc.env: sent") != std::string::npos; }, 60s);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  REQUIRE(applied);
  CHECK(stack.engine.stderr_text().find("proc.env: needed") != std::string::npos);

  const char* bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  pid_t child = fork();
  if (child == 0) {
    const std::string var = "PEREGRINE_IT_PRELOAD=" + marker;
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    char* const envp[] = {const_cast<char*>(var.c_str()), nullptr};
    execve(bin, argv, envp);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return !read_lines(file).empty(); }, 30s));
  auto alerts = alerts_in(file);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["rule"] == "Exec with the integration environment marker");
  CHECK(alerts[0]["output_fields"]["proc.env[PEREGRINE_IT_PRELOAD]"] == marker);
  CHECK(alerts[0]["output_fields"]["proc.name"] == "true");
  CHECK(stack.stop_all() == "");
}
