#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "sensor/container_meta.h"
#include "tests/sensor/manual_clock.h"

using namespace peregrine::sensor;
using peregrine::sensor::testing::ManualClock;
using peregrine::sensor::testing::manual_options;
using namespace std::chrono_literals;

namespace {

const char* kInspect = R"({"Id":"0123456789ab","Name":"/web-1",
  "Config":{"Image":"registry.example.com:5000/team/nginx:1.25",
            "Labels":{"io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.name":"web-7d9f","app":"web"}},
  "State":{"Status":"running","StartedAt":"2026-11-29T15:00:01.123456789Z"},
  "HostConfig":{"Privileged":true},
  "Mounts":[{"Source":"/var/lib/x","Destination":"/data","Mode":"z","RW":true,"Propagation":"rprivate"}]})";

// A one-connection-at-a-time HTTP server on a unix socket. Request n (from 0) is answered with statuses[n] (the
// last status repeats); 200 carries `body`. With hold=true, each answer waits until allow() grants it, so a
// test can keep the lookup worker busy on purpose.
class FakeDocker {
 public:
  explicit FakeDocker(std::string body, std::vector<int> statuses = {200}, bool hold = false)
      : body_(std::move(body)), statuses_(std::move(statuses)), allowed_(hold ? 0 : kUnlimited) {
    static std::atomic<int> seq{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("pg-docker-" + std::to_string(::getpid()) + "-" + std::to_string(seq++) + ".sock"))
                .string();
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDocker() {
    allow(kUnlimited);
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string last_request() {
    std::lock_guard lk(mu_);
    return last_;
  }
  int requests() {
    std::lock_guard lk(mu_);
    return requests_;
  }
  /// Lets `n` more held answers go out.
  void allow(int n) {
    {
      std::lock_guard lk(mu_);
      allowed_ = (n == kUnlimited || allowed_ > kUnlimited - n) ? kUnlimited : allowed_ + n;
    }
    cv_.notify_all();
  }

 private:
  static constexpr int kUnlimited = 1 << 30;

  void serve() {
    while (true) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      int status = 200;
      {
        std::unique_lock lk(mu_);
        last_ = req;
        status = statuses_[std::min(static_cast<size_t>(requests_), statuses_.size() - 1)];
        ++requests_;
        cv_.wait(lk, [this] { return allowed_ > 0; });
        if (allowed_ != kUnlimited) --allowed_;
      }
      const std::string body = status == 200 ? body_ : R"({"message":"no such container or daemon busy"})";
      const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Internal Server Error";
      std::string resp = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  std::string body_, path_;
  std::vector<int> statuses_;
  int fd_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string last_;
  int requests_ = 0;
  int allowed_;
};

// Waits (with a deadline, never a fixed sleep) for the lookup worker to reach a state.
template <typename Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

const std::string kId = "0123456789ab";

}  // namespace

TEST_CASE("docker inspect JSON -> name image repository tag privileged mounts") {
  auto m = parse_docker_inspect(kInspect);
  REQUIRE(m.ok());
  CHECK(m->name == "web-1");
  CHECK(m->image == "registry.example.com:5000/team/nginx:1.25");
  CHECK(m->image_repository == "registry.example.com:5000/team/nginx");
  CHECK(m->image_tag == "1.25");
  CHECK(m->privileged == 1);
  REQUIRE(m->mounts.size() == 1);
  CHECK(m->mounts[0] == "/var/lib/x:/data:z:true:rprivate");
  CHECK(m->start_ts == 1795964401123456789ull);  // 2026-11-29T15:00:01.123456789Z
  CHECK(m->k8s_ns_name == "shop");
  CHECK(m->k8s_pod_name == "web-7d9f");
  // A plain docker container: no pod labels; one that never started: no start time.
  auto plain = parse_docker_inspect(R"({"Name":"/x","Config":{"Image":"alpine","Labels":{"app":"x"}},
    "State":{"StartedAt":"0001-01-01T00:00:00Z"}})");
  REQUIRE(plain.ok());
  CHECK(plain->start_ts == 0);
  CHECK(plain->k8s_ns_name.empty());
  CHECK(plain->k8s_pod_name.empty());
  CHECK_FALSE(parse_docker_inspect("not json").ok());
  CHECK_FALSE(parse_docker_inspect("[1,2]").ok());
}

TEST_CASE("image references split into repository and tag") {
  std::string repo, tag;
  split_image("alpine", repo, tag);
  CHECK(repo == "alpine");
  CHECK(tag == "latest");
  split_image("localhost:5000/app", repo, tag);
  CHECK(repo == "localhost:5000/app");
  CHECK(tag == "latest");
  split_image("docker.io/library/redis:7@sha256:abcd", repo, tag);
  CHECK(repo == "docker.io/library/redis");
  CHECK(tag == "7");
}

TEST_CASE("metadata is fetched asynchronously over the docker unix socket and cached") {
  FakeDocker docker(kInspect);
  ContainerMetadata meta(docker.path());
  CHECK(meta.lookup(kId) == nullptr);  // first sight: queued, never waited for
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(eventually([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(m->name == "web-1");
  CHECK(docker.last_request().rfind("GET /containers/0123456789ab/json ", 0) == 0);
  CHECK(meta.fetched() == 1);
  CHECK(meta.failed() == 0);
  CHECK(meta.retried() == 0);
  CHECK(meta.lookup("host") == nullptr);
  CHECK(docker.requests() == 1);  // cached: asked once
}

TEST_CASE("a lookup that fails first is retried after its backoff and ends up with metadata") {
  FakeDocker docker(kInspect, {500, 200});
  ManualClock clock;
  ContainerMetadata meta(docker.path(), manual_options(clock));
  CHECK(meta.lookup(kId) == nullptr);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));
  clock.advance(999ms);
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.retried() == 0);  // backoff (1 s) not over: not asked again
  clock.advance(1ms);
  CHECK(meta.lookup(kId) == nullptr);  // due: queued again, still not waited for
  CHECK(meta.retried() == 1);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(eventually([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(m->name == "web-1");
  CHECK(m->image_tag == "1.25");
  CHECK(meta.fetched() == 1);
  CHECK(meta.failed() == 1);
  CHECK(meta.retried() == 1);
  CHECK(meta.queue_drops() == 0);
  CHECK(docker.requests() == 2);
}

TEST_CASE("retries back off (doubling, capped), stop after max_attempts, then one attempt per failed_ttl") {
  FakeDocker docker(kInspect, {503});
  ManualClock clock;
  ContainerMetaOptions o = manual_options(clock);
  o.retry_initial = 1s;
  o.retry_max = 3s;
  o.max_attempts = 5;
  o.failed_ttl = 60s;
  ContainerMetadata meta(docker.path(), o);
  CHECK(meta.lookup(kId) == nullptr);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));
  uint64_t retries = 0;
  // Waits after failures 1..4: 1 s, 2 s, then capped at 3 s; the 5th failure ends the quick retries.
  for (auto wait : {1000ms, 2000ms, 3000ms, 3000ms}) {
    CAPTURE(wait.count());
    clock.advance(wait - 1ms);
    CHECK(meta.lookup(kId) == nullptr);
    CHECK(meta.retried() == retries);  // one millisecond early: not asked
    clock.advance(1ms);
    CHECK(meta.lookup(kId) == nullptr);
    CHECK(meta.retried() == ++retries);
    REQUIRE(eventually([&] { return meta.failed() == retries + 1; }));
  }
  CHECK(docker.requests() == 5);
  clock.advance(60s - 1ms);
  for (int i = 0; i < 100; ++i) CHECK(meta.lookup(kId) == nullptr);  // a busy container: no retry storm
  CHECK(meta.retried() == 4);
  CHECK(docker.requests() == 5);
  clock.advance(1ms);  // failed_ttl over: one more attempt
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.retried() == 5);
  REQUIRE(eventually([&] { return meta.failed() == 6; }));
  clock.advance(3s);  // failed again: back to failed_ttl, not to the short backoff
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.retried() == 5);
  clock.advance(57s);
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.retried() == 6);
  REQUIRE(eventually([&] { return meta.failed() == 7; }));
  CHECK(meta.fetched() == 0);
  CHECK(meta.queue_drops() == 0);
  CHECK(docker.requests() == 7);
}

TEST_CASE("a 404 is not retried quickly, the id is asked again after not_found_ttl") {
  FakeDocker docker(kInspect, {404, 200});
  ManualClock clock;
  ContainerMetaOptions o = manual_options(clock);
  o.not_found_ttl = 600s;
  ContainerMetadata meta(docker.path(), o);
  CHECK(meta.lookup(kId) == nullptr);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));
  for (auto step : {1s, 2s, 4s, 16s, 60s}) {
    clock.advance(step);
    CHECK(meta.lookup(kId) == nullptr);
  }
  CHECK(meta.retried() == 0);
  clock.advance(600s - 83s);
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.retried() == 1);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(eventually([&] { return (m = meta.lookup(kId)) != nullptr; }));
  CHECK(m->name == "web-1");
  CHECK(meta.fetched() == 1);
  CHECK(meta.failed() == 1);
  CHECK(docker.requests() == 2);
}

TEST_CASE("a due retry that finds the queue full is counted as dropped and asked on a later event") {
  FakeDocker docker(kInspect, {500, 200}, /*hold=*/true);
  ManualClock clock;
  ContainerMetaOptions o = manual_options(clock);
  o.max_pending = 1;
  ContainerMetadata meta(docker.path(), o);
  const std::string a = "aaaaaaaaaaaa", b = "bbbbbbbbbbbb", c = "cccccccccccc";
  docker.allow(1);
  CHECK(meta.lookup(a) == nullptr);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));  // a: 500
  CHECK(meta.lookup(b) == nullptr);
  REQUIRE(eventually([&] { return docker.requests() == 2; }));  // the worker is busy on b (answer held)
  CHECK(meta.lookup(c) == nullptr);  // c fills the queue (max_pending = 1)
  clock.advance(1s);
  CHECK(meta.lookup(a) == nullptr);  // a is due, but the queue is full
  CHECK(meta.queue_drops() == 1);
  CHECK(meta.retried() == 0);
  docker.allow(100);
  REQUIRE(eventually([&] { return meta.fetched() == 2; }));  // b and c
  CHECK(meta.lookup(a) == nullptr);  // a later event: queued now
  CHECK(meta.retried() == 1);
  REQUIRE(eventually([&] { return meta.lookup(a) != nullptr; }));
  CHECK(meta.fetched() == 3);
  CHECK(meta.failed() == 1);
  CHECK(meta.queue_drops() == 1);
}

TEST_CASE("an absent runtime never stalls lookups and leaves fields missing") {
  ManualClock clock;
  ContainerMetadata meta("/nonexistent/docker.sock", manual_options(clock));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) CHECK(meta.lookup(kId) == nullptr);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));
  for (int i = 0; i < 1000; ++i) CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.failed() == 1);  // one attempt until the backoff has passed: no retry storm
  CHECK(meta.retried() == 0);
}

TEST_CASE("disabled metadata (empty socket path) answers nothing") {
  ContainerMetadata meta("");
  CHECK(meta.lookup(kId) == nullptr);
  CHECK(meta.fetched() == 0);
}

namespace {

// Ids for the eviction tests.
const std::string kA = "aaaaaaaaaaaa", kB = "bbbbbbbbbbbb", kC = "cccccccccccc", kD = "dddddddddddd";

ContainerMetaOptions with_max_cached(size_t n, ContainerMetaOptions o = {}) {
  o.max_cached = n;
  return o;
}

// A cache of 3 filled with kA, kB, kC, all fetched (in that order: kA is the least recently used).
struct FullCache {
  FakeDocker docker{kInspect};
  ContainerMetadata meta{docker.path(), with_max_cached(3)};
  FullCache() {
    for (const auto& id : {kA, kB, kC}) CHECK(meta.lookup(id) == nullptr);
    REQUIRE(eventually([&] { return meta.fetched() == 3; }));
  }
};

}  // namespace

TEST_CASE("a full cache evicts its least recently used entry for a new id instead of refusing it") {
  FullCache f;
  auto& meta = f.meta;
  CHECK(meta.lookup(kD) == nullptr);  // full: kA (least recently used) makes room, kD is queued
  CHECK(meta.evicted() == 1);
  CHECK(meta.queue_drops() == 0);
  std::shared_ptr<const ContainerMeta> m;
  REQUIRE(eventually([&] { return (m = meta.lookup(kD)) != nullptr; }));
  CHECK(m->name == "web-1");
  CHECK(meta.fetched() == 4);
  CHECK(f.docker.requests() == 4);
  CHECK(meta.lookup(kB) != nullptr);  // kB and kC stayed
  CHECK(meta.lookup(kC) != nullptr);
  CHECK(f.docker.requests() == 4);
  CHECK(meta.lookup(kA) == nullptr);  // kA was evicted: fetched again
  REQUIRE(eventually([&] { return meta.lookup(kA) != nullptr; }));
  CHECK(f.docker.requests() == 5);
  CHECK(meta.evicted() == 2);
  CHECK(meta.queue_drops() == 0);
}

TEST_CASE("a lookup marks its id most recently used so the entry is kept over older ones") {
  FullCache f;
  auto& meta = f.meta;
  CHECK(meta.lookup(kA) != nullptr);  // kA is now the most recently used, kB the least
  CHECK(meta.lookup(kD) == nullptr);
  REQUIRE(eventually([&] { return meta.fetched() == 4; }));
  CHECK(meta.evicted() == 1);
  CHECK(meta.lookup(kA) != nullptr);  // kA survived: answered from the cache, no new request
  CHECK(f.docker.requests() == 4);
  CHECK(meta.lookup(kB) == nullptr);  // kB was evicted: a new fetch
  REQUIRE(eventually([&] { return f.docker.requests() == 5; }));
  REQUIRE(eventually([&] { return meta.lookup(kB) != nullptr; }));
  CHECK(f.docker.last_request().rfind("GET /containers/bbbbbbbbbbbb/json ", 0) == 0);
  CHECK(meta.evicted() == 2);  // kC (least recently used after kA, kD) made room for kB
  CHECK(meta.lookup(kA) != nullptr);
  CHECK(meta.lookup(kD) != nullptr);
  CHECK(f.docker.requests() == 5);
  CHECK(meta.queue_drops() == 0);
}

TEST_CASE("entries in flight are never evicted and a new id is refused while every entry is in flight") {
  FakeDocker docker(kInspect, {200}, /*hold=*/true);
  ContainerMetadata meta(docker.path(), with_max_cached(2));
  CHECK(meta.lookup(kA) == nullptr);
  REQUIRE(eventually([&] { return docker.requests() == 1; }));  // the worker is busy on kA (answer held)
  CHECK(meta.lookup(kB) == nullptr);                              // kB waits in the queue
  for (int i = 0; i < 10; ++i) CHECK(meta.lookup(kC) == nullptr);  // full, and nothing may be evicted
  CHECK(meta.queue_drops() == 10);
  CHECK(meta.evicted() == 0);
  docker.allow(100);
  REQUIRE(eventually([&] { return meta.fetched() == 2; }));
  CHECK(meta.lookup(kA) != nullptr);  // both answers landed: neither entry was lost while in flight
  CHECK(meta.lookup(kB) != nullptr);
  CHECK(docker.requests() == 2);  // kC was never asked while refused
  CHECK(meta.lookup(kC) == nullptr);  // a later event: kA (least recently used) makes room now
  CHECK(meta.evicted() == 1);
  REQUIRE(eventually([&] { return meta.lookup(kC) != nullptr; }));
  CHECK(meta.lookup(kB) != nullptr);
  CHECK(docker.requests() == 3);
  CHECK(meta.queue_drops() == 10);
}

TEST_CASE("a failed entry is evictable and a retry in flight is not") {
  FakeDocker docker(kInspect, {500, 200, 500, 200}, /*hold=*/true);  // kA, kB, kA again, then kC kD kA: 200
  ManualClock clock;
  ContainerMetadata meta(docker.path(), with_max_cached(2, manual_options(clock)));
  docker.allow(2);
  CHECK(meta.lookup(kA) == nullptr);
  REQUIRE(eventually([&] { return meta.failed() == 1; }));  // kA: 500
  CHECK(meta.lookup(kB) == nullptr);
  REQUIRE(eventually([&] { return meta.fetched() == 1; }));  // kB: 200
  clock.advance(1s);
  CHECK(meta.lookup(kA) == nullptr);  // kA is due: its retry is in flight (answer held)
  CHECK(meta.retried() == 1);
  REQUIRE(eventually([&] { return docker.requests() == 3; }));
  CHECK(meta.lookup(kC) == nullptr);  // only kB may go
  CHECK(meta.evicted() == 1);
  CHECK(meta.lookup(kD) == nullptr);  // kA and kC in flight: refused
  CHECK(meta.queue_drops() == 1);
  CHECK(meta.evicted() == 1);
  docker.allow(100);
  REQUIRE(eventually([&] { return meta.failed() == 2 && meta.fetched() == 2; }));  // kA: 500 again, kC: 200
  CHECK(meta.lookup(kD) == nullptr);  // the failed kA is the least recently used: evicted for kD
  CHECK(meta.evicted() == 2);
  REQUIRE(eventually([&] { return meta.lookup(kD) != nullptr; }));
  CHECK(meta.lookup(kC) != nullptr);
  CHECK(meta.lookup(kA) == nullptr);  // evicted while failed: asked again at once, backoff forgotten
  CHECK(meta.retried() == 1);         // a new entry, not a retry
  REQUIRE(eventually([&] { return meta.lookup(kA) != nullptr; }));
  CHECK(meta.evicted() == 3);  // kD (least recently used after kC) made room for kA
  CHECK(docker.requests() == 6);
}
