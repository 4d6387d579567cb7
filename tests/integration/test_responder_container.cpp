// A shell in a container → the container is stopped: the real sensor (with a private dockerd for container
// metadata), engine (the default rules' "Interactive shell in container"), router and responder (container:stop on
// the private daemon's API socket). Root, BTF, dockerd and a build with the sensor; each missing one is a skip.
#include <doctest/doctest.h>

#include <random>

#include "tests/integration/docker_env.h"
#include "tests/integration/response_rig.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;

TEST_CASE("responder live: a tty shell in a container stops that container, not the one next to it") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  if (auto why = DockerEnv::missing_tools(); !why.empty()) PEREGRINE_SKIP(why);
  if (binary("peregrine-sensor").empty()) PEREGRINE_SKIP("peregrine-sensor is not built (PEREGRINE_BUILD_SENSOR=OFF)");
  TempDir dir;
  DockerEnv docker(dir / "docker");
  docker.ensure_shell_image();
  const std::string prefix = "pg-resp-" + std::to_string(std::random_device{}() % 1000000);
  const std::string target = docker.run_detached(prefix + "-target", {"sleep", "600"});
  const std::string bystander = docker.run_detached(prefix + "-bystander", {"sleep", "600"});
  ResponseRig rig(dir, R"(
- action: stop the container
  actionner: container:stop
  parameters: {socket: )" + docker.socket() + R"(, timeout_s: 1}
- rule: shell in a container
  match:
    rules: [Interactive shell in container]
    output_fields: ["container.id!=, container.id!=host"]
  actions: [{action: stop the container}]
)", "dry_run: false\n", std::string(PEREGRINE_SOURCE_DIR) + "/rules/peregrine_rules.yaml", docker.socket());
  INFO("responder: " << rig.responder().stderr_text());
  INFO("dockerd: " << docker.log());
  auto running = [&](const std::string& id) {
    auto r = docker.docker({"inspect", "-f", "{{.State.Running}}", id});
    return r.rc == 0 && r.out.find("true") == 0;
  };
  REQUIRE(running(target));
  // Events flow before the shell starts (the sensor is attached).
  REQUIRE(wait_until([&] {
    return metric_value(http_get(rig.engine().admin_port(), "/metrics").body, "peregrine_engine_events_total") > 0;
  }, 60s));
  // A tty shell in the target only (-t without -i: docker allocates the container-side pty).
  auto tty = docker.docker({"exec", "-t", prefix + "-target", "bash", "-c", ": shell"});
  REQUIRE_MESSAGE(tty.rc == 0, tty.err);
  REQUIRE(wait_until([&] { return !running(target); }, 30s));
  REQUIRE(wait_until([&] {
    for (const auto& a : rig.alerts())
      if (a.value("source", "") == "response" && a["output_fields"].value("response.outcome", "") == "done" &&
          a["output_fields"].value("container.id", "") == target.substr(0, 12))
        return true;
    return false;
  }, 15s));
  CHECK(running(bystander));
}
