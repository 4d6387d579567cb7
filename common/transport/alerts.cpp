#include "common/transport/alerts.h"

#include <zmq_addon.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "common/log.h"

namespace peregrine::transport {
namespace {

using Clock = std::chrono::steady_clock;

zmq::message_t header(uint8_t kind) {
  const uint8_t h[2] = {kAlertWireVersion, kind};
  return zmq::message_t(h, sizeof h);
}

bool check_header(const zmq::message_t& m, uint8_t kind) {
  return m.size() == 2 && static_cast<const uint8_t*>(m.data())[0] == kAlertWireVersion &&
         static_cast<const uint8_t*>(m.data())[1] == kind;
}

}  // namespace

std::vector<zmq::message_t> encode_alert_batch(const std::vector<AlertEnvelope>& batch) {
  std::vector<zmq::message_t> frames;
  frames.reserve(1 + 2 * batch.size());
  frames.push_back(header(kAlertKindBatch));
  for (const auto& a : batch) {
    frames.emplace_back(a.uuid.data(), a.uuid.size());
    frames.emplace_back(a.json.data(), a.json.size());
  }
  return frames;
}

Result<std::vector<AlertEnvelope>> decode_alert_batch(std::vector<zmq::message_t>& frames) {
  if (frames.empty() || !check_header(frames[0], kAlertKindBatch)) {
    return make_error("not an alert batch (bad version or kind)");
  }
  if (frames.size() % 2 != 1) return make_error("alert batch has an odd number of uuid/json frames");
  std::vector<AlertEnvelope> out;
  out.reserve(frames.size() / 2);
  for (size_t i = 1; i + 1 < frames.size(); i += 2) {
    if (frames[i].size() == 0) return make_error("alert batch contains an empty uuid");
    out.push_back(AlertEnvelope{frames[i].to_string(), frames[i + 1].to_string()});
  }
  return out;
}

std::vector<zmq::message_t> encode_alert_ack(const std::vector<std::string>& uuids) {
  std::vector<zmq::message_t> frames;
  frames.reserve(1 + uuids.size());
  frames.push_back(header(kAlertKindAck));
  for (const auto& u : uuids) frames.emplace_back(u.data(), u.size());
  return frames;
}

Result<std::vector<std::string>> decode_alert_ack(const std::vector<zmq::message_t>& frames) {
  if (frames.empty() || !check_header(frames[0], kAlertKindAck)) return make_error("not an alert ack");
  std::vector<std::string> out;
  out.reserve(frames.size() - 1);
  for (size_t i = 1; i < frames.size(); ++i) out.push_back(frames[i].to_string());
  return out;
}

// ---------------------------------------------------------------------------------------------- sender

AlertSender::AlertSender(zmq::context_t& ctx, const std::string& connect_endpoint, AlertSenderOptions opts)
    : sock_(ctx, zmq::socket_type::dealer), opts_(opts) {
  // A zero timeout would re-send in a tight loop.
  opts_.ack_timeout = std::max(opts_.ack_timeout, std::chrono::milliseconds(1));
  opts_.retry_interval = std::max(opts_.retry_interval, std::chrono::milliseconds(1));
  opts_.batch_max_alerts = std::max<size_t>(opts_.batch_max_alerts, 1);
  sock_.set(zmq::sockopt::linger, 0);
  sock_.set(zmq::sockopt::sndhwm, opts_.send_hwm);
  // Only queue messages to a router that is actually connected: while it is away, sends fail fast and
  // the alerts wait in our own bounded store (which is what pending_max and unacked() describe).
  sock_.set(zmq::sockopt::immediate, 1);
  if (opts_.curve) {
    apply_curve_client(sock_, *opts_.curve);
    // Handshake outcomes, so that a refused key is visible on this side too (attached before connecting).
    static std::atomic<uint64_t> seq{0};
    const std::string mon = "inproc://peregrine-alerts-monitor-" + std::to_string(seq.fetch_add(1));
    if (zmq_socket_monitor(sock_.handle(), mon.c_str(),
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
      throw TransportError("zmq_socket_monitor failed: " + std::string(zmq_strerror(zmq_errno())));
    monitor_ = zmq::socket_t(ctx, zmq::socket_type::pair);
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(mon);
  }
  connect_socket(sock_, connect_endpoint);
  thread_ = std::thread([this] { run(); });
}

AlertSender::~AlertSender() {
  stop_.store(true);
  wake_.notify();
  thread_.join();
  if (monitor_) zmq_socket_monitor(sock_.handle(), nullptr, 0);
  if (size_t left = unacked(); left > 0) {
    logger("transport.alerts")->warn("{} alerts were never acknowledged by the router and are lost", left);
  }
}

bool AlertSender::submit(AlertEnvelope alert) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    if (unacked_ >= opts_.pending_max) {
      if (dropped_.fetch_add(1, std::memory_order_relaxed) == 0) {
        logger("transport.alerts")
            ->warn("{} alerts await the router's acknowledgement (pending_max): dropping new alerts, counting them",
                   unacked_);
      }
      return false;
    }
    was_empty = fresh_.empty();
    fresh_.push_back(std::move(alert));
    ++unacked_;
  }
  if (was_empty) wake_.notify();
  return true;
}

size_t AlertSender::unacked() const {
  std::lock_guard lock(mu_);
  return unacked_;
}

bool AlertSender::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return drained_.wait_for(lock, timeout, [&] { return unacked_ == 0; });
}

void AlertSender::reschedule(InFlight& f, Clock::time_point when) {
  if (f.due != due_.end()) due_.erase(f.due);
  f.due = due_.emplace(when, f.alert.uuid);
}

// Moves submitted alerts into the in-flight table, due now.
void AlertSender::take_fresh() {
  std::deque<AlertEnvelope> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(fresh_);
  }
  size_t merged = 0;
  auto now = Clock::now();
  for (auto& a : taken) {
    auto [it, inserted] = inflight_.try_emplace(a.uuid);
    if (!inserted) {
      // The same uuid submitted twice: one entry, one ack.
      ++merged;
      it->second.alert = std::move(a);
      continue;
    }
    it->second.alert = std::move(a);
    it->second.due = due_.end();
    reschedule(it->second, now);
  }
  if (merged > 0) {
    std::lock_guard lock(mu_);
    unacked_ -= merged;
    if (unacked_ == 0) drained_.notify_all();
  }
}

// Sends every alert whose deadline passed, in batches, and reschedules it.
void AlertSender::send_due(Clock::time_point now) {
  if (now < blocked_until_) return;
  while (!due_.empty() && due_.begin()->first <= now) {
    std::vector<AlertEnvelope> batch;
    std::vector<InFlight*> members;
    size_t bytes = 0;
    for (auto it = due_.begin(); it != due_.end() && it->first <= now && batch.size() < opts_.batch_max_alerts;
         ++it) {
      InFlight& f = inflight_.at(it->second);
      size_t sz = f.alert.uuid.size() + f.alert.json.size();
      if (!batch.empty() && bytes + sz > opts_.batch_max_bytes) break;
      bytes += sz;
      batch.push_back(f.alert);
      members.push_back(&f);
    }
    auto frames = encode_alert_batch(batch);
    bool ok = false;
    try {
      ok = zmq::send_multipart(sock_, frames, zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
      ok = false;
    }
    if (!ok) {
      // The router is away or the HWM is reached: back off, keeping every alert's place in the order.
      blocked_until_ = now + opts_.retry_interval;
      return;
    }
    for (InFlight* f : members) {
      (f->attempts == 0 ? sent_ : resent_).fetch_add(1, std::memory_order_relaxed);
      ++f->attempts;
      reschedule(*f, now + opts_.ack_timeout);
    }
  }
}

void AlertSender::read_acks() {
  std::vector<zmq::message_t> frames;
  size_t acked = 0;
  while (zmq::recv_multipart(sock_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
    auto uuids = decode_alert_ack(frames);
    frames.clear();
    if (!uuids) continue;
    for (const auto& u : *uuids) {
      auto it = inflight_.find(u);
      if (it == inflight_.end()) continue;  // a duplicate ack
      due_.erase(it->second.due);
      inflight_.erase(it);
      ++acked;
    }
  }
  if (acked > 0) {
    acked_.fetch_add(acked, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    unacked_ -= acked;
    if (unacked_ == 0) drained_.notify_all();
  }
}

void AlertSender::run() {
  while (!stop_.load()) {
    bool have_fresh;
    {
      std::lock_guard lock(mu_);
      have_fresh = !fresh_.empty();
    }
    auto timeout = have_fresh      ? std::chrono::milliseconds(0)
                   : due_.empty() ? std::chrono::milliseconds(3600000)
                                  : until(std::max(due_.begin()->first, blocked_until_));
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, wake_.fd(), ZMQ_POLLIN, 0},
                               {monitor_ ? monitor_.handle() : nullptr, -1, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, monitor_ ? 3 : 2, timeout);
      if (items[1].revents & ZMQ_POLLIN) wake_.drain();
      if (items[2].revents & ZMQ_POLLIN) read_monitor();
      if (items[0].revents & ZMQ_POLLIN) read_acks();
      if (stop_.load()) break;
      take_fresh();
      send_due(Clock::now());
    } catch (const zmq::error_t& e) {
      logger("transport.alerts")->warn("alert sender stopped: {}", e.what());
      return;
    }
  }
}

void AlertSender::read_monitor() {
  std::vector<zmq::message_t> frames;
  while (zmq::recv_multipart(monitor_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
    if (frames.size() >= 2 && frames[0].size() >= 6) {
      uint16_t event;
      uint32_t value;
      std::memcpy(&event, frames[0].data(), sizeof event);
      std::memcpy(&value, static_cast<const char*>(frames[0].data()) + 2, sizeof value);
      if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (auth_warned_) logger("transport.alerts")->info("CURVE handshake with the router succeeds again");
        auth_warned_ = false;
      } else {
        auth_failures_.fetch_add(1, std::memory_order_relaxed);
        if (!auth_warned_) {
          auth_warned_ = true;
          const std::string peer = frames[1].to_string();
          if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            logger("transport.alerts")->warn("router {} refused this engine's CURVE key (ZAP status {}): add its "
                                             "public key to router.alerts_curve.allowed_client_keys", peer, value);
          else
            logger("transport.alerts")->warn("CURVE handshake with router {} failed: is "
                                             "engine.alerts_curve.server_public_key the router's key?", peer);
        }
      }
    }
    frames.clear();
  }
}

// -------------------------------------------------------------------------------------------- receiver

AlertReceiver::AlertReceiver(zmq::context_t& ctx, const std::string& bind_endpoint, AlertBatchHandler on_batch,
                             AlertReceiverOptions opts)
    : sock_(ctx, zmq::socket_type::router), on_batch_(std::move(on_batch)), opts_(opts), drop_acks_(opts.drop_acks) {
  sock_.set(zmq::sockopt::linger, 0);
  sock_.set(zmq::sockopt::rcvhwm, opts_.recv_hwm);
  if (opts_.curve) apply_curve_server(sock_, *opts_.curve, opts_.zap_domain);
  endpoint_ = bind_socket(sock_, bind_endpoint);
  thread_ = std::thread([this] { run(); });
}

AlertReceiver::~AlertReceiver() {
  stop_.store(true);
  wake_.notify();
  thread_.join();
}

void AlertReceiver::send_ack(std::vector<zmq::message_t>& frames) {
  try {
    // ROUTER never blocks: an ack to a vanished peer is dropped, and the sender re-sends.
    if (zmq::send_multipart(sock_, frames, zmq::send_flags::dontwait)) acks_sent_.fetch_add(1);
  } catch (const zmq::error_t&) {
  }
}

void AlertReceiver::handle(std::vector<std::vector<zmq::message_t>>& messages) {
  // Every batch waiting on the socket goes to the handler as one: one durable append (one fsync under
  // fsync: batch) acknowledges them all — group commit across engines and across one engine's pipelined batches.
  struct Pending {
    zmq::message_t identity;
    std::vector<std::string> uuids;
  };
  std::vector<Pending> pending;
  std::vector<AlertEnvelope> all;
  for (auto& frames : messages) {
    if (frames.size() < 2) {
      invalid_.fetch_add(1);
      continue;
    }
    zmq::message_t identity = std::move(frames[0]);
    frames.erase(frames.begin());
    auto batch = decode_alert_batch(frames);
    if (!batch) {
      if (invalid_.fetch_add(1) == 0) logger("transport.alerts")->warn("ignoring message: {}", batch.error().message);
      continue;
    }
    batches_.fetch_add(1);
    alerts_.fetch_add(batch->size());
    Pending p{std::move(identity), {}};
    p.uuids.reserve(batch->size());
    for (auto& a : *batch) {
      p.uuids.push_back(a.uuid);
      all.push_back(std::move(a));
    }
    pending.push_back(std::move(p));
  }
  if (pending.empty()) return;
  bool durable = false;
  try {
    durable = on_batch_(all);
  } catch (const std::exception& e) {
    logger("transport.alerts")->warn("alert batch handler failed: {}", e.what());
  }
  if (!durable) {
    rejected_.fetch_add(pending.size());
    return;
  }
  for (auto& p : pending) {
    size_t drop = drop_acks_.load();
    while (drop > 0 && !drop_acks_.compare_exchange_weak(drop, drop - 1)) {
    }
    if (drop > 0) {
      acks_dropped_.fetch_add(1);
      continue;
    }
    std::vector<zmq::message_t> ack;
    ack.push_back(std::move(p.identity));
    for (auto& f : encode_alert_ack(p.uuids)) ack.push_back(std::move(f));
    if (opts_.ack_delay.count() > 0) {
      delayed_.push_back(DelayedAck{Clock::now() + opts_.ack_delay, std::move(ack)});
    } else {
      send_ack(ack);
    }
  }
}

void AlertReceiver::run() {
  while (!stop_.load()) {
    auto timeout = delayed_.empty() ? std::chrono::milliseconds(3600000) : until(delayed_.front().due);
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_.fd(), ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, timeout);
      if (items[1].revents & ZMQ_POLLIN) wake_.drain();
      if (stop_.load()) break;
      // Stop is honoured between rounds: a sender re-sending faster than batches are handled (a full queue
      // rejecting them, a slow machine) must not keep this loop, and so shutdown, going forever.
      for (;;) {
        std::vector<std::vector<zmq::message_t>> messages;
        size_t frames_total = 0;
        const size_t max_messages = std::max<size_t>(1, opts_.group_commit_batches);
        while (messages.size() < max_messages && frames_total < max_messages * kFramesPerBatch) {
          std::vector<zmq::message_t> frames;
          if (!zmq::recv_multipart(sock_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
          frames_total += frames.size();
          messages.push_back(std::move(frames));
        }
        if (messages.empty() || stop_.load()) break;
        handle(messages);
      }
      auto now = Clock::now();
      while (!delayed_.empty() && delayed_.front().due <= now) {
        send_ack(delayed_.front().frames);
        delayed_.pop_front();
      }
    } catch (const zmq::error_t& e) {
      logger("transport.alerts")->warn("alert receiver stopped: {}", e.what());
      return;
    }
  }
}

}  // namespace peregrine::transport
