// Container metadata (container.name, image, privileged, mounts) from the Docker Engine API.
//
// Why asynchronous: the event path must never wait on a container runtime. lookup() only reads a cache; a miss
// queues the id for a worker thread that does `GET /containers/<id>/json` over the unix socket (libcurl with
// CURLOPT_UNIX_SOCKET_PATH) and fills the cache. Until then, and forever when no runtime answers, the
// container fields stay missing. The request queue is bounded and its drops are counted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace peregrine::sensor {

struct ContainerMeta {
  std::string name;
  std::string image;
  std::string image_repository;
  std::string image_tag;
  int8_t privileged = -1;
  std::vector<std::string> mounts;  // "source:dest:mode:rw:propagation"
};

/// Parse the body of GET /containers/<id>/json.
Result<ContainerMeta> parse_docker_inspect(std::string_view json);
/// "repo/name:tag" / "repo@sha256:..." -> (repository, tag); tag "latest" when absent.
void split_image(std::string_view image, std::string& repository, std::string& tag);

class ContainerMetadata {
 public:
  /// `socket_path` empty disables lookups (every container stays without metadata).
  explicit ContainerMetadata(std::string socket_path, size_t max_pending = 256, size_t max_cached = 4096);
  ~ContainerMetadata();
  ContainerMetadata(const ContainerMetadata&) = delete;
  ContainerMetadata& operator=(const ContainerMetadata&) = delete;

  /// Cached metadata for a 12-char id, or nullptr (and a queued fetch on first miss). Never blocks on I/O.
  std::shared_ptr<const ContainerMeta> lookup(const std::string& id);

  uint64_t fetched() const { return fetched_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t queue_drops() const { return queue_drops_.load(); }

 private:
  void run();
  Result<ContainerMeta> fetch(const std::string& id);

  std::string socket_path_;
  size_t max_pending_, max_cached_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::string> pending_;
  // nullptr value = lookup queued or failed (negative entry: not retried).
  std::unordered_map<std::string, std::shared_ptr<const ContainerMeta>> cache_;
  std::atomic<uint64_t> fetched_{0}, failed_{0}, queue_drops_{0};
  std::thread worker_;
};

}  // namespace peregrine::sensor
