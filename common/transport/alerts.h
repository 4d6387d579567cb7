// The alert link (engine → router): at-least-once delivery of Falco JSON alerts.
//
// DEALER (engine, connects) → ROUTER (router, binds). The sender keeps every alert until the receiver
// acknowledges its uuid, and re-sends what is not acknowledged within ack_timeout. The receiver
// acknowledges a batch only when its callback returned true (after the router's durable append).
// Guarantees: at-least-once; a duplicate carries the same uuid; no ordering across re-sends.
// Frame layouts (version byte first) are in docs/transport.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "common/config/config.h"
#include "common/result.h"
#include "common/transport/curve_keys.h"
#include "common/transport/socket.h"

namespace peregrine::transport {

struct AlertEnvelope {
  std::string uuid;  // the alert's uuid; acks name it
  std::string json;  // one Falco JSON alert
  bool operator==(const AlertEnvelope&) const = default;
};

inline constexpr uint8_t kAlertWireVersion = 1;
inline constexpr uint8_t kAlertKindBatch = 1;
inline constexpr uint8_t kAlertKindAck = 2;

/// Wire helpers (exposed for tests and fuzzing). Frames exclude the ROUTER identity frame.
std::vector<zmq::message_t> encode_alert_batch(const std::vector<AlertEnvelope>& batch);
Result<std::vector<AlertEnvelope>> decode_alert_batch(std::vector<zmq::message_t>& frames);
std::vector<zmq::message_t> encode_alert_ack(const std::vector<std::string>& uuids);
Result<std::vector<std::string>> decode_alert_ack(const std::vector<zmq::message_t>& frames);

struct AlertSenderOptions {
  // Defaults of engine.ack_timeout_ms / engine.pending_max come from config::EngineConfig (one set of defaults).
  std::chrono::milliseconds ack_timeout{config::EngineConfig{}.ack_timeout_ms};  // re-send when not acked in time
  size_t pending_max = static_cast<size_t>(config::EngineConfig{}.pending_max);  // unacked kept; submit() fails beyond
  size_t batch_max_alerts = 256;                    // alerts per message
  size_t batch_max_bytes = 1 << 20;                 // bytes per message (at least one alert is always sent)
  int send_hwm = 1000;                              // messages queued in ZeroMQ towards the router
  std::chrono::milliseconds retry_interval{100};    // back-off while the router is unreachable
  std::optional<CurveClientKeys> curve;             // CURVE towards the router (engine.alerts_curve); none = plaintext
};

/// Engine side. submit() may be called from any thread; a background thread owns the socket.
class AlertSender {
 public:
  AlertSender(zmq::context_t& ctx, const std::string& connect_endpoint, AlertSenderOptions opts = {});
  /// Stops the thread; alerts still unacknowledged are lost (call flush() first).
  ~AlertSender();
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  /// Queues an alert. Returns false (and counts a drop) only when pending_max alerts are unacknowledged.
  bool submit(AlertEnvelope alert);
  /// Submitted but not yet acknowledged.
  size_t unacked() const;
  /// Waits until every submitted alert is acknowledged; false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }        // first transmissions
  uint64_t resent() const { return resent_.load(std::memory_order_relaxed); }    // re-transmissions
  uint64_t acked() const { return acked_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  /// CURVE handshakes with the router that failed (key refused by its allow-list, or a wrong server key); 0 in
  /// plaintext. Each failure episode is logged once at warn.
  uint64_t auth_failures() const { return auth_failures_.load(std::memory_order_relaxed); }

 private:
  struct InFlight {
    AlertEnvelope alert;
    uint32_t attempts = 0;  // 0 = never left the process
    std::multimap<std::chrono::steady_clock::time_point, std::string>::iterator due;
  };
  void run();
  void take_fresh();
  void send_due(std::chrono::steady_clock::time_point now);
  void read_acks();
  void reschedule(InFlight& f, std::chrono::steady_clock::time_point when);
  void read_monitor();

  zmq::socket_t sock_;
  zmq::socket_t monitor_;  // handshake events of sock_ (only with CURVE)
  bool auth_warned_ = false;  // owned by the thread: this failure episode was logged
  AlertSenderOptions opts_;
  WakeFd wake_;
  mutable std::mutex mu_;
  std::condition_variable drained_;
  std::deque<AlertEnvelope> fresh_;  // guarded by mu_
  size_t unacked_ = 0;               // guarded by mu_: fresh_ + in-flight
  // Owned by the thread:
  std::unordered_map<std::string, InFlight> inflight_;
  std::multimap<std::chrono::steady_clock::time_point, std::string> due_;
  // While the router is unreachable nothing is sent before this instant; alerts keep their place in due_,
  // so they go out in submission order once it is back.
  std::chrono::steady_clock::time_point blocked_until_{};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0}, resent_{0}, acked_{0}, dropped_{0}, auth_failures_{0};
  std::thread thread_;
};

struct AlertReceiverOptions {
  int recv_hwm = 1000;
  /// Batches waiting on the socket that share one handler call (one durable append, group commit); each is
  /// still acknowledged on its own. 1 hands every batch over alone.
  size_t group_commit_batches = 64;
  /// Test hooks: delay every ack, or drop the next N acks (forces the sender to re-send).
  std::chrono::milliseconds ack_delay{0};
  size_t drop_acks = 0;
  /// CURVE server keys (router.alerts_curve); none = plaintext. Who may connect is decided by the context's ZAP
  /// handler (common/transport/zap.h) under `zap_domain`, which must be running before the receiver binds.
  std::optional<CurveServerKeys> curve;
  std::string zap_domain = "alerts";
};

/// Called on the receiver's thread with the alerts of one or more batches (those waiting on the socket are
/// taken together); return true once they are durable (each batch is then acknowledged). The vector may be
/// consumed (moved from).
using AlertBatchHandler = std::function<bool(std::vector<AlertEnvelope>&)>;

/// Router side. Binds at construction and runs its own loop thread until destroyed.
class AlertReceiver {
 public:
  AlertReceiver(zmq::context_t& ctx, const std::string& bind_endpoint, AlertBatchHandler on_batch,
                AlertReceiverOptions opts = {});
  ~AlertReceiver();
  AlertReceiver(const AlertReceiver&) = delete;
  AlertReceiver& operator=(const AlertReceiver&) = delete;

  std::string endpoint() const { return endpoint_; }
  /// Test hook: the next n acks are not sent.
  void drop_next_acks(size_t n) { drop_acks_.store(n); }

  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t alerts() const { return alerts_.load(std::memory_order_relaxed); }
  uint64_t acks_sent() const { return acks_sent_.load(std::memory_order_relaxed); }
  uint64_t acks_dropped() const { return acks_dropped_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }  // callback returned false
  uint64_t invalid() const { return invalid_.load(std::memory_order_relaxed); }    // malformed messages

 private:
  struct DelayedAck {
    std::chrono::steady_clock::time_point due;
    std::vector<zmq::message_t> frames;
  };
  void run();
  /// Batches read in one round (at most opts_.group_commit_batches messages / that many times kFramesPerBatch
  /// frames) share one handler call, i.e. one durable append; each message is then acknowledged on its own.
  static constexpr size_t kFramesPerBatch = 260;
  void handle(std::vector<std::vector<zmq::message_t>>& messages);
  void send_ack(std::vector<zmq::message_t>& frames);

  zmq::socket_t sock_;
  std::string endpoint_;
  AlertBatchHandler on_batch_;
  AlertReceiverOptions opts_;
  WakeFd wake_;
  std::deque<DelayedAck> delayed_;
  std::atomic<size_t> drop_acks_{0};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> batches_{0}, alerts_{0}, acks_sent_{0}, acks_dropped_{0}, rejected_{0}, invalid_{0};
  std::thread thread_;
};

}  // namespace peregrine::transport
