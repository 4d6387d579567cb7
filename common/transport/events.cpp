#include "common/transport/events.h"

#include <cerrno>

#include "common/log.h"

namespace peregrine::transport {

EventSender::EventSender(zmq::context_t& ctx, const std::string& bind_endpoint, SendOptions opts)
    : sock_(ctx, zmq::socket_type::push) {
  sock_.set(zmq::sockopt::sndhwm, opts.send_hwm);
  sock_.set(zmq::sockopt::linger, 0);
  if (opts.curve) apply_curve_server(sock_, *opts.curve, opts.zap_domain);
  endpoint_ = bind_socket(sock_, bind_endpoint);
}

bool EventSender::try_send(std::span<const uint8_t> batch) {
  zmq::message_t msg(batch.data(), batch.size());
  return try_send(msg);
}

bool EventSender::try_send(zmq::message_t& msg) {
  try {
    if (sock_.send(msg, zmq::send_flags::dontwait)) {
      sent_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  } catch (const zmq::error_t&) {
    // ETERM during shutdown: the batch is lost like any other drop, and counted.
  }
  if (dropped_.fetch_add(1, std::memory_order_relaxed) == 0) {
    logger("transport.events")
        ->warn("dropping event batches on {} (no engine connected, or send_hwm reached); counting them", endpoint_);
  }
  return false;
}

EventReceiver::EventReceiver(zmq::context_t& ctx, const std::string& connect_endpoint, RecvOptions opts)
    : sock_(ctx, zmq::socket_type::pull) {
  sock_.set(zmq::sockopt::rcvhwm, opts.recv_hwm);
  sock_.set(zmq::sockopt::linger, 0);
  if (opts.curve) apply_curve_client(sock_, *opts.curve);
  connect_socket(sock_, connect_endpoint);
}

Result<bool> EventReceiver::recv(zmq::message_t& msg, std::chrono::milliseconds timeout) {
  try {
    if (sock_.recv(msg, zmq::recv_flags::dontwait)) {
      received_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return false;
    if (sock_.recv(msg, zmq::recv_flags::dontwait)) {
      received_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    return false;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;  // a signal (e.g. the shutdown request) interrupted the poll: no message
    return make_error(std::string("events receive failed: ") + e.what());
  }
}

Result<bool> EventReceiver::recv(std::vector<uint8_t>& buf, std::chrono::milliseconds timeout) {
  zmq::message_t msg;
  auto r = recv(msg, timeout);
  if (r.ok() && *r) {
    auto v = view(msg);
    buf.assign(v.begin(), v.end());
  }
  return r;
}

}  // namespace peregrine::transport
