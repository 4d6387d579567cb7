// CRI container context for real: a private containerd 1.6 (tests/sensor/containerd_env.h) with one pod,
// sensor -> engine -> router with `container_runtimes: [{type: containerd, socket: ...}]` and no Docker, and a
// process exec'd in the pod's container (CRI ExecSync). Its alert must carry the container's name and image
// and the pod's name, namespace, uid and labels, all from the CRI lookups.
//
// Timing, as in test_container.cpp: metadata is fetched asynchronously, so the test waits until the sensor
// counts two answers, the pod sandbox's (its pause process) and the container's
// (peregrine_sensor_container_meta_requests_total{result="ok",runtime="containerd"}; only this test's pod
// exists in its private containerd) before it execs the process. Both run before the sensor starts: their
// lookups come from the sensor's /proc seeding.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/integration/stack.h"
#include "tests/sensor/containerd_env.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kOk = "peregrine_sensor_container_meta_requests_total{result=\"ok\",runtime=\"containerd\"}";
const char* kRule = "Probe in CRI container";

std::string write_rules(const TempDir& dir) {
  const auto path = dir / "cri_rules.yaml";
  std::ofstream(path) << "- rule: " << kRule << "\n"
                      << "  desc: the test's probe binary ran in a container\n"
                      << "  condition: evt.type = execve and proc.name = probe and "
                         "container.id != host\n"
                      << "  output: probe in %container.name (id=%container.id image=%container.image pod=%k8s.ns.name/%k8s.pod.name"
                         " uid=%k8s.pod.uid app=%k8s.pod.label[app] team=%container.label[team]"
                         " digest=%container.image.digest)\n"
                      << "  priority: WARNING\n";
  return path.string();
}

}  // namespace

TEST_CASE("cri: a process in a containerd pod raises an alert with container name, image and k8s.pod.*") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  if (auto why = ContainerdEnv::cannot_run(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  ContainerdEnv env(dir / "containerd");
  env.import_pause_image();
  runtime::v1::PodSandboxMetadata pod;
  pod.set_name("web-7d9f");
  pod.set_namespace_("shop");
  pod.set_uid("5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  const auto ids = env.run_pod(pod, {{"app", "web"}}, "nginx", {{"team", "payments"}});
  const std::string id = ids.second;

  auto cfg = write_stack_config(dir, write_rules(dir), "", "",
                                "container_runtimes:\n  - {type: containerd, socket: " + env.socket() + "}\n");
  LiveStack stack(dir, cfg);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  INFO("containerd log: " << env.log());
  REQUIRE(wait_until([&] { return metric_value(http_get(stack.sensor.admin_port(), "/metrics").body, kOk) >= 2; },
                     30s));

  REQUIRE(env.exec_sync(id, {"/probe"}) == 0);
  const auto file = dir / "alerts.jsonl";
  std::vector<json> mine;
  REQUIRE(wait_until([&] {
    mine.clear();
    for (auto& a : alerts_in(file))
      if (a.value("rule", "") == kRule && a["output_fields"].value("container.id", "") == id.substr(0, 12))
        mine.push_back(a);
    return !mine.empty();
  }, 30s));
  const auto& f = mine[0]["output_fields"];
  INFO("alert: " << mine[0].dump());
  CHECK(f["container.name"] == "nginx");
  CHECK(f["container.image"] == ContainerdEnv::kImage);
  CHECK(f["container.image.digest"] == env.image_digest());
  CHECK(f["container.label[team]"] == "payments");
  CHECK(f["k8s.pod.name"] == "web-7d9f");
  CHECK(f["k8s.ns.name"] == "shop");
  CHECK(f["k8s.pod.uid"] == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(f["k8s.pod.label[app]"] == "web");
  CHECK(stack.stop_all() == "");
}
