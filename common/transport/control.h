// The control link (engine → sensor): which event types the loaded rules need, which opens they could
// match at all (the in-kernel open filter, common/open_filter.h), and whether any of them reads proc.env.
//
// The selection is idempotent state, not a stream: the engine's publisher re-sends the current selection
// periodically and whenever its socket (re)connects, so a restarted sensor learns it without asking. Both
// sides keep only the newest message (ZMQ_CONFLATE). JSON on the wire; see docs/transport.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/open_filter.h"
#include "common/result.h"
#include "common/transport/curve_keys.h"
#include "common/transport/socket.h"

namespace peregrine::transport {

struct ControlMessage {
  std::vector<std::string> event_types;  // empty = all event types
  uint64_t generation = 0;               // bumped by every publish() of one engine run
  OpenFilter open_filter;                // JSON "open_filter": absent or null = pass everything
  bool proc_env = false;                 // JSON "proc_env": some rule reads proc.env (absent = false)
  bool operator==(const ControlMessage&) const = default;
};

void to_json(nlohmann::json& j, const ControlMessage& m);
void from_json(const nlohmann::json& j, ControlMessage& m);
std::string encode_control(const ControlMessage& m);
/// Rejects other versions, missing fields, non-string types, a non-boolean proc_env and open filters over the
/// kernel's limits.
Result<ControlMessage> decode_control(std::string_view text);

struct ControlOptions {
  std::chrono::milliseconds resend_interval{1000};  // periodic re-send of the current selection
  std::optional<CurveClientKeys> curve;             // CURVE towards the sensor (engine.sensor_curve)
};

struct ControlListenerOptions {
  std::optional<CurveServerKeys> curve;  // CURVE (sensor.curve); clients are decided by the ZAP handler
  std::string zap_domain = "control";
};

/// Engine side: PUSH connect, with a background thread that owns the socket.
class ControlPublisher {
 public:
  ControlPublisher(zmq::context_t& ctx, const std::string& connect_endpoint, ControlOptions opts = {});
  ~ControlPublisher();
  ControlPublisher(const ControlPublisher&) = delete;
  ControlPublisher& operator=(const ControlPublisher&) = delete;

  /// Sets the selection (bumping the generation) and sends it as soon as possible. Thread-safe.
  /// `proc_env`: attach each process's environment to events (some loaded rule reads proc.env).
  void publish(std::vector<std::string> event_types, OpenFilter open_filter = {}, bool proc_env = false);
  /// The current selection (generation 0 = nothing published yet).
  ControlMessage current() const;
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  /// Times the socket (re)connected to a sensor.
  uint64_t connects() const { return connects_.load(std::memory_order_relaxed); }

 private:
  void run();
  zmq::socket_t sock_;
  zmq::socket_t monitor_;
  ControlOptions opts_;
  WakeFd wake_;
  mutable std::mutex mu_;
  ControlMessage current_;
  bool dirty_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> connects_{0};
  std::thread thread_;
};

/// Sensor side: PULL bind, polled by the sensor's loop (single thread).
class ControlListener {
 public:
  ControlListener(zmq::context_t& ctx, const std::string& bind_endpoint, ControlListenerOptions opts = {});
  /// Waits up to `timeout` (0 = just check). Returns a message only when it differs from the last one
  /// returned (periodic re-sends of the same selection yield nullopt).
  std::optional<ControlMessage> poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  std::string endpoint() const { return endpoint_; }
  uint64_t received() const { return received_; }
  /// Messages that were not valid control JSON (ignored).
  uint64_t invalid() const { return invalid_; }

 private:
  zmq::socket_t sock_;
  std::string endpoint_;
  std::optional<ControlMessage> last_;
  uint64_t received_ = 0;
  uint64_t invalid_ = 0;
};

}  // namespace peregrine::transport
