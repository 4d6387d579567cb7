#include "sensor/cri_source.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sensor/docker_source.h"

namespace peregrine::sensor {
namespace {

namespace v1 = runtime::v1;

std::vector<std::string> sorted_labels(const google::protobuf::Map<std::string, std::string>& m) {
  std::vector<std::string> out;
  out.reserve(m.size());
  for (const auto& [k, v] : m) out.push_back(k + "=" + v);
  std::sort(out.begin(), out.end());
  return out;
}

std::string label(const google::protobuf::Map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

// The verbose info's "info" entry: containerd and CRI-O both put a JSON object there.
nlohmann::json verbose_info(const v1::ContainerStatusResponse& status) {
  auto it = status.info().find("info");
  if (it == status.info().end()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(it->second, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// containerd: the container's CRI config as JSON ("config".linux.security_context.privileged, omitted when
// false); CRI-O: a top-level "privileged". -1 when the runtime says neither.
int8_t privileged_of(const nlohmann::json& info) {
  if (auto p = info.find("privileged"); p != info.end() && p->is_boolean()) return p->get<bool>() ? 1 : 0;
  auto c = info.find("config");
  if (c == info.end() || !c->is_object()) return -1;
  const auto priv = c->value(nlohmann::json::json_pointer("/linux/security_context/privileged"), false);
  return priv ? 1 : 0;
}

const char* propagation_name(v1::MountPropagation p) {
  switch (p) {
    case v1::PROPAGATION_HOST_TO_CONTAINER: return "rslave";
    case v1::PROPAGATION_BIDIRECTIONAL: return "rshared";
    default: return "rprivate";
  }
}

std::string status_text(const grpc::Status& s) {
  return "gRPC " + std::to_string(static_cast<int>(s.error_code())) + ": " + s.error_message();
}

}  // namespace

std::string cri_sandbox_id(const v1::ContainerStatusResponse& status) {
  const auto info = verbose_info(status);
  auto it = info.find("sandboxID");
  return it != info.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ContainerMeta cri_container_meta(const v1::ContainerStatusResponse& resp, const v1::PodSandboxStatusResponse* pod) {
  const v1::ContainerStatus& st = resp.status();
  ContainerMeta m;
  m.name = st.metadata().name();
  m.image = st.image().image();
  const std::string& ref = st.image_ref();  // "repo@sha256:..." (repo digest) or the image id "sha256:..."
  const size_t at = ref.find('@');
  if (at != std::string::npos) m.image_digest = ref.substr(at + 1);
  // A container created from an image id shows the id as its image: the repo digest names it better.
  if ((m.image.empty() || m.image.starts_with("sha256:")) && at != std::string::npos) m.image = ref.substr(0, at);
  split_image(m.image, m.image_repository, m.image_tag);
  m.privileged = privileged_of(verbose_info(resp));
  for (const auto& mt : st.mounts())
    m.mounts.push_back(mt.host_path() + ":" + mt.container_path() + "::" + (mt.readonly() ? "false" : "true") +
                       ":" + propagation_name(mt.propagation()));
  if (st.started_at() > 0) m.start_ts = static_cast<uint64_t>(st.started_at());
  m.labels = sorted_labels(st.labels());
  if (pod != nullptr && pod->has_status()) {
    const auto& md = pod->status().metadata();
    m.k8s_pod_name = md.name();
    m.k8s_ns_name = md.namespace_();
    m.k8s_pod_uid = md.uid();
    m.k8s_pod_labels = sorted_labels(pod->status().labels());
  } else {
    m.k8s_pod_name = label(st.labels(), "io.kubernetes.pod.name");
    m.k8s_ns_name = label(st.labels(), "io.kubernetes.pod.namespace");
    m.k8s_pod_uid = label(st.labels(), "io.kubernetes.pod.uid");
  }
  return m;
}

ContainerMeta cri_sandbox_meta(const v1::PodSandboxStatusResponse& pod) {
  const auto& st = pod.status();
  ContainerMeta m;
  m.name = st.metadata().name();
  m.k8s_pod_name = st.metadata().name();
  m.k8s_ns_name = st.metadata().namespace_();
  m.k8s_pod_uid = st.metadata().uid();
  m.k8s_pod_labels = sorted_labels(st.labels());
  m.labels = m.k8s_pod_labels;
  if (st.created_at() > 0) m.start_ts = static_cast<uint64_t>(st.created_at());
  if (auto it = pod.info().find("info"); it != pod.info().end()) {
    auto j = nlohmann::json::parse(it->second, nullptr, false);
    if (j.is_object()) m.image = j.value("image", "");
  }
  split_image(m.image, m.image_repository, m.image_tag);
  return m;
}

CriSource::CriSource(std::string runtime, std::string socket, std::chrono::milliseconds timeout)
    : runtime_(std::move(runtime)), socket_(std::move(socket)), timeout_(timeout) {
  grpc::ChannelArguments args;
  // gRPC's own reconnect backoff grows to two minutes; ContainerMetadata already backs off per container, and
  // a restarted runtime should be asked again within seconds.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  args.SetMaxReceiveMessageSize(4 << 20);
  auto channel = grpc::CreateCustomChannel("unix://" + socket_, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::RuntimeService::NewStub(channel);
}

// An id that is not a container's may be a pod sandbox's (its pause process's cgroup).
SourceAnswer CriSource::inspect_sandbox(const std::string& id, std::string container_error) {
  SourceAnswer out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(true);
  v1::PodSandboxStatusResponse pod;
  grpc::Status s = stub_->PodSandboxStatus(&ctx, req, &pod);
  if (s.ok()) {
    out.outcome = LookupOutcome::kOk;
    out.meta = cri_sandbox_meta(pod);
  } else if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    out.outcome = LookupOutcome::kNotFound;
    out.error = "ContainerStatus: " + container_error + "; PodSandboxStatus: " + status_text(s);
  } else {
    out.error = "PodSandboxStatus: " + status_text(s);
  }
  return out;
}

// The sandbox id from the verbose info, else from ListContainers; "" with out.outcome = kError on failure.
std::string CriSource::sandbox_of(const std::string& id, const v1::ContainerStatusResponse& status,
                                  SourceAnswer& out) {
  if (std::string sb = cri_sandbox_id(status); !sb.empty()) return sb;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  v1::ListContainersRequest req;
  req.mutable_filter()->set_id(id);
  v1::ListContainersResponse resp;
  if (grpc::Status s = stub_->ListContainers(&ctx, req, &resp); !s.ok()) {
    out.outcome = LookupOutcome::kError;
    out.error = "ListContainers: " + status_text(s);
    return {};
  }
  for (const auto& c : resp.containers())
    if (c.id() == status.status().id()) return c.pod_sandbox_id();
  return {};
}

SourceAnswer CriSource::inspect(const std::string& id) {
  SourceAnswer out;
  v1::ContainerStatusResponse status;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    grpc::Status s = stub_->ContainerStatus(&ctx, req, &status);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return inspect_sandbox(id, status_text(s));
    if (!s.ok()) {
      out.error = "ContainerStatus: " + status_text(s);
      return out;
    }
  }
  const std::string sandbox = sandbox_of(id, status, out);
  if (!out.error.empty()) return out;
  v1::PodSandboxStatusResponse pod;
  bool have_pod = false;
  if (!sandbox.empty()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(sandbox);
    grpc::Status s = stub_->PodSandboxStatus(&ctx, req, &pod);
    if (s.ok()) {
      have_pod = true;
    } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {  // a removed sandbox: the labels still tell
      out.error = "PodSandboxStatus: " + status_text(s);
      return out;
    }
  }
  out.meta = cri_container_meta(status, have_pod ? &pod : nullptr);
  out.outcome = LookupOutcome::kOk;
  return out;
}

}  // namespace peregrine::sensor
