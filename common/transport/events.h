// The events link (sensor → engine): PUSH binds, PULL connects; each message is one opaque batch.
//
// At-most-once and never silent: try_send never blocks, and a batch refused because the high-water mark is
// reached (or no engine is connected) is counted in dropped(). See docs/transport.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/result.h"
#include "common/transport/curve_keys.h"
#include "common/transport/socket.h"

namespace peregrine::transport {

struct SendOptions {
  int send_hwm = 1000;  // batches queued per connected engine before try_send drops
  std::optional<CurveServerKeys> curve;  // CURVE (sensor.curve); clients are decided by the ZAP handler
  std::string zap_domain = "events";
};

struct RecvOptions {
  int recv_hwm = 1000;  // batches queued on the receiving side
  std::optional<CurveClientKeys> curve;  // CURVE towards the sensor (engine.sensor_curve)
};

/// Owned by one thread (the sensor's publisher); counters may be read from any thread.
class EventSender {
 public:
  /// Binds a PUSH socket; throws TransportError.
  EventSender(zmq::context_t& ctx, const std::string& bind_endpoint, SendOptions opts = {});
  /// Copies the batch into a message and queues it. Never blocks; false + counted drop when it cannot.
  bool try_send(std::span<const uint8_t> batch);
  /// Zero-copy variant: the message is consumed on success and left intact on failure.
  bool try_send(zmq::message_t& msg);
  /// The bound endpoint with the actual port ("tcp://127.0.0.1:41234").
  std::string endpoint() const { return endpoint_; }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  zmq::socket_t sock_;
  std::string endpoint_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> dropped_{0};
};

/// Owned by one thread (the engine's input loop).
class EventReceiver {
 public:
  /// Connects a PULL socket (the sensor may start later; ZeroMQ reconnects).
  EventReceiver(zmq::context_t& ctx, const std::string& connect_endpoint, RecvOptions opts = {});
  /// Waits up to `timeout`. true = a batch was received, false = timed out; Error when the context is
  /// shutting down or the socket failed.
  Result<bool> recv(std::vector<uint8_t>& buf, std::chrono::milliseconds timeout);
  /// Zero-copy: the batch stays in `msg`; use transport::view(msg) for its bytes.
  Result<bool> recv(zmq::message_t& msg, std::chrono::milliseconds timeout);
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }

 private:
  zmq::socket_t sock_;
  std::atomic<uint64_t> received_{0};
};

}  // namespace peregrine::transport
