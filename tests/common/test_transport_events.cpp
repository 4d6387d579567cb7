#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/transport/events.h"
#include "tests/common/transport_wait.h"

using namespace peregrine::transport;
using namespace peregrine::transport::testing;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes_of(uint32_t n) {
  std::vector<uint8_t> v(64, 0);
  std::memcpy(v.data(), &n, sizeof n);
  return v;
}

uint32_t value_of(const std::vector<uint8_t>& v) {
  uint32_t n = 0;
  std::memcpy(&n, v.data(), sizeof n);
  return n;
}

// Sends probes until one is accepted: a PUSH socket refuses messages until a peer is connected.
bool send_when_connected(EventSender& s, uint32_t value, std::chrono::milliseconds timeout = 10s) {
  const auto b = bytes_of(value);
  return wait_until([&] { return s.try_send(b); }, timeout);
}

}  // namespace

TEST_CASE("events link: tcp port 0 reports the actual endpoint and delivers batches") {
  zmq::context_t ctx;
  EventSender sender(ctx, "tcp://127.0.0.1:0");
  CHECK(sender.endpoint().rfind("tcp://127.0.0.1:", 0) == 0);
  CHECK(sender.endpoint() != "tcp://127.0.0.1:0");
  EventReceiver receiver(ctx, sender.endpoint());
  REQUIRE(send_when_connected(sender, 7));
  std::vector<uint8_t> buf;
  auto r = receiver.recv(buf, 10s);
  REQUIRE(r.ok());
  REQUIRE(*r);
  CHECK(value_of(buf) == 7);
  CHECK(receiver.received() == 1);
  auto none = receiver.recv(buf, 20ms);
  REQUIRE(none.ok());
  CHECK_FALSE(*none);  // timed out
}

TEST_CASE("events link: with no engine connected, try_send drops and counts") {
  zmq::context_t ctx;
  EventSender sender(ctx, "tcp://127.0.0.1:0");
  auto b = bytes_of(1);
  CHECK_FALSE(sender.try_send(b));
  CHECK_FALSE(sender.try_send(b));
  CHECK(sender.dropped() == 2);
  CHECK(sender.sent() == 0);
}

TEST_CASE("events link: reaching the high-water mark drops and counts, never blocks - nothing sent is lost") {
  zmq::context_t ctx;
  EventSender sender(ctx, "inproc://events-hwm", SendOptions{10, std::nullopt, "events"});
  EventReceiver receiver(ctx, "inproc://events-hwm", RecvOptions{10, std::nullopt});
  constexpr uint32_t kAttempts = 1000;
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < kAttempts; ++i) (void)sender.try_send(bytes_of(i));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // never blocked
  CHECK(sender.sent() + sender.dropped() == kAttempts);
  CHECK(sender.dropped() > 0);
  CHECK(sender.sent() >= 10);
  CHECK(sender.sent() < kAttempts);
  // Everything counted as sent arrives, in order.
  std::vector<uint8_t> buf;
  uint64_t got = 0;
  int64_t last = -1;
  while (got < sender.sent()) {
    auto r = receiver.recv(buf, 5s);
    REQUIRE(r.ok());
    REQUIRE(*r);
    CHECK(int64_t(value_of(buf)) > last);
    last = value_of(buf);
    ++got;
  }
  auto more = receiver.recv(buf, 20ms);
  REQUIRE(more.ok());
  CHECK_FALSE(*more);
  // Room again once drained.
  CHECK(sender.try_send(bytes_of(kAttempts)));
}

TEST_CASE("events link: zero-copy receive into a message and view its bytes") {
  zmq::context_t ctx;
  EventSender sender(ctx, "inproc://events-zc");
  EventReceiver receiver(ctx, "inproc://events-zc");
  std::string payload = "batch-bytes";
  zmq::message_t out(payload.data(), payload.size());
  REQUIRE(sender.try_send(out));
  zmq::message_t in;
  auto r = receiver.recv(in, 5s);
  REQUIRE(r.ok());
  REQUIRE(*r);
  auto v = view(in);
  CHECK(std::string(reinterpret_cast<const char*>(v.data()), v.size()) == payload);
}

TEST_CASE("events link: ipc endpoint creates its directory") {
  auto dir = std::filesystem::temp_directory_path() / ("pg_ipc_" + std::to_string(::getpid())) / "sub";
  std::string ep = "ipc://" + (dir / "events.sock").string();
  {
    zmq::context_t ctx;
    EventSender sender(ctx, ep);
    CHECK(sender.endpoint() == ep);
    CHECK(std::filesystem::exists(dir));
    EventReceiver receiver(ctx, ep);
    REQUIRE(send_when_connected(sender, 3));
    std::vector<uint8_t> buf;
    auto r = receiver.recv(buf, 5s);
    REQUIRE(r.ok());
    CHECK(*r);
  }
  std::filesystem::remove_all(dir.parent_path());
}

TEST_CASE("events link: a bad endpoint is a TransportError at construction") {
  zmq::context_t ctx;
  CHECK_THROWS_AS(EventSender(ctx, "bogus://x"), TransportError);
  CHECK_THROWS_AS(EventReceiver(ctx, "tcp://no-port"), TransportError);
  EventSender a(ctx, "tcp://127.0.0.1:0");
  CHECK_THROWS_AS(EventSender(ctx, a.endpoint()), TransportError);  // address in use
}

TEST_CASE("events link: recv reports an error once the context is shut down") {
  zmq::context_t ctx;
  EventReceiver receiver(ctx, "inproc://events-term");
  ctx.shutdown();
  std::vector<uint8_t> buf;
  auto r = receiver.recv(buf, 30s);
  CHECK_FALSE(r.ok());
}

TEST_CASE("events link: a signal interrupting recv is no message, not a link failure") {
  // The engine's loop sees SIGINT/SIGTERM this way: it must stop quietly, not log "event link failed".
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  ::sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the poll returns EINTR
  struct sigaction old {};
  REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
  zmq::context_t ctx;
  EventReceiver receiver(ctx, "inproc://events-eintr");
  std::atomic<bool> finished{false};
  peregrine::Result<bool> r = peregrine::make_error("not run");
  std::thread t([&] {
    std::vector<uint8_t> buf;
    r = receiver.recv(buf, 30s);
    finished = true;
  });
  // Keep signalling until the receiver returns (a signal may arrive before it blocks); well before its 30 s.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!finished && std::chrono::steady_clock::now() < deadline) {
    ::pthread_kill(t.native_handle(), SIGUSR1);
    std::this_thread::yield();
  }
  t.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
}
