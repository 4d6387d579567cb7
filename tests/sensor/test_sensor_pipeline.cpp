// The sensor over the real transport: the library with BatchPublisher + EventSender, and the
// peregrine-sensor binary with its control link. Root only (loads BPF); skips with a message otherwise.
#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>
#include <string>

#include <zmq.hpp>

#include "common/codec.h"
#include "common/transport/control.h"
#include "common/transport/events.h"
#include "sensor/publisher.h"
#include "sensor/sensor.h"

using namespace peregrine;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool can_run() {
  if (::geteuid() != 0) {
    PEREGRINE_SKIP_NOTE("loading BPF programs needs root");
    return false;
  }
  if (!fs::exists("/sys/kernel/btf/vmlinux")) {
    PEREGRINE_SKIP_NOTE("no kernel BTF at /sys/kernel/btf/vmlinux");
    return false;
  }
  return true;
}

// Receives batches until `pred` matches a decoded event or the deadline passes. `seen` sees every event.
bool receive_until(transport::EventReceiver& rx, const std::function<bool(const Event&)>& pred,
                   std::chrono::seconds timeout, const std::function<void(const Event&)>& seen = {}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> buf;
  Event ev;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = rx.recv(buf, 200ms);
    REQUIRE(got.ok());
    if (!*got) continue;
    auto dec = wire::BatchDecoder::open(buf);
    REQUIRE(dec.ok());
    while (true) {
      auto r = dec->next(ev);
      REQUIRE(r.ok());
      if (!*r) break;
      if (seen) seen(ev);
      if (pred(ev)) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("library pipeline: events cross the real ZeroMQ link as decodable wire batches") {
  if (!can_run()) return;
  zmq::context_t ctx(1);
  transport::EventSender tx(ctx, "tcp://127.0.0.1:0");
  transport::EventReceiver rx(ctx, tx.endpoint());
  sensor::BatchPublisher pub({65536, 1000, 64}, [&tx](std::span<const uint8_t> b) { return tx.try_send(b); });
  sensor::SensorOptions o;
  o.docker_socket.clear();
  auto s = sensor::Sensor::create(o, pub);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message));
  (*s)->start();
  const uint32_t self = static_cast<uint32_t>(::getpid());
  // The PUSH socket drops until the PULL side is connected: repeat the action until an event arrives.
  bool found = false;
  for (int attempt = 0; attempt < 20 && !found; ++attempt) {
    int fd = ::open("/etc/shadow", O_RDONLY);
    if (fd >= 0) ::close(fd);
    found = receive_until(rx, [&](const Event& e) {
      return e.proc.pid == self && e.type == EventType::kOpenat && e.fd.name == "/etc/shadow";
    }, 1s);
  }
  (*s)->stop();
  pub.stop();
  CHECK(found);
  CHECK(pub.events_sent() > 0);
  CHECK(tx.sent() > 0);
}

TEST_CASE("peregrine-sensor binary: publishes events and applies the engine's selection") {
  if (!can_run()) return;
  const fs::path bin = fs::path(PEREGRINE_BINARY_DIR) / "sensor" / "peregrine-sensor";
  REQUIRE(fs::exists(bin));
  const fs::path dir = fs::temp_directory_path() / ("pg-sensor-bin-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path cfg = dir / "peregrine.yaml", log = dir / "sensor.log";
  std::ofstream(cfg) << "sensor:\n  events_endpoint: tcp://127.0.0.1:0\n  control_endpoint: tcp://127.0.0.1:0\n"
                        "  http: {enabled: false, listen: \"127.0.0.1:0\"}\n  docker_socket: \"\"\n";
  pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::execl(bin.c_str(), bin.c_str(), "--config", cfg.c_str(), nullptr);
    _exit(127);
  }
  // Wait for the startup line naming the bound endpoints.
  auto read_log = [&] {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  std::smatch m;
  std::string text;
  const std::regex re("events on (tcp://[0-9.:]+), control on (tcp://[0-9.:]+)");
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    text = read_log();
    if (std::regex_search(text, m, re)) break;
    REQUIRE(::waitpid(child, nullptr, WNOHANG) == 0);  // still running
    std::this_thread::yield();
  }
  REQUIRE_MESSAGE(std::regex_search(text, m, re), text);
  const std::string events_ep = m[1], control_ep = m[2];
  zmq::context_t ctx(1);
  transport::EventReceiver rx(ctx, events_ep);
  transport::ControlPublisher control(ctx, control_ep);
  control.publish({"mkdir", "mkdirat"});
  deadline = std::chrono::steady_clock::now() + 30s;
  while (read_log().find("engine selection generation") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(read_log().find("engine selection generation") != std::string::npos);

  // open (not selected) then mkdir (selected) from this thread: in the ordered stream the open would arrive
  // first, so seeing the mkdir without the open shows the selection filtered it.
  const uint32_t self = static_cast<uint32_t>(::getpid());
  bool saw_open = false, saw_mkdir = false;
  for (int attempt = 0; attempt < 20 && !saw_mkdir; ++attempt) {
    int fd = ::open("/etc/hostname", O_RDONLY);
    if (fd >= 0) ::close(fd);
    const fs::path d = dir / std::to_string(attempt);
    REQUIRE(::mkdir(d.c_str(), 0700) == 0);
    saw_mkdir = receive_until(rx, [&](const Event& e) {
      return e.proc.pid == self && (e.type == EventType::kMkdir || e.type == EventType::kMkdirat);
    }, 1s, [&](const Event& e) {
      // Earlier opens of this process (reading the log) may still be in flight; /etc/hostname is opened only
      // after the selection was applied.
      if (e.proc.pid == self && (e.type == EventType::kOpenat || e.type == EventType::kOpen) &&
          e.fd.name == "/etc/hostname")
        saw_open = true;
    });
  }
  CHECK(saw_mkdir);
  CHECK_FALSE(saw_open);

  ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_log().find("shutting down") != std::string::npos);
  fs::remove_all(dir);
}
