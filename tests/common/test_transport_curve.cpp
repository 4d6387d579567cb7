// The alert link under CURVE: the ZAP allow-list lets the right engine key in and refuses (and counts) others.
#include <doctest/doctest.h>

#include <mutex>
#include <set>

#include "common/transport/alerts.h"
#include "common/transport/zap.h"
#include "tests/common/transport_wait.h"

using namespace peregrine::transport;
using namespace peregrine::transport::testing;
using namespace std::chrono_literals;

namespace {

struct Sink {
  std::mutex mu;
  std::set<std::string> uuids;
  AlertBatchHandler handler() {
    return [this](std::vector<AlertEnvelope>& batch) {
      std::lock_guard lock(mu);
      for (auto& a : batch) uuids.insert(a.uuid);
      return true;
    };
  }
  bool has(const std::string& u) {
    std::lock_guard lock(mu);
    return uuids.count(u) != 0;
  }
  size_t size() {
    std::lock_guard lock(mu);
    return uuids.size();
  }
};

CurveClientKeys client_keys(const CurveKeypair& own, const std::string& server_public) {
  return {own.public_key, own.secret_key, server_public};
}

AlertSenderOptions sender_opts(CurveClientKeys keys) {
  AlertSenderOptions o;
  o.curve = std::move(keys);
  o.ack_timeout = 200ms;
  return o;
}

// A CURVE alert receiver on loopback whose ZAP handler allows only `good`'s public key.
struct CurveRig {
  zmq::context_t ctx;
  CurveKeypair server = generate_keypair(), good = generate_keypair();
  ZapHandler zap{ctx, {{"alerts", {good.public_key}}}};
  Sink sink;
  AlertReceiver receiver{ctx, "tcp://127.0.0.1:0", sink.handler(), options()};
  AlertReceiverOptions options() const {
    AlertReceiverOptions o;
    o.curve = CurveServerKeys{server.public_key, server.secret_key, {good.public_key}};
    return o;
  }
  AlertSender sender(const CurveKeypair& own, const std::string& server_public) {
    return AlertSender(ctx, receiver.endpoint(), sender_opts(client_keys(own, server_public)));
  }
};

}  // namespace

TEST_CASE("ZAP decisions - allowed key in its domain only, CURVE only, unknown domains refused") {
  zmq::context_t ctx;
  auto a = generate_keypair(), b = generate_keypair();
  ZapHandler zap(ctx, {{"alerts", {a.public_key}}});
  std::string a_bin(32, '\0'), b_bin(32, '\0');
  zmq_z85_decode(reinterpret_cast<uint8_t*>(a_bin.data()), a.public_key.c_str());
  zmq_z85_decode(reinterpret_cast<uint8_t*>(b_bin.data()), b.public_key.c_str());
  CHECK(zap.decide("alerts", "CURVE", a_bin).allowed);
  CHECK(zap.decide("alerts", "CURVE", b_bin).reason == "key not allowed");
  CHECK(zap.decide("events", "CURVE", a_bin).reason == "unknown domain");
  CHECK(zap.decide("alerts", "NULL", "").reason == "mechanism NULL");
  CHECK(zap.counters("alerts") != nullptr);
  CHECK(zap.counters("events") == nullptr);
  CHECK_THROWS_AS(ZapHandler(ctx, {{"x", {"short"}}}), TransportError);
}

TEST_CASE("alerts over CURVE - a key outside the allow-list is refused and counted, the allowed key delivers") {
  CurveRig rig;
  AlertSender intruder = rig.sender(generate_keypair(), rig.server.public_key);
  REQUIRE(intruder.submit({"bad-1", R"({"rule":"x"})"}));
  REQUIRE(wait_until([&] { return rig.zap.counters("alerts")->refused.load() > 0; }, 10s));
  // The refused engine sees it too (its handshake monitor), so it can say so in its log and metrics.
  REQUIRE(wait_until([&] { return intruder.auth_failures() > 0; }, 10s));

  AlertSender engine = rig.sender(rig.good, rig.server.public_key);
  REQUIRE(engine.submit({"good-1", R"({"rule":"y"})"}));
  REQUIRE(engine.flush(10s));
  CHECK(rig.sink.has("good-1"));
  CHECK(rig.zap.counters("alerts")->accepted.load() >= 1);
  // The refused engine's alert is still its own: never delivered, still waiting for an ack.
  CHECK_FALSE(rig.sink.has("bad-1"));
  CHECK(intruder.unacked() == 1);
  CHECK(intruder.acked() == 0);
}

TEST_CASE("alerts over CURVE - a client holding the wrong server key or none gets nothing through") {
  CurveRig rig;
  // Allowed client key, but it trusts another server key: the handshake cannot complete.
  AlertSender wrong_server = rig.sender(rig.good, generate_keypair().public_key);
  AlertSender plaintext(rig.ctx, rig.receiver.endpoint(), AlertSenderOptions{});
  REQUIRE(wrong_server.submit({"wrong-server", "{}"}));
  REQUIRE(plaintext.submit({"plain", "{}"}));
  // A correct engine connecting after them is delivered, so they had their chance to get through.
  AlertSender engine = rig.sender(rig.good, rig.server.public_key);
  REQUIRE(engine.submit({"good", "{}"}));
  REQUIRE(engine.flush(10s));
  CHECK(rig.sink.size() == 1);
  CHECK(rig.sink.has("good"));
  CHECK(wrong_server.unacked() == 1);
  CHECK(engine.auth_failures() == 0);
  // The server cannot open the engine's HELLO (it was sealed for another server key) and drops the connection:
  // libzmq reports that to the engine as a failed handshake.
  CHECK(wait_until([&] { return wrong_server.auth_failures() > 0; }, 10s));
  CHECK(plaintext.unacked() == 1);
}
