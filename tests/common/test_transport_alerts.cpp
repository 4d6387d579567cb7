#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/transport/alerts.h"
#include "tests/common/transport_wait.h"

using namespace peregrine::transport;
using namespace peregrine::transport::testing;
using namespace std::chrono_literals;

namespace {

// What a router would do: remember every delivery (duplicates included).
struct Sink {
  std::mutex mu;
  std::vector<AlertEnvelope> all;
  std::vector<size_t> batch_sizes;
  std::atomic<int> refuse{0};  // refuse this many batches (not durable)

  AlertBatchHandler handler() {
    return [this](std::vector<AlertEnvelope>& batch) {
      if (refuse > 0) {
        --refuse;
        return false;
      }
      std::lock_guard lock(mu);
      batch_sizes.push_back(batch.size());
      for (auto& a : batch) all.push_back(std::move(a));
      return true;
    };
  }
  std::map<std::string, int> counts() {
    std::lock_guard lock(mu);
    std::map<std::string, int> c;
    for (const auto& a : all) c[a.uuid]++;
    return c;
  }
  size_t total() {
    std::lock_guard lock(mu);
    return all.size();
  }
};

AlertEnvelope alert(int i) {
  return AlertEnvelope{"uuid-" + std::to_string(i), R"({"rule":"r","n":)" + std::to_string(i) + "}"};
}

std::unique_ptr<AlertReceiver> bind_receiver(zmq::context_t& ctx, const std::string& ep, Sink& sink,
                                             AlertReceiverOptions opts = {}) {
  return construct_with_retry([&] { return std::make_unique<AlertReceiver>(ctx, ep, sink.handler(), opts); });
}

// A sender that connects before any router exists needs the address up front: an ipc path in the test's own
// directory is known in advance and cannot be taken by anybody else (unlike a TCP port picked beforehand).
std::string ipc_endpoint(const peregrine::testing::TempDir& d) { return "ipc://" + (d / "alerts.sock").string(); }

}  // namespace

TEST_CASE("alerts wire: batch and ack round trip - bad versions and shapes are rejected") {
  std::vector<AlertEnvelope> batch{alert(1), alert(2)};
  auto frames = encode_alert_batch(batch);
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].size() == 2);
  CHECK(static_cast<const uint8_t*>(frames[0].data())[0] == kAlertWireVersion);
  CHECK(static_cast<const uint8_t*>(frames[0].data())[1] == kAlertKindBatch);
  auto back = decode_alert_batch(frames);
  REQUIRE(back.ok());
  CHECK(*back == batch);

  auto ack = encode_alert_ack({"a", "b"});
  auto uuids = decode_alert_ack(ack);
  REQUIRE(uuids.ok());
  CHECK(*uuids == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(decode_alert_batch(ack).ok());  // an ack is not a batch

  auto bad_version = encode_alert_batch(batch);
  static_cast<uint8_t*>(bad_version[0].data())[0] = 9;
  CHECK_FALSE(decode_alert_batch(bad_version).ok());
  auto odd = encode_alert_batch(batch);
  odd.pop_back();
  CHECK_FALSE(decode_alert_batch(odd).ok());
  std::vector<zmq::message_t> empty;
  CHECK_FALSE(decode_alert_batch(empty).ok());
  CHECK_FALSE(decode_alert_ack(empty).ok());
}

TEST_CASE("alerts: every submitted alert is delivered and acknowledged - flush returns once all are acked") {
  zmq::context_t ctx;
  Sink sink;
  AlertReceiverOptions one_at_a_time;
  one_at_a_time.group_commit_batches = 1;  // the handler sees each batch as the sender cut it
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler(), one_at_a_time);
  AlertSenderOptions opts;
  opts.batch_max_alerts = 50;
  AlertSender sender(ctx, receiver.endpoint(), opts);
  for (int i = 0; i < 500; ++i) REQUIRE(sender.submit(alert(i)));
  CHECK(sender.flush(20s));
  CHECK(sender.unacked() == 0);
  CHECK(sender.acked() == 500);
  CHECK(sender.dropped() == 0);
  auto counts = sink.counts();
  CHECK(counts.size() == 500);
  for (int i = 0; i < 500; ++i) CHECK(counts.count("uuid-" + std::to_string(i)) == 1);
  {
    std::lock_guard lock(sink.mu);
    for (size_t n : sink.batch_sizes) CHECK(n <= 50);
    CHECK(sink.all[0].json == alert(0).json);
  }
  CHECK(receiver.alerts() >= 500);
  // A late re-send (ack timeout on a loaded machine) may still be on its way through the receiver.
  CHECK(wait_until([&] { return receiver.acks_sent() == receiver.batches(); }));
}

TEST_CASE("alerts: dropped acks force a re-send with the same uuid") {
  zmq::context_t ctx;
  Sink sink;
  AlertReceiverOptions ropts;
  ropts.drop_acks = 2;
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler(), ropts);
  AlertSenderOptions opts;
  opts.ack_timeout = 100ms;
  AlertSender sender(ctx, receiver.endpoint(), opts);
  REQUIRE(sender.submit(alert(7)));
  CHECK(sender.flush(20s));
  CHECK(receiver.acks_dropped() == 2);
  CHECK(sender.resent() >= 2);
  CHECK(sender.sent() == 1);
  CHECK(sender.acked() == 1);
  auto counts = sink.counts();
  REQUIRE(counts.size() == 1);
  CHECK(counts["uuid-7"] >= 3);  // duplicates carry the same uuid
  std::lock_guard lock(sink.mu);
  for (const auto& a : sink.all) CHECK(a == alert(7));
}

TEST_CASE("alerts: a batch the router could not make durable is not acked and comes back") {
  zmq::context_t ctx;
  Sink sink;
  sink.refuse = 1;
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler());
  AlertSenderOptions opts;
  opts.ack_timeout = 100ms;
  AlertSender sender(ctx, receiver.endpoint(), opts);
  REQUIRE(sender.submit(alert(1)));
  REQUIRE(sender.submit(alert(2)));
  CHECK(sender.flush(20s));
  CHECK(receiver.rejected() >= 1);
  auto counts = sink.counts();
  CHECK(counts.size() == 2);
  CHECK(sender.resent() >= 1);
}

TEST_CASE("alerts: no loss when the router starts late, and the backlog arrives in submission order") {
  zmq::context_t ctx;
  Sink sink;
  peregrine::testing::TempDir dir;
  std::string ep = ipc_endpoint(dir);
  AlertSenderOptions opts;
  opts.retry_interval = 20ms;
  opts.batch_max_alerts = 7;  // several failed batches while the router is away
  AlertSender sender(ctx, ep, opts);
  for (int i = 0; i < 50; ++i) REQUIRE(sender.submit(alert(i)));
  CHECK_FALSE(sender.flush(100ms));  // nobody to acknowledge yet
  CHECK(sender.unacked() == 50);
  CHECK(sender.sent() == 0);
  auto receiver = bind_receiver(ctx, ep, sink);
  CHECK(sender.flush(20s));
  CHECK(sink.counts().size() == 50);
  CHECK(sender.acked() == 50);
  std::lock_guard lock(sink.mu);
  REQUIRE(sink.all.size() >= 50);
  for (int i = 0; i < 50; ++i) CHECK(sink.all[i].uuid == "uuid-" + std::to_string(i));
}

TEST_CASE("alerts: a router restart before acking loses nothing - the new router gets the same uuids") {
  zmq::context_t ctx;
  Sink first, second;
  AlertReceiverOptions never_ack;
  never_ack.drop_acks = 1000000;
  auto r1 = std::make_unique<AlertReceiver>(ctx, "tcp://127.0.0.1:0", first.handler(), never_ack);
  std::string ep = r1->endpoint();
  AlertSenderOptions opts;
  opts.ack_timeout = 100ms;
  opts.retry_interval = 20ms;
  AlertSender sender(ctx, ep, opts);
  for (int i = 0; i < 20; ++i) REQUIRE(sender.submit(alert(i)));
  CHECK(wait_until([&] { return first.counts().size() == 20; }));
  CHECK(sender.unacked() == 20);
  r1.reset();
  auto r2 = bind_receiver(ctx, ep, second);
  CHECK(sender.flush(20s));
  auto counts = second.counts();
  CHECK(counts.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(counts.count("uuid-" + std::to_string(i)) == 1);
}

TEST_CASE("alerts: slow acks cause duplicates, never loss - ack_delay test hook") {
  zmq::context_t ctx;
  Sink sink;
  AlertReceiverOptions ropts;
  ropts.ack_delay = 300ms;
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler(), ropts);
  AlertSenderOptions opts;
  opts.ack_timeout = 50ms;
  AlertSender sender(ctx, receiver.endpoint(), opts);
  for (int i = 0; i < 5; ++i) REQUIRE(sender.submit(alert(i)));
  CHECK(sender.flush(20s));
  auto counts = sink.counts();
  CHECK(counts.size() == 5);
  CHECK(sink.total() > 5);  // re-sent while the ack was delayed
  CHECK(sender.acked() == 5);
}

TEST_CASE("alerts: the pending store is bounded - overflow is refused and counted") {
  zmq::context_t ctx;
  peregrine::testing::TempDir dir;
  std::string ep = ipc_endpoint(dir);
  AlertSenderOptions opts;
  opts.pending_max = 3;
  AlertSender sender(ctx, ep, opts);
  int accepted = 0;
  for (int i = 0; i < 5; ++i) accepted += sender.submit(alert(i)) ? 1 : 0;
  CHECK(accepted == 3);
  CHECK(sender.dropped() == 2);
  CHECK(sender.unacked() == 3);
}

TEST_CASE("alerts: flush on shutdown drains, then the sender can be destroyed") {
  zmq::context_t ctx;
  Sink sink;
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler());
  {
    AlertSender sender(ctx, receiver.endpoint());
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t) {
      producers.emplace_back([&, t] {
        for (int i = 0; i < 250; ++i) CHECK(sender.submit(alert(t * 1000 + i)));
      });
    }
    for (auto& p : producers) p.join();
    CHECK(sender.flush(20s));
    CHECK(sender.unacked() == 0);
  }
  CHECK(sink.counts().size() == 1000);
}

TEST_CASE("alerts: the same uuid submitted twice is one pending entry and one ack") {
  zmq::context_t ctx;
  Sink sink;
  peregrine::testing::TempDir dir;
  std::string ep = ipc_endpoint(dir);
  AlertSender sender(ctx, ep);
  REQUIRE(sender.submit(alert(1)));
  REQUIRE(sender.submit(alert(1)));
  CHECK(wait_until([&] { return sender.unacked() == 1; }));
  auto receiver = bind_receiver(ctx, ep, sink);
  CHECK(sender.flush(20s));
}

TEST_CASE("alerts: malformed messages are counted by the receiver and ignored") {
  zmq::context_t ctx;
  Sink sink;
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", sink.handler());
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(receiver.endpoint());
  raw.send(zmq::str_buffer("garbage"), zmq::send_flags::none);
  CHECK(wait_until([&] { return receiver.invalid() == 1; }));
  CHECK(receiver.batches() == 0);
}

TEST_CASE("alerts: batches respect batch_max_bytes, but an oversized alert still goes alone") {
  zmq::context_t ctx;
  Sink sink;
  peregrine::testing::TempDir dir;
  std::string ep = ipc_endpoint(dir);
  AlertSenderOptions opts;
  opts.batch_max_bytes = 1000;
  opts.retry_interval = 10ms;
  AlertSender sender(ctx, ep, opts);
  // Queue everything before the router exists, so the first sends see the whole backlog.
  for (int i = 0; i < 40; ++i) {
    REQUIRE(sender.submit(AlertEnvelope{"u" + std::to_string(i), std::string(90, 'x')}));
  }
  REQUIRE(sender.submit(AlertEnvelope{"big", std::string(5000, 'y')}));
  AlertReceiverOptions one_at_a_time;
  one_at_a_time.group_commit_batches = 1;  // the handler sees each batch as the sender cut it
  auto receiver = bind_receiver(ctx, ep, sink, one_at_a_time);
  CHECK(sender.flush(20s));
  CHECK(sink.counts().size() == 41);
  std::lock_guard lock(sink.mu);
  CHECK(sink.batch_sizes.size() >= 5);  // 40 × ~92 bytes cannot fit in fewer than 4 batches, plus "big"
  size_t i = 0;
  for (size_t n : sink.batch_sizes) {
    size_t bytes = 0;
    for (size_t k = 0; k < n; ++k, ++i) bytes += sink.all[i].uuid.size() + sink.all[i].json.size();
    CHECK((bytes <= 1000 || n == 1));
  }
}

TEST_CASE("alerts: batches waiting on the socket share one handler call (group commit), each acked on its own") {
  zmq::context_t ctx;
  Sink sink;
  AlertSenderOptions opts;
  opts.batch_max_alerts = 10;
  std::unique_ptr<AlertSender> sender;
  std::atomic<int> calls{0};
  // The first call holds the receiver until the sender has put all 20 batches on the wire, so they are
  // waiting on the socket when the next round reads.
  auto inner = sink.handler();
  AlertReceiver receiver(ctx, "tcp://127.0.0.1:0", [&](std::vector<AlertEnvelope>& batch) {
    if (calls.fetch_add(1) == 0) wait_until([&] { return sender && sender->sent() == 200; }, 10s);
    return inner(batch);
  });
  sender = std::make_unique<AlertSender>(ctx, receiver.endpoint(), opts);
  for (int i = 0; i < 200; ++i) REQUIRE(sender->submit(alert(i)));
  CHECK(sender->flush(20s));
  CHECK(sender->acked() == 200);
  // 20 full batches at least; a loaded machine may see the sender cut a partial batch on its linger too.
  CHECK(receiver.batches() >= 20);
  CHECK(receiver.acks_sent() == receiver.batches());
  CHECK(calls.load() < static_cast<int>(receiver.batches()));
  CHECK(sink.counts().size() == 200);
}
