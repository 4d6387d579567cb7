#include "sensor/container_meta.h"

#include <curl/curl.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/alert.h"
#include "common/log.h"

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
    // Pods started by the kubelet carry their namespace and name as labels (cri-dockerd, like dockershim).
    if (auto l = c->find("Labels"); l != c->end() && l->is_object()) {
      m.k8s_ns_name = l->value("io.kubernetes.pod.namespace", "");
      m.k8s_pod_name = l->value("io.kubernetes.pod.name", "");
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

ContainerMetadata::ContainerMetadata(std::string socket_path, size_t max_pending, size_t max_cached)
    : ContainerMetadata(std::move(socket_path), [&] {
        ContainerMetaOptions o;
        o.max_pending = max_pending;
        o.max_cached = max_cached;
        return o;
      }()) {}

ContainerMetadata::ContainerMetadata(std::string socket_path, ContainerMetaOptions opts)
    : socket_path_(std::move(socket_path)), opts_(std::move(opts)) {
  if (!socket_path_.empty()) worker_ = std::thread([this] { run(); });
}

ContainerMetadata::~ContainerMetadata() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool ContainerMetadata::enqueue_locked(const std::string& id) {
  if (pending_.size() >= opts_.max_pending) {
    ++queue_drops_;  // asked again on a later event for the same id
    return false;
  }
  pending_.push_back(id);
  cv_.notify_one();
  return true;
}

void ContainerMetadata::touch_locked(Entry& e) {
  lru_.splice(lru_.begin(), lru_, e.lru);
}

std::shared_ptr<const ContainerMeta> ContainerMetadata::lookup(const std::string& id) {
  if (socket_path_.empty() || id.empty() || id == "host") return nullptr;
  std::lock_guard lk(mu_);
  auto it = cache_.find(id);
  if (it != cache_.end()) {
    Entry& e = it->second;
    if (e.queued) return e.meta;  // in flight: not in lru_ until its fetch completes
    touch_locked(e);
    if (e.meta || now() < e.retry_at) return e.meta;
    if (enqueue_locked(id)) {  // a failed lookup whose backoff has passed; in flight now, so not evictable
      lru_.erase(e.lru);
      e.queued = true;
      ++retried_;
    }
    return nullptr;
  }
  const bool full = cache_.size() >= opts_.max_cached;
  if (full && lru_.empty()) {  // every entry is in flight: nothing may be evicted
    ++queue_drops_;
    return nullptr;
  }
  if (!enqueue_locked(id)) return nullptr;  // checked before evicting: a refused id costs no entry
  if (full) {
    cache_.erase(lru_.back());
    lru_.pop_back();
    ++evicted_;
  }
  cache_[id].queued = true;
  return nullptr;
}

ContainerMetadata::Fetched ContainerMetadata::fetch(const std::string& id) {
  Fetched out;
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
    out.outcome = status == 404 ? Outcome::kNotFound : Outcome::kError;
    out.error = "docker API: HTTP " + std::to_string(status);
    return out;
  }
  auto meta = parse_docker_inspect(body);
  if (!meta.ok()) {
    out.error = meta.error().message;
    return out;
  }
  out.outcome = Outcome::kOk;
  out.meta = std::move(meta).value();
  return out;
}

// Sets when the failed entry may be asked again: backoff while failures < max_attempts, then failed_ttl;
// a 404 ends the quick retries at once.
void ContainerMetadata::record_failure(Entry& e, const Fetched& f) {
  const auto t = now();
  ++e.failures;
  if (f.outcome == Outcome::kNotFound) {
    e.failures = std::max(e.failures, opts_.max_attempts);
    e.retry_at = t + opts_.not_found_ttl;
  } else if (e.failures >= opts_.max_attempts) {
    e.retry_at = t + opts_.failed_ttl;
  } else {
    auto wait = opts_.retry_initial;
    for (uint32_t i = 1; i < e.failures && wait < opts_.retry_max; ++i) wait *= 2;
    e.retry_at = t + std::min(wait, opts_.retry_max);
  }
  if (!warned_) {
    warned_ = true;
    logger("sensor")->warn("container metadata lookup failed ({}); retried with backoff, later failures are only "
                           "counted in peregrine_sensor_container_lookups_total{{result=\"failed\"}}",
                           f.error);
  }
  // Counted last: a reader that sees the count (tests wait on it) also sees the entry's retry time, taken
  // before anyone could advance a test clock.
  ++failed_;
}

void ContainerMetadata::run() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [this] { return stop_ || !pending_.empty(); });
    if (stop_) return;
    std::string id = std::move(pending_.front());
    pending_.pop_front();
    lk.unlock();
    Fetched f = fetch(id);
    lk.lock();
    // Entries in flight are never evicted, so this is the one lookup() queued. find(), not operator[]: should
    // it be gone anyway, the answer is dropped rather than re-creating an entry beyond max_cached.
    auto it = cache_.find(id);
    if (it == cache_.end() || !it->second.queued) continue;
    Entry& e = it->second;
    e.queued = false;
    lru_.push_front(id);  // evictable again, as the most recently used
    e.lru = lru_.begin();
    if (f.outcome == Outcome::kOk) {
      e.meta = std::make_shared<const ContainerMeta>(std::move(f.meta));
      ++fetched_;
    } else {
      record_failure(e, f);
    }
  }
}

}  // namespace peregrine::sensor
