#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "sensor/container_meta.h"

using namespace peregrine::sensor;
using namespace std::chrono_literals;

namespace {

const char* kInspect = R"({"Id":"0123456789ab","Name":"/web-1",
  "Config":{"Image":"registry.example.com:5000/team/nginx:1.25"},
  "HostConfig":{"Privileged":true},
  "Mounts":[{"Source":"/var/lib/x","Destination":"/data","Mode":"z","RW":true,"Propagation":"rprivate"}]})";

// A one-connection-at-a-time HTTP server on a unix socket answering every request with `body`.
class FakeDocker {
 public:
  explicit FakeDocker(std::string body) : body_(std::move(body)) {
    path_ = (std::filesystem::temp_directory_path() / ("pg-docker-" + std::to_string(::getpid()) + ".sock")).string();
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

 private:
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
      {
        std::lock_guard lk(mu_);
        last_ = req;
      }
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }
  std::string body_, path_;
  int fd_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::string last_;
};

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
  CHECK(meta.lookup("0123456789ab") == nullptr);  // first sight: queued, never waited for
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::shared_ptr<const ContainerMeta> m;
  while (!(m = meta.lookup("0123456789ab")) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(m != nullptr);
  CHECK(m->name == "web-1");
  CHECK(docker.last_request().rfind("GET /containers/0123456789ab/json ", 0) == 0);
  CHECK(meta.fetched() == 1);
  CHECK(meta.lookup("host") == nullptr);
}

TEST_CASE("an absent runtime never stalls lookups and leaves fields missing") {
  ContainerMetadata meta("/nonexistent/docker.sock");
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) CHECK(meta.lookup("0123456789ab") == nullptr);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (meta.failed() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  CHECK(meta.failed() == 1);  // one attempt, negative-cached: no retry storm
  CHECK(meta.lookup("0123456789ab") == nullptr);
}

TEST_CASE("disabled metadata (empty socket path) answers nothing") {
  ContainerMetadata meta("");
  CHECK(meta.lookup("0123456789ab") == nullptr);
  CHECK(meta.fetched() == 0);
}
