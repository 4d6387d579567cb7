// Container metadata (container.name, image, labels, privileged, mounts, k8s.pod.*) from the container runtimes:
// Docker (sensor/docker_source.h) and the CRI runtimes containerd and CRI-O (sensor/cri_source.h), each a
// ContainerSource (sensor/container_source.h). This class is what they share: the cache, the queue, the backoff
// and the counters.
//
// Why asynchronous: the event path must never wait on a container runtime. lookup() only reads a cache; a miss
// queues the id for a worker thread that asks the sources in order (the first that knows the id answers) and
// fills the cache. Until then, and for as long as no runtime answers, the container fields stay missing. The
// request queue is bounded and its drops are counted.
//
// Why retries, and why driven by lookups: the first `docker inspect` can race a busy daemon or one that is
// restarting, and a container whose only lookup failed would otherwise never get its name or image. A failed
// entry remembers when it may be asked again (1 s, doubling, capped; after max_attempts failures only once per
// failed_ttl). There is no timer: the next lookup() for the id after that time queues the retry through the
// same bounded queue, so a container that produces no more events costs nothing, and a runtime that is down
// sees at most max_attempts requests per container and then one per failed_ttl.
//
// Why "not found" is different: the id comes from the cgroup of a running process, and every runtime registers
// a container before its first process starts, so when every source answers "no such container" (Docker's 404,
// CRI's NotFound) the id is no runtime's we ask (podman, say) or it was already removed. Retrying fast would not
// change the answer; it is asked again only after not_found_ttl, in case the id does show up later (e.g. a
// daemon restored after a restart). If any source failed to answer, the lookup failed and is retried with
// backoff.
//
// Why a bound with LRU eviction: a node with container churn (CronJobs, short-lived pods) sees new ids all
// day, and a cache that only grows would either eat memory or, bounded without eviction, stop giving any new
// container metadata once full. At most max_cached ids are kept (answers, lookups in flight, failed lookups).
// A new id arriving when the cache is full evicts the least recently looked-up entry that is not in flight
// (queued or being fetched); evicted entries are counted. An evicted container that shows up again is simply
// fetched again (a failed one loses its backoff and is asked at once). Entries in flight are never evicted, so
// the worker always finds the entry it fetched; when every entry is in flight the new id is refused and
// counted as a drop, and it is asked on a later event.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "sensor/container_source.h"
#include "sensor/docker_source.h"

namespace peregrine::sensor {

struct ContainerMetaOptions {
  using Clock = std::chrono::steady_clock;
  size_t max_pending = 256;   // queued lookups; beyond that lookups are dropped (counted), asked on a later event
  size_t max_cached = 4096;   // ids remembered: answers, lookups in flight and failed lookups; LRU-evicted
  std::chrono::milliseconds retry_initial{1000};  // wait after the first failure; doubles per failure
  std::chrono::milliseconds retry_max{16000};     // cap of the doubling wait
  uint32_t max_attempts = 5;                      // attempts with backoff before waiting failed_ttl
  std::chrono::milliseconds failed_ttl{std::chrono::minutes(5)};     // then one attempt per failed_ttl
  std::chrono::milliseconds not_found_ttl{std::chrono::minutes(5)};  // no source knows it: asked after this
  std::function<Clock::time_point()> clock;       // empty = Clock::now; tests inject a manual clock
};

class ContainerMetadata {
 public:
  using Clock = ContainerMetaOptions::Clock;

  /// Docker only, at `socket_path`; empty disables lookups (every container stays without metadata).
  explicit ContainerMetadata(std::string socket_path, size_t max_pending = 256, size_t max_cached = 4096);
  ContainerMetadata(std::string socket_path, ContainerMetaOptions opts);
  /// The sources asked in order for each id; none disables lookups.
  ContainerMetadata(std::vector<std::unique_ptr<ContainerSource>> sources, ContainerMetaOptions opts);
  ~ContainerMetadata();
  ContainerMetadata(const ContainerMetadata&) = delete;
  ContainerMetadata& operator=(const ContainerMetadata&) = delete;

  /// Cached metadata for a 12-char id, or nullptr. A first miss queues a fetch (evicting the least recently
  /// used entry not in flight when the cache is full), and so does a miss whose failed lookup is due for a
  /// retry. Marks the id most recently used. Never blocks on I/O.
  std::shared_ptr<const ContainerMeta> lookup(const std::string& id);

  /// Counters, one per request outcome or refusal (exported as container_lookups_total{result}).
  uint64_t fetched() const { return fetched_.load(); }        // requests answered with metadata
  uint64_t failed() const { return failed_.load(); }          // requests that failed ("not found" included)
  uint64_t retried() const { return retried_.load(); }        // requests queued again after a failure
  uint64_t queue_drops() const { return queue_drops_.load(); }  // lookups not queued: queue full, or cache
                                                                // full with every entry in flight
  /// Entries evicted (least recently used, never one in flight) to make room for a new id.
  uint64_t evicted() const { return evicted_.load(); }

  /// Requests to one runtime by answer (exported as container_meta_requests_total{runtime,result}).
  struct RuntimeRequests {
    std::string runtime;
    uint64_t ok = 0, not_found = 0, error = 0;
  };
  std::vector<RuntimeRequests> runtime_requests() const;

 private:
  struct Entry {
    std::shared_ptr<const ContainerMeta> meta;  // set once fetched; never asked again
    bool queued = false;                        // waiting in pending_ or being fetched
    uint32_t failures = 0;                      // failed attempts so far
    Clock::time_point retry_at{};               // after a failure: earliest time lookup() queues the next
    std::list<std::string>::iterator lru;       // position in lru_; valid only while !queued
  };
  struct SourceSlot {
    std::unique_ptr<ContainerSource> source;
    std::atomic<uint64_t> ok{0}, not_found{0}, error{0};
  };

  void run();
  SourceAnswer fetch(const std::string& id);
  void record_failure(Entry& e, const SourceAnswer& f);
  bool enqueue_locked(const std::string& id);
  void touch_locked(Entry& e);  // e (not queued) becomes the most recently used
  Clock::time_point now() const { return opts_.clock ? opts_.clock() : Clock::now(); }

  std::vector<std::unique_ptr<SourceSlot>> sources_;  // fixed after construction
  ContainerMetaOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool warned_ = false;
  std::deque<std::string> pending_;
  std::unordered_map<std::string, Entry> cache_;
  // Ids of the entries not in flight, most recently used first: the eviction candidates, evicted from the
  // back. An entry leaves it while queued and comes back (at the front) when its fetch completes.
  std::list<std::string> lru_;
  std::atomic<uint64_t> fetched_{0}, failed_{0}, retried_{0}, queue_drops_{0}, evicted_{0};
  std::thread worker_;
};

}  // namespace peregrine::sensor
