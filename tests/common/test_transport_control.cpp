#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "common/transport/control.h"
#include "tests/common/transport_wait.h"

using namespace peregrine::transport;
using namespace peregrine::transport::testing;
using namespace std::chrono_literals;

namespace {

// Re-binding a port that a just-closed socket held can fail for a moment while ZeroMQ finishes closing it.
std::unique_ptr<ControlListener> bind_listener(zmq::context_t& ctx, const std::string& ep) {
  return construct_with_retry([&] { return std::make_unique<ControlListener>(ctx, ep); });
}

}  // namespace

TEST_CASE("control: JSON round trip and validation") {
  ControlMessage m{{"execve", "openat"}, 42, {}};
  std::string wire = encode_control(m);
  CHECK(wire == R"({"event_types":["execve","openat"],"generation":42,"version":1})");
  auto back = decode_control(wire);
  REQUIRE(back.ok());
  CHECK(*back == m);
  CHECK_FALSE(decode_control("not json").ok());
  CHECK_FALSE(decode_control("[]").ok());
  CHECK_FALSE(decode_control(R"({"event_types":[],"generation":1,"version":2})").ok());
  CHECK_FALSE(decode_control(R"({"event_types":[1],"generation":1,"version":1})").ok());
  CHECK_FALSE(decode_control(R"({"generation":1,"version":1})").ok());
  auto all = decode_control(R"({"event_types":[],"generation":3,"version":1})");
  REQUIRE(all.ok());
  CHECK(all->event_types.empty());  // empty = all event types
}

TEST_CASE("control: proc_env round trip, absent means false, non-boolean is rejected") {
  ControlMessage on{{"execve"}, 7, {}, true};
  std::string wire = encode_control(on);
  CHECK(wire == R"({"event_types":["execve"],"generation":7,"proc_env":true,"version":1})");
  auto back = decode_control(wire);
  REQUIRE(back.ok());
  CHECK(back->proc_env);
  CHECK(*back == on);

  ControlMessage off{{"execve"}, 8, {}, false};
  auto off_back = decode_control(encode_control(off));
  REQUIRE(off_back.ok());
  CHECK_FALSE(off_back->proc_env);
  CHECK(*off_back == off);
  auto explicit_false = decode_control(R"({"event_types":[],"generation":1,"proc_env":false,"version":1})");
  REQUIRE(explicit_false.ok());
  CHECK_FALSE(explicit_false->proc_env);

  auto old = decode_control(R"({"event_types":[],"generation":1,"version":1})");  // an older engine's message
  REQUIRE(old.ok());
  CHECK_FALSE(old->proc_env);

  for (const char* bad : {R"("yes")", "1", "null", "[true]"}) {
    CAPTURE(bad);
    auto r = decode_control(std::string(R"({"event_types":[],"generation":1,"version":1,"proc_env":)") + bad + "}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("proc_env") != std::string::npos);
  }
}

TEST_CASE("control: the proc_env flag travels with the selection and its re-sends") {
  zmq::context_t ctx;
  ControlListener listener(ctx, "tcp://127.0.0.1:0");
  ControlPublisher publisher(ctx, listener.endpoint(), ControlOptions{20ms, std::nullopt});
  publisher.publish({"execve"}, {}, true);
  CHECK(publisher.current().proc_env);
  auto m = listener.poll(10s);
  REQUIRE(m.has_value());
  CHECK(m->proc_env);
  CHECK(m->generation == 1);
  uint64_t before = listener.received();
  CHECK(wait_until([&] {
    CHECK_FALSE(listener.poll(1ms).has_value());  // re-sends carry the same flag: nothing new
    return listener.received() >= before + 2;
  }));
  publisher.publish({"execve"});  // the default: not needed
  auto m2 = listener.poll(10s);
  REQUIRE(m2.has_value());
  CHECK_FALSE(m2->proc_env);
  CHECK(m2->generation == 2);
}

TEST_CASE("control: the listener receives the selection - re-sends of the same selection are not repeated") {
  zmq::context_t ctx;
  ControlListener listener(ctx, "tcp://127.0.0.1:0");
  ControlPublisher publisher(ctx, listener.endpoint(), ControlOptions{20ms, std::nullopt});
  CHECK(publisher.current().generation == 0);
  CHECK_FALSE(listener.poll(0ms).has_value());
  publisher.publish({"execve"});
  auto m = listener.poll(10s);
  REQUIRE(m.has_value());
  CHECK(m->event_types == std::vector<std::string>{"execve"});
  CHECK(m->generation == 1);
  // Periodic re-sends keep arriving but are the same state.
  uint64_t before = listener.received();
  CHECK(wait_until([&] {
    CHECK_FALSE(listener.poll(1ms).has_value());
    return listener.received() >= before + 3;
  }));
  publisher.publish({"execve", "connect"});
  auto m2 = listener.poll(10s);
  REQUIRE(m2.has_value());
  CHECK(m2->generation == 2);
  CHECK(m2->event_types.size() == 2);
  CHECK(publisher.sent() >= 4);
}

TEST_CASE("control: a restarted sensor learns the selection from the reconnect, not the periodic timer") {
  zmq::context_t ctx;
  auto listener = std::make_unique<ControlListener>(ctx, "tcp://127.0.0.1:0");
  const std::string ep = listener->endpoint();
  ControlPublisher publisher(ctx, ep, ControlOptions{std::chrono::hours(1), std::nullopt});
  publisher.publish({"openat"});
  auto m = listener->poll(10s);
  REQUIRE(m.has_value());
  CHECK(m->event_types == std::vector<std::string>{"openat"});
  CHECK(wait_until([&] { return publisher.connects() >= 1; }));
  listener.reset();  // the sensor goes away
  listener = bind_listener(ctx, ep);
  auto again = listener->poll(15s);
  REQUIRE(again.has_value());
  CHECK(again->event_types == std::vector<std::string>{"openat"});
  CHECK(again->generation == 1);
  CHECK(publisher.connects() >= 2);
}

TEST_CASE("control: a selection published before the sensor starts is delivered when it starts") {
  zmq::context_t ctx;
  peregrine::testing::TempDir dir;  // connect before bind: an ipc path known in advance, no port to guess
  std::string ep = "ipc://" + (dir / "control.sock").string();
  ControlPublisher publisher(ctx, ep, ControlOptions{std::chrono::hours(1), std::nullopt});
  publisher.publish({});
  auto listener = bind_listener(ctx, ep);
  auto m = listener->poll(15s);
  REQUIRE(m.has_value());
  CHECK(m->event_types.empty());
  CHECK(m->generation == 1);
}

TEST_CASE("control: invalid messages are counted and ignored") {
  zmq::context_t ctx;
  ControlListener listener(ctx, "inproc://control-invalid");
  zmq::socket_t raw(ctx, zmq::socket_type::push);
  raw.connect("inproc://control-invalid");
  raw.send(zmq::str_buffer("{oops"), zmq::send_flags::none);
  CHECK(wait_until([&] {
    (void)listener.poll(1ms);
    return listener.invalid() == 1;
  }));
  std::string good = encode_control(ControlMessage{{"execve"}, 9, {}});
  raw.send(zmq::buffer(good), zmq::send_flags::none);
  auto m = listener.poll(10s);
  REQUIRE(m.has_value());
  CHECK(m->generation == 9);
}
