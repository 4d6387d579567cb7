// The CRI source: the mapping of runtime.v1 answers to container metadata (no I/O), then CriSource behind
// ContainerMetadata against a stand-in gRPC server that serves the real runtime.v1 proto (generated from
// k8s.io/cri-api) on a unix socket: answers, NotFound, an absent runtime (backoff) and Docker + CRI together.
// tests/sensor/test_cri_containerd.cpp runs the same client against a real containerd.
#include <doctest/doctest.h>

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sensor/container_meta.h"
#include "sensor/cri_source.h"
#include "tests/sensor/manual_clock.h"
#include "tests/support/wait.h"

using namespace peregrine::sensor;
using namespace std::chrono_literals;
using peregrine::sensor::testing::ManualClock;
using peregrine::sensor::testing::manual_options;
using peregrine::testing::wait_until;
namespace v1 = runtime::v1;

namespace {

const std::string kFullId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kSandbox = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";

// What containerd 1.6 answers for a container of a kubelet-created pod (verbose).
v1::ContainerStatusResponse sample_status(bool with_sandbox_info = true) {
  v1::ContainerStatusResponse r;
  auto* st = r.mutable_status();
  st->set_id(kFullId);
  st->mutable_metadata()->set_name("web");
  st->mutable_image()->set_image("registry.example.com:5000/team/nginx:1.25");
  st->set_image_ref("registry.example.com:5000/team/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f7");
  st->set_started_at(1795964401123456789);
  (*st->mutable_labels())["io.kubernetes.pod.name"] = "web-7d9f";
  (*st->mutable_labels())["io.kubernetes.pod.namespace"] = "shop";
  (*st->mutable_labels())["io.kubernetes.pod.uid"] = "uid-from-label";
  (*st->mutable_labels())["io.kubernetes.container.name"] = "web";
  auto* mt = st->add_mounts();
  mt->set_host_path("/var/lib/kubelet/pods/x/volumes/data");
  mt->set_container_path("/data");
  mt->set_readonly(true);
  mt->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  if (with_sandbox_info)
    (*r.mutable_info())["info"] = R"({"sandboxID":")" + kSandbox +
                                  R"(","pid":4242,"config":{"metadata":{"name":"web"},"linux":{"security_context":{"privileged":true}}}})";
  return r;
}

v1::PodSandboxStatusResponse sample_pod(bool verbose = false) {
  v1::PodSandboxStatusResponse r;
  auto* st = r.mutable_status();
  st->set_id(kSandbox);
  st->set_created_at(1795964400000000000);
  if (verbose) (*r.mutable_info())["info"] = R"({"pid":4200,"image":"registry.k8s.io/pause:3.9"})";
  st->mutable_metadata()->set_name("web-7d9f");
  st->mutable_metadata()->set_namespace_("shop");
  st->mutable_metadata()->set_uid("5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  (*st->mutable_labels())["tier"] = "front";
  (*st->mutable_labels())["app"] = "web";
  return r;
}

// A RuntimeService with one container and its sandbox. ContainerStatus resolves id prefixes as containerd does;
// unknown ids get NOT_FOUND. `sandbox_info` false: no "sandboxID" in the verbose info (ListContainers is asked).
class StandIn final : public v1::RuntimeService::Service {
 public:
  explicit StandIn(bool sandbox_info = true, std::string path = {})
      : sandbox_info_(sandbox_info), path_(std::move(path)) {
    static std::atomic<int> seq{0};
    if (path_.empty())
      path_ = (std::filesystem::temp_directory_path() /
               ("pg-cri-" + std::to_string(::getpid()) + "-" + std::to_string(seq++) + ".sock")).string();
    std::filesystem::remove(path_);
    grpc::ServerBuilder b;
    b.AddListeningPort("unix:" + path_, grpc::InsecureServerCredentials());
    b.RegisterService(this);
    server_ = b.BuildAndStart();
    REQUIRE(server_ != nullptr);
  }
  ~StandIn() override {
    server_->Shutdown(std::chrono::system_clock::now() + 2s);
    std::filesystem::remove(path_);
  }
  const std::string& path() const { return path_; }
  int status_calls() const { return status_calls_.load(); }
  int list_calls() const { return list_calls_.load(); }
  std::string last_status_id() {
    std::lock_guard lk(mu_);
    return last_id_;
  }

  grpc::Status ContainerStatus(grpc::ServerContext*, const v1::ContainerStatusRequest* req,
                               v1::ContainerStatusResponse* resp) override {
    ++status_calls_;
    {
      std::lock_guard lk(mu_);
      last_id_ = req->container_id();
    }
    if (req->container_id().empty() || !kFullId.starts_with(req->container_id()))
      return {grpc::StatusCode::NOT_FOUND, "an error occurred when try to find container: not found"};
    *resp = sample_status(sandbox_info_ && req->verbose());
    return grpc::Status::OK;
  }
  grpc::Status ListContainers(grpc::ServerContext*, const v1::ListContainersRequest* req,
                              v1::ListContainersResponse* resp) override {
    ++list_calls_;
    if (kFullId.starts_with(req->filter().id())) {
      auto* c = resp->add_containers();
      c->set_id(kFullId);
      c->set_pod_sandbox_id(kSandbox);
    }
    return grpc::Status::OK;
  }
  grpc::Status PodSandboxStatus(grpc::ServerContext*, const v1::PodSandboxStatusRequest* req,
                                v1::PodSandboxStatusResponse* resp) override {
    if (req->pod_sandbox_id().empty() || !kSandbox.starts_with(req->pod_sandbox_id()))
      return {grpc::StatusCode::NOT_FOUND, "an error occurred when try to find sandbox: not found"};
    *resp = sample_pod(req->verbose());
    return grpc::Status::OK;
  }

 private:
  bool sandbox_info_;
  std::string path_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<int> status_calls_{0}, list_calls_{0};
  std::mutex mu_;
  std::string last_id_;
};

std::vector<std::unique_ptr<ContainerSource>> cri_only(const std::string& socket) {
  std::vector<std::unique_ptr<ContainerSource>> v;
  v.push_back(std::make_unique<CriSource>("containerd", socket));
  return v;
}

const std::string kId = kFullId.substr(0, 12);

}  // namespace

TEST_CASE("CRI ContainerStatus and PodSandboxStatus map to name, image, digest, labels and k8s.pod.*") {
  const auto status = sample_status();
  const auto pod = sample_pod();
  CHECK(cri_sandbox_id(status) == kSandbox);
  ContainerMeta m = cri_container_meta(status, &pod);
  CHECK(m.name == "web");
  CHECK(m.image == "registry.example.com:5000/team/nginx:1.25");
  CHECK(m.image_repository == "registry.example.com:5000/team/nginx");
  CHECK(m.image_tag == "1.25");
  CHECK(m.image_digest == "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f7");
  CHECK(m.privileged == 1);
  CHECK(m.start_ts == 1795964401123456789ull);
  REQUIRE(m.mounts.size() == 1);
  CHECK(m.mounts[0] == "/var/lib/kubelet/pods/x/volumes/data:/data::false:rslave");
  CHECK(m.labels == std::vector<std::string>{"io.kubernetes.container.name=web", "io.kubernetes.pod.name=web-7d9f",
                                             "io.kubernetes.pod.namespace=shop",
                                             "io.kubernetes.pod.uid=uid-from-label"});
  // The sandbox is authoritative for the pod; its labels are the pod's.
  CHECK(m.k8s_pod_name == "web-7d9f");
  CHECK(m.k8s_ns_name == "shop");
  CHECK(m.k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(m.k8s_pod_labels == std::vector<std::string>{"app=web", "tier=front"});
}

TEST_CASE("CRI answers without a sandbox, info or repo digest") {
  auto status = sample_status(false);
  CHECK(cri_sandbox_id(status).empty());
  ContainerMeta m = cri_container_meta(status, nullptr);
  CHECK(m.k8s_pod_name == "web-7d9f");  // from the io.kubernetes.pod.* labels
  CHECK(m.k8s_ns_name == "shop");
  CHECK(m.k8s_pod_uid == "uid-from-label");
  CHECK(m.k8s_pod_labels.empty());
  CHECK(m.privileged == -1);  // the runtime did not say
  // An image given by id shows the repo digest's name; an image id alone names no digest.
  status.mutable_status()->mutable_image()->set_image("sha256:5b0f7fa8");
  CHECK(cri_container_meta(status, nullptr).image == "registry.example.com:5000/team/nginx");
  status.mutable_status()->set_image_ref("sha256:5b0f7fa8");
  m = cri_container_meta(status, nullptr);
  CHECK(m.image == "sha256:5b0f7fa8");
  CHECK(m.image_digest.empty());
  // CRI-O says privileged at the top of its info; containerd omits false in "config".
  (*status.mutable_info())["info"] = R"({"sandboxID":"s","privileged":false})";
  CHECK(cri_container_meta(status, nullptr).privileged == 0);
  (*status.mutable_info())["info"] = R"({"config":{"metadata":{"name":"web"}}})";
  CHECK(cri_container_meta(status, nullptr).privileged == 0);
  (*status.mutable_info())["info"] = "not json";
  CHECK(cri_container_meta(status, nullptr).privileged == -1);
  CHECK(cri_sandbox_id(status).empty());
}

TEST_CASE("a CRI pod sandbox maps to a container named after the pod, with the pod's labels") {
  ContainerMeta m = cri_sandbox_meta(sample_pod(true));
  CHECK(m.name == "web-7d9f");
  CHECK(m.image == "registry.k8s.io/pause:3.9");
  CHECK(m.image_repository == "registry.k8s.io/pause");
  CHECK(m.image_tag == "3.9");
  CHECK(m.start_ts == 1795964400000000000ull);
  CHECK(m.k8s_pod_name == "web-7d9f");
  CHECK(m.k8s_ns_name == "shop");
  CHECK(m.k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(m.k8s_pod_labels == std::vector<std::string>{"app=web", "tier=front"});
  CHECK(m.labels == m.k8s_pod_labels);
  CHECK(cri_sandbox_meta(sample_pod(false)).image.empty());  // no verbose info: no image
}

TEST_CASE("CRI: an id that is no container's but a pod sandbox's (its pause process) answers as the sandbox") {
  StandIn cri;
  ContainerMetadata meta(cri_only(cri.path()), ContainerMetaOptions{});
  const std::string sb = kSandbox.substr(0, 12);
  (void)meta.lookup(sb);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(wait_until([&] { return (m = meta.lookup(sb)) != nullptr; }));
  CHECK(m->name == "web-7d9f");
  CHECK(m->image == "registry.k8s.io/pause:3.9");
  CHECK(m->k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(meta.runtime_requests()[0].ok == 1);
}

TEST_CASE("CRI metadata is fetched asynchronously from a runtime.v1 server and cached") {
  StandIn cri;
  ContainerMetadata meta(cri_only(cri.path()), ContainerMetaOptions{});
  CHECK(meta.lookup(kId) == nullptr);  // queued, never waited for
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(wait_until([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(cri.last_status_id() == kId);  // the 12-character prefix from the cgroup; the runtime resolves it
  CHECK(cri.list_calls() == 0);        // the verbose info named the sandbox
  CHECK(m->name == "web");
  CHECK(m->k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(m->k8s_pod_labels == std::vector<std::string>{"app=web", "tier=front"});
  CHECK(meta.fetched() == 1);
  const auto rq = meta.runtime_requests();
  REQUIRE(rq.size() == 1);
  CHECK(rq[0].runtime == "containerd");
  CHECK(rq[0].ok == 1);
  CHECK(rq[0].not_found == 0);
  CHECK(rq[0].error == 0);
  CHECK(meta.lookup(kId) == m);  // cached: no second request
  CHECK(cri.status_calls() == 1);
}

TEST_CASE("CRI runtime without sandboxID in its info: the sandbox comes from ListContainers") {
  StandIn cri(false);
  ContainerMetadata meta(cri_only(cri.path()), ContainerMetaOptions{});
  (void)meta.lookup(kId);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(wait_until([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(cri.list_calls() == 1);
  CHECK(m->k8s_pod_uid == "5f3c9a7e-2b1d-4c8e-9f0a-1b2c3d4e5f60");
  CHECK(m->k8s_pod_labels == std::vector<std::string>{"app=web", "tier=front"});
}

TEST_CASE("CRI NotFound is asked again only after not_found_ttl") {
  StandIn cri;
  ManualClock clock;
  ContainerMetaOptions o = manual_options(clock);
  ContainerMetadata meta(cri_only(cri.path()), o);
  const std::string other = "aaaaaaaaaaaa";
  (void)meta.lookup(other);
  REQUIRE(wait_until([&] { return meta.failed() == 1; }));
  CHECK(meta.runtime_requests()[0].not_found == 1);
  clock.advance(o.retry_max);  // past any backoff, not past not_found_ttl
  CHECK(meta.lookup(other) == nullptr);
  CHECK(meta.retried() == 0);
  clock.advance(o.not_found_ttl);
  CHECK(meta.lookup(other) == nullptr);
  CHECK(meta.retried() == 1);
  REQUIRE(wait_until([&] { return meta.failed() == 2; }));
  CHECK(cri.status_calls() == 2);
}

TEST_CASE("CRI runtime unavailable: errors are counted and retried with backoff until it answers") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("pg-cri-absent-" + std::to_string(::getpid()) + ".sock")).string();
  std::filesystem::remove(path);
  ManualClock clock;
  ContainerMetaOptions o = manual_options(clock);
  // The source asks `path`, where nothing listens yet.
  std::vector<std::unique_ptr<ContainerSource>> v;
  v.push_back(std::make_unique<CriSource>("crio", path, 500ms));
  ContainerMetadata meta(std::move(v), o);
  (void)meta.lookup(kId);
  REQUIRE(wait_until([&] { return meta.failed() == 1; }));
  CHECK(meta.runtime_requests()[0].runtime == "crio");
  CHECK(meta.runtime_requests()[0].error == 1);
  CHECK(meta.lookup(kId) == nullptr);  // within the backoff: not asked again
  CHECK(meta.retried() == 0);
  clock.advance(o.retry_initial);
  (void)meta.lookup(kId);
  CHECK(meta.retried() == 1);
  REQUIRE(wait_until([&] { return meta.failed() == 2; }));
  CHECK(meta.runtime_requests()[0].error == 2);
  // The runtime comes up (at the same path): the next due retry gets the answer.
  StandIn cri(true, path);
  clock.advance(o.retry_initial * 2);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(wait_until([&] {
    if ((m = meta.lookup(kId)) != nullptr) return true;
    clock.advance(o.retry_max);  // a retry may meet gRPC's own reconnect backoff: keep the retries due
    return false;
  }));
  CHECK(m->name == "web");
  CHECK(meta.runtime_requests()[0].ok == 1);
}

TEST_CASE("Docker first, then CRI: the CRI runtime answers for a container Docker cannot") {
  StandIn cri;
  const std::string absent_docker = "/nonexistent/docker.sock";
  std::vector<std::unique_ptr<ContainerSource>> v;
  v.push_back(std::make_unique<DockerSource>(absent_docker));
  v.push_back(std::make_unique<CriSource>("containerd", cri.path()));
  ContainerMetadata meta(std::move(v), ContainerMetaOptions{});
  (void)meta.lookup(kId);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(wait_until([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(m->name == "web");
  const auto rq = meta.runtime_requests();
  REQUIRE(rq.size() == 2);
  CHECK(rq[0].runtime == "docker");
  CHECK(rq[0].error == 1);  // no Docker here: counted, and the CRI runtime still answered
  CHECK(rq[1].ok == 1);
}
