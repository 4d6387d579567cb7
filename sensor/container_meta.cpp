#include "sensor/container_meta.h"

#include <algorithm>

#include "common/log.h"

namespace peregrine::sensor {

ContainerMetadata::ContainerMetadata(std::string socket_path, size_t max_pending, size_t max_cached)
    : ContainerMetadata(std::move(socket_path), [&] {
        ContainerMetaOptions o;
        o.max_pending = max_pending;
        o.max_cached = max_cached;
        return o;
      }()) {}

namespace {
std::vector<std::unique_ptr<ContainerSource>> docker_only(std::string socket_path) {
  std::vector<std::unique_ptr<ContainerSource>> v;
  if (!socket_path.empty()) v.push_back(std::make_unique<DockerSource>(std::move(socket_path)));
  return v;
}
}  // namespace

ContainerMetadata::ContainerMetadata(std::string socket_path, ContainerMetaOptions opts)
    : ContainerMetadata(docker_only(std::move(socket_path)), std::move(opts)) {}

ContainerMetadata::ContainerMetadata(std::vector<std::unique_ptr<ContainerSource>> sources, ContainerMetaOptions opts)
    : opts_(std::move(opts)) {
  for (auto& src : sources) {
    sources_.push_back(std::make_unique<SourceSlot>());
    sources_.back()->source = std::move(src);
  }
  if (!sources_.empty()) worker_ = std::thread([this] { run(); });
}

std::vector<ContainerMetadata::RuntimeRequests> ContainerMetadata::runtime_requests() const {
  std::vector<RuntimeRequests> out;
  for (const auto& s : sources_)
    out.push_back({s->source->runtime(), s->ok.load(), s->not_found.load(), s->error.load()});
  return out;
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
  if (sources_.empty() || id.empty() || id == "host") return nullptr;
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

// The first source that knows the id answers. Not found only when every source said so; otherwise a source
// that could not answer makes the lookup a failure, retried with backoff (it may be the container's runtime).
SourceAnswer ContainerMetadata::fetch(const std::string& id) {
  SourceAnswer out;
  out.outcome = LookupOutcome::kNotFound;
  for (auto& slot : sources_) {
    SourceAnswer a = slot->source->inspect(id);
    if (a.outcome == LookupOutcome::kOk) {
      ++slot->ok;
      return a;
    }
    ++(a.outcome == LookupOutcome::kNotFound ? slot->not_found : slot->error);
    // The message of the first error, or else of the first "not found".
    const bool first_error = a.outcome == LookupOutcome::kError && out.outcome != LookupOutcome::kError;
    if (first_error) out.outcome = LookupOutcome::kError;
    if (first_error || out.error.empty()) out.error = slot->source->runtime() + ": " + a.error;
  }
  return out;
}

// Sets when the failed entry may be asked again: backoff while failures < max_attempts, then failed_ttl;
// a 404 ends the quick retries at once.
void ContainerMetadata::record_failure(Entry& e, const SourceAnswer& f) {
  const auto t = now();
  ++e.failures;
  if (f.outcome == LookupOutcome::kNotFound) {
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
    SourceAnswer f = fetch(id);
    lk.lock();
    // Entries in flight are never evicted, so this is the one lookup() queued. find(), not operator[]: should
    // it be gone anyway, the answer is dropped rather than re-creating an entry beyond max_cached.
    auto it = cache_.find(id);
    if (it == cache_.end() || !it->second.queued) continue;
    Entry& e = it->second;
    e.queued = false;
    lru_.push_front(id);  // evictable again, as the most recently used
    e.lru = lru_.begin();
    if (f.outcome == LookupOutcome::kOk) {
      e.meta = std::make_shared<const ContainerMeta>(std::move(f.meta));
      ++fetched_;
    } else {
      record_failure(e, f);
    }
  }
}

}  // namespace peregrine::sensor
