// sensor → engine → router with the real binaries.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/transport/curve_keys.h"
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
  auto m = http_get(port, "/metrics");
  INFO(std::string(who));
  CHECK(m.status == 200);
  CHECK(m.body.find("peregrine_") != std::string::npos);
  REQUIRE_MESSAGE(has_promtool(), "promtool is installed by scripts/install-deps.sh (package prometheus)");
  CHECK(promtool_check(m.body) == "");
  auto h = http_get(port, "/healthz");
  CHECK(h.body != "");
  CHECK(h.status == 200);
}

std::string metrics(int port) { return http_get(port, "/metrics").body; }

}  // namespace

TEST_CASE("replayed event becomes one alert in the router's file, once, after a forced resend") {
  TempDir dir;
  auto rules = write_rules(dir, "/integration/marker");
  auto events = dir / "events.jsonl";
  std::ofstream(events) << R"({"type":"openat","res":3,"args":{"fd":3,"dirfd":-100,"name":"/integration/marker/a","flags":"O_RDONLY"},)"
                        << R"("proc":{"name":"cat","exepath":"/usr/bin/cat","args":["/integration/marker/a"],"pid":4242,"tid":4242,"uid":0,"user":"root"},)"
                        << R"("fd":{"num":3,"type":"f","name":"/integration/marker/a"}})" << "\n";
  // The router drops its first ack (fault injection), so the engine must resend the alert after 200 ms.
  auto cfg = write_stack_config(dir, rules,
                                "replay_file: " + events.string() + "\nack_timeout_ms: 200\n",
                                "fault_injection: {drop_acks: 1}\n");

  Process router(dir, "router", cfg);
  router.ready();
  Process engine(dir, "engine", cfg);
  const int engine_port = engine.admin_port(), router_port = router.admin_port();
  auto file = dir / "alerts.jsonl";
  REQUIRE(wait_until([&] { return !read_lines(file).empty(); }, 20s));
  // Done once the resend was acknowledged: nothing left unacknowledged after at least one resend.
  REQUIRE(wait_until([&] {
    auto m = metrics(engine_port);
    return metric_value(m, "peregrine_engine_alerts_resent_total") >= 1 &&
           metric_value(m, "peregrine_engine_alerts_unacked") == 0;
  }, 20s));
  auto engine_metrics = metrics(engine_port);
  CHECK(metric_value(engine_metrics, "peregrine_engine_alerts_total") == 1);
  CHECK(metric_value(metrics(router_port), "peregrine_router_intake_duplicates_total") >= 1);

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

  check_metrics(engine_port, "engine");
  check_metrics(router_port, "router");

  CHECK(router.stop(SIGTERM, 10s) == 0);
  CHECK(engine.stop(SIGTERM, 10s) == 0);
  // Still exactly one delivery after a clean shutdown.
  CHECK(alerts_in(file).size() == 1);
}

TEST_CASE("live: a file opened on this host raises one alert through sensor, engine and router") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  auto marker_dir = (dir / "marker").string();
  std::filesystem::create_directories(marker_dir);
  auto rules = write_rules(dir, marker_dir);
  auto cfg = write_stack_config(dir, rules);

  LiveStack stack(dir, cfg);
  // Events are flowing once the engine has evaluated some (this test process itself makes syscalls).
  bool flowing = wait_until([&] {
    return metric_value(metrics(stack.engine.admin_port()), "peregrine_engine_events_total") > 0;
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
    return metric_value(metrics(stack.engine.admin_port()), "peregrine_engine_alerts_unacked") == 0;
  }, 20s));
  auto alerts = alerts_in(file);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["output_fields"]["fd.name"] == marker);
  CHECK(alerts[0]["output_fields"]["proc.pid"] == static_cast<int64_t>(getpid()));
  CHECK(alerts[0]["output_fields"]["user.name"] == "root");

  check_metrics(stack.sensor.admin_port(), "sensor");
  check_metrics(stack.engine.admin_port(), "engine");
  check_metrics(stack.router.admin_port(), "router");
  CHECK(stack.stop_all() == "");
}

TEST_CASE("live: a rule on proc.env makes the engine ask for the environment and fires with its value") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  const std::string marker = "preload-" + std::to_string(getpid());
  auto rules = dir / "rules.yaml";
  std::ofstream(rules) << R"(
- rule: Exec with the integration environment marker
  desc: a process started with PEREGRINE_IT_PRELOAD set to this test's marker
  condition: evt.type = execve and evt.dir = < and proc.env[PEREGRINE_IT_PRELOAD] = )" << marker << R"(
  output: marked exec (value=%proc.env[PEREGRINE_IT_PRELOAD] proc=%proc.name)
  priority: WARNING
)";
  auto cfg = write_stack_config(dir, rules.string());
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

TEST_CASE("live: with CURVE on all three links a file opened on this host still raises its alert") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  for (const char* n : {"node", "router"})
    peregrine::transport::write_keypair(dir.path().string(), n, peregrine::transport::generate_keypair(), false);
  const auto key = [&](const std::string& f) { return (dir / f).string(); };
  auto marker_dir = (dir / "marker").string();
  std::filesystem::create_directories(marker_dir);
  auto cfg = write_stack_config(
      dir, write_rules(dir, marker_dir),
      "sensor_curve: {secret_key_file: " + key("node.key") + ", server_public_key: " + key("node.pub") + "}\n" +
          "alerts_curve: {secret_key_file: " + key("node.key") + ", server_public_key: " + key("router.pub") + "}\n",
      "alerts_curve: {secret_key_file: " + key("router.key") + ", allowed_client_keys: [" + key("node.pub") + "]}\n",
      "curve: {secret_key_file: " + key("node.key") + ", allowed_client_keys: [" + key("node.pub") + "]}\n");

  LiveStack stack(dir, cfg);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  // Events reach the engine through the sensor's CURVE events link.
  REQUIRE(wait_until([&] {
    return metric_value(metrics(stack.engine.admin_port()), "peregrine_engine_events_total") > 0;
  }, 60s));
  auto marker = marker_dir + "/opened-under-curve";
  std::ofstream(marker) << "x";
  REQUIRE(wait_until([&] { return !read_lines(dir / "alerts.jsonl").empty(); }, 30s));
  auto alerts = alerts_in(dir / "alerts.jsonl");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["output_fields"]["fd.name"] == marker);
  const auto rm = metrics(stack.router.admin_port());
  CHECK(metric_value(rm, R"(peregrine_router_link_auth_accepted_total{link="alerts"})") >= 1);
  CHECK(metric_value(rm, R"(peregrine_router_link_auth_refused_total{link="alerts"})") == 0);
  CHECK(stack.sensor.stderr_text().find("events and control links: CURVE on") != std::string::npos);
  // The engine's selection reached the sensor over the CURVE control link.
  CHECK(wait_until([&] { return stack.sensor.stderr_text().find("engine selection generation") != std::string::npos; },
                   30s));
  CHECK(stack.stop_all() == "");
}
