// The CRI source against a real containerd 1.6 (tests/sensor/containerd_env.h): a pod sandbox and a container
// created through runtime.v1, then the way the sensor gets there: the container's process, its
// /proc/<pid>/cgroup, the 12-character id from it, and ContainerMetadata with a CriSource on the socket.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sensor/container_id.h"
#include "sensor/container_meta.h"
#include "sensor/cri_source.h"
#include "tests/sensor/containerd_env.h"
#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace peregrine::sensor;
using namespace peregrine::testing;
using namespace std::chrono_literals;
namespace v1 = runtime::v1;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The container's init pid from the verbose ContainerStatus (containerd's info JSON "pid").
int container_pid(ContainerdEnv& env, const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(true);
  v1::ContainerStatusResponse resp;
  REQUIRE(env.runtime().ContainerStatus(&ctx, req, &resp).ok());
  auto info = nlohmann::json::parse(resp.info().at("info"));
  return info.value("pid", 0);
}

}  // namespace

TEST_CASE("containerd: a CRI container's cgroup id resolves to its name, image, labels and pod") {
  if (auto why = ContainerdEnv::cannot_run(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  ContainerdEnv env(dir.path());
  env.import_pause_image();

  v1::PodSandboxMetadata pod;
  pod.set_name("web-7d9f");
  pod.set_namespace_("shop");
  pod.set_uid("5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  const auto ids = env.run_pod(pod, {{"app", "web"}, {"tier", "front"}}, "nginx",
                              {{"io.kubernetes.container.name", "nginx"}, {"team", "payments"}});
  const std::string id = ids.second;
  CAPTURE(id);

  // What the sensor sees: the process's cgroup names the container.
  const int pid = container_pid(env, id);
  REQUIRE(pid > 0);
  const std::string cid = container_id_from_proc_cgroup(read_all("/proc/" + std::to_string(pid) + "/cgroup"));
  REQUIRE(cid == id.substr(0, 12));

  std::vector<std::unique_ptr<ContainerSource>> sources;
  sources.push_back(std::make_unique<CriSource>("containerd", env.socket()));
  ContainerMetadata meta(std::move(sources), ContainerMetaOptions{});
  CHECK(meta.lookup(cid) == nullptr);  // queued; the event path never waits
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE_MESSAGE(wait_until([&] { return (m = meta.lookup(cid)) != nullptr || meta.failed() > 0; }, 20s),
                  env.log());
  REQUIRE_MESSAGE(m != nullptr, "lookup failed; containerd log:\n" << env.log());
  CHECK(m->name == "nginx");
  CHECK(m->image == ContainerdEnv::kImage);
  CHECK(m->image_repository == "peregrine.test/pause");
  CHECK(m->image_tag == "1");
  CHECK(m->image_digest == env.image_digest());
  CHECK(m->start_ts > 0);
  CHECK(m->privileged == 0);
  CHECK(std::find(m->labels.begin(), m->labels.end(), "team=payments") != m->labels.end());
  CHECK(m->k8s_pod_name == "web-7d9f");
  CHECK(m->k8s_ns_name == "shop");
  CHECK(m->k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  // containerd adds its own io.kubernetes.* / io.cri-containerd.* labels to the sandbox's.
  CHECK(std::find(m->k8s_pod_labels.begin(), m->k8s_pod_labels.end(), "app=web") != m->k8s_pod_labels.end());
  CHECK(std::find(m->k8s_pod_labels.begin(), m->k8s_pod_labels.end(), "tier=front") != m->k8s_pod_labels.end());

  // The sandbox's pause process: its cgroup names the sandbox, which answers as a container named after the pod.
  grpc::ClientContext sctx;
  sctx.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(ids.first);
  sreq.set_verbose(true);
  v1::PodSandboxStatusResponse sresp;
  REQUIRE(env.runtime().PodSandboxStatus(&sctx, sreq, &sresp).ok());
  const int sandbox_pid = nlohmann::json::parse(sresp.info().at("info")).value("pid", 0);
  REQUIRE(sandbox_pid > 0);
  const std::string sid =
      container_id_from_proc_cgroup(read_all("/proc/" + std::to_string(sandbox_pid) + "/cgroup"));
  REQUIRE(sid == ids.first.substr(0, 12));
  (void)meta.lookup(sid);
  REQUIRE(wait_until([&] { return (m = meta.lookup(sid)) != nullptr || meta.failed() > 0; }, 20s));
  REQUIRE(m != nullptr);
  CHECK(m->name == "web-7d9f");
  CHECK(m->image == ContainerdEnv::kImage);
  CHECK(m->k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");

  // An id containerd does not know: NotFound, counted as such (not as an error).
  (void)meta.lookup("aaaaaaaaaaaa");
  REQUIRE(wait_until([&] { return meta.failed() == 1; }, 20s));
  const auto rq = meta.runtime_requests();
  REQUIRE(rq.size() == 1);
  CHECK(rq[0].ok == 2);
  CHECK(rq[0].not_found == 1);
  CHECK(rq[0].error == 0);
}
