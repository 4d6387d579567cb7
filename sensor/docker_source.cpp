#include "sensor/docker_source.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/alert.h"

namespace peregrine::sensor {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

size_t append_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (4u << 20)) return 0;  // an inspect body is a few KiB; refuse runaway answers
  body->append(data, size * n);
  return size * n;
}

}  // namespace

void split_image(std::string_view image, std::string& repository, std::string& tag) {
  size_t at = image.find('@');
  if (at != std::string_view::npos) image = image.substr(0, at);
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    repository = std::string(image.substr(0, colon));
    tag = std::string(image.substr(colon + 1));
  } else {
    repository = std::string(image);
    tag = "latest";
  }
}

Result<ContainerMeta> parse_docker_inspect(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("docker inspect: not a JSON object");
  ContainerMeta m;
  std::string name = j.value("Name", "");
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  m.name = name;
  if (auto c = j.find("Config"); c != j.end() && c->is_object()) {
    m.image = c->value("Image", "");
    // Pods started by the kubelet carry their namespace, name and uid as labels (cri-dockerd, like dockershim).
    if (auto l = c->find("Labels"); l != c->end() && l->is_object()) {
      m.k8s_ns_name = l->value("io.kubernetes.pod.namespace", "");
      m.k8s_pod_name = l->value("io.kubernetes.pod.name", "");
      m.k8s_pod_uid = l->value("io.kubernetes.pod.uid", "");
      for (const auto& [k, v] : l->items())
        if (v.is_string()) m.labels.push_back(k + "=" + v.get<std::string>());
      std::sort(m.labels.begin(), m.labels.end());
    }
  }
  // "0001-01-01T00:00:00Z" for a container that never started: no start time rather than an error.
  if (auto st = j.find("State"); st != j.end() && st->is_object()) {
    if (auto t = parse_rfc3339_ns(st->value("StartedAt", "")); t.ok()) m.start_ts = *t;
  }
  if (m.image.empty()) m.image = j.value("Image", "");
  split_image(m.image, m.image_repository, m.image_tag);
  if (auto h = j.find("HostConfig"); h != j.end() && h->is_object())
    m.privileged = h->value("Privileged", false) ? 1 : 0;
  if (auto ms = j.find("Mounts"); ms != j.end() && ms->is_array()) {
    for (const auto& mt : *ms) {
      if (!mt.is_object()) continue;
      m.mounts.push_back(mt.value("Source", "") + ":" + mt.value("Destination", "") + ":" + mt.value("Mode", "") +
                         ":" + (mt.value("RW", false) ? "true" : "false") + ":" + mt.value("Propagation", ""));
    }
  }
  return m;
}

SourceAnswer DockerSource::inspect(const std::string& id) {
  SourceAnswer out;
  CurlPtr curl(curl_easy_init());
  if (!curl) {
    out.error = "curl_easy_init failed";
    return out;
  }
  std::string body;
  const std::string url = "http://localhost/containers/" + id + "/json";
  curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    out.error = std::string("docker API: ") + curl_easy_strerror(rc);
    return out;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    out.outcome = status == 404 ? LookupOutcome::kNotFound : LookupOutcome::kError;
    out.error = "docker API: HTTP " + std::to_string(status);
    return out;
  }
  auto meta = parse_docker_inspect(body);
  if (!meta.ok()) {
    out.error = meta.error().message;
    return out;
  }
  out.outcome = LookupOutcome::kOk;
  out.meta = std::move(meta).value();
  return out;
}

}  // namespace peregrine::sensor
