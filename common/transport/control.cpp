#include "common/transport/control.h"

#include <cstring>

#include <zmq_addon.hpp>

#include "common/log.h"

namespace peregrine::transport {
namespace {

constexpr int kControlVersion = 1;
std::atomic<uint64_t> g_monitor_seq{0};

}  // namespace

void to_json(nlohmann::json& j, const ControlMessage& m) {
  j = nlohmann::json{{"version", kControlVersion}, {"generation", m.generation}, {"event_types", m.event_types}};
  if (!m.open_filter.pass_all) {  // absent = every open
    auto terms = nlohmann::json::array();
    for (const auto& t : m.open_filter.terms) {
      nlohmann::json o{{"write_only", t.write_only}};
      if (!t.any_path) {
        o["prefixes"] = t.prefixes;
        o["exact"] = t.exact;
      }
      terms.push_back(std::move(o));
    }
    j["open_filter"] = nlohmann::json{{"terms", std::move(terms)}};
  }
  if (m.proc_env) j["proc_env"] = true;  // absent = false: what an engine that predates the field sends
}

void from_json(const nlohmann::json& j, ControlMessage& m) {
  j.at("generation").get_to(m.generation);
  j.at("event_types").get_to(m.event_types);
  auto env = j.find("proc_env");
  m.proc_env = env != j.end() && env->get<bool>();
  m.open_filter = OpenFilter{};
  auto f = j.find("open_filter");
  if (f == j.end() || f->is_null()) return;
  m.open_filter.pass_all = false;
  for (const auto& o : f->at("terms")) {
    OpenFilterTerm t;
    o.at("write_only").get_to(t.write_only);
    t.any_path = !o.contains("prefixes") && !o.contains("exact");
    if (!t.any_path) {
      o.at("prefixes").get_to(t.prefixes);
      o.at("exact").get_to(t.exact);
    }
    m.open_filter.terms.push_back(std::move(t));
  }
}

std::string encode_control(const ControlMessage& m) { return nlohmann::json(m).dump(); }

Result<ControlMessage> decode_control(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("control message is not a JSON object");
  auto v = j.find("version");
  if (v == j.end() || !v->is_number_integer() || v->get<int>() != kControlVersion) {
    return make_error("unsupported control message version");
  }
  if (auto env = j.find("proc_env"); env != j.end() && !env->is_boolean()) {
    return make_error("invalid control message: proc_env must be a boolean");
  }
  try {
    auto m = j.get<ControlMessage>();
    if (auto ok = validate_open_filter(m.open_filter); !ok) return make_error("invalid control message: " + ok.error().message);
    return m;
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("invalid control message: ") + e.what());
  }
}

ControlPublisher::ControlPublisher(zmq::context_t& ctx, const std::string& connect_endpoint, ControlOptions opts)
    : sock_(ctx, zmq::socket_type::push), monitor_(ctx, zmq::socket_type::pair), opts_(opts) {
  sock_.set(zmq::sockopt::linger, 0);
  sock_.set(zmq::sockopt::conflate, 1);
  // The monitor is attached before connecting so that the very first connection is reported too.
  std::string mon = "inproc://peregrine-control-monitor-" + std::to_string(g_monitor_seq.fetch_add(1));
  if (zmq_socket_monitor(sock_.handle(), mon.c_str(), ZMQ_EVENT_CONNECTED) != 0) {
    throw TransportError("zmq_socket_monitor failed: " + std::string(zmq_strerror(zmq_errno())));
  }
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(mon);
  if (opts_.curve) apply_curve_client(sock_, *opts_.curve);
  connect_socket(sock_, connect_endpoint);
  thread_ = std::thread([this] { run(); });
}

ControlPublisher::~ControlPublisher() {
  stop_.store(true);
  wake_.notify();
  thread_.join();
  zmq_socket_monitor(sock_.handle(), nullptr, 0);
}

void ControlPublisher::publish(std::vector<std::string> event_types, OpenFilter open_filter, bool proc_env) {
  {
    std::lock_guard lock(mu_);
    current_.event_types = std::move(event_types);
    current_.open_filter = std::move(open_filter);
    current_.proc_env = proc_env;
    current_.generation++;
    dirty_ = true;
  }
  wake_.notify();
}

ControlMessage ControlPublisher::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void ControlPublisher::run() {
  auto next_resend = std::chrono::steady_clock::now();
  bool need_send = false;
  while (!stop_.load()) {
    bool have;
    {
      std::lock_guard lock(mu_);
      have = current_.generation > 0;
      need_send = need_send || dirty_;
      dirty_ = false;
    }
    auto timeout = need_send ? std::chrono::milliseconds(0)
                   : have    ? until(next_resend)
                             : std::chrono::milliseconds(3600000);
    zmq::pollitem_t items[] = {{monitor_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_.fd(), ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, timeout);
      if (items[1].revents & ZMQ_POLLIN) wake_.drain();
      if (items[0].revents & ZMQ_POLLIN) {
        std::vector<zmq::message_t> frames;
        while (zmq::recv_multipart(monitor_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
          if (!frames.empty() && frames[0].size() >= 2) {
            uint16_t event;
            std::memcpy(&event, frames[0].data(), sizeof event);
            if (event == ZMQ_EVENT_CONNECTED) {
              connects_.fetch_add(1, std::memory_order_relaxed);
              need_send = true;
            }
          }
          frames.clear();
        }
      }
      if (stop_.load()) break;
      if (!have) continue;
      if (need_send || std::chrono::steady_clock::now() >= next_resend) {
        std::string payload = encode_control(current());
        if (sock_.send(zmq::buffer(payload), zmq::send_flags::dontwait)) sent_.fetch_add(1, std::memory_order_relaxed);
        need_send = false;
        next_resend = std::chrono::steady_clock::now() + opts_.resend_interval;
      }
    } catch (const zmq::error_t& e) {
      logger("transport.control")->warn("control publisher stopped: {}", e.what());
      return;
    }
  }
}

ControlListener::ControlListener(zmq::context_t& ctx, const std::string& bind_endpoint, ControlListenerOptions opts)
    : sock_(ctx, zmq::socket_type::pull) {
  sock_.set(zmq::sockopt::linger, 0);
  sock_.set(zmq::sockopt::conflate, 1);
  if (opts.curve) apply_curve_server(sock_, *opts.curve, opts.zap_domain);
  endpoint_ = bind_socket(sock_, bind_endpoint);
}

std::optional<ControlMessage> ControlListener::poll(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, until(deadline)) == 0) return std::nullopt;
      zmq::message_t msg;
      while (sock_.recv(msg, zmq::recv_flags::dontwait)) {
        ++received_;
        auto m = decode_control(std::string_view(static_cast<const char*>(msg.data()), msg.size()));
        if (!m) {
          if (invalid_++ == 0) logger("transport.control")->warn("ignoring control message: {}", m.error().message);
          continue;
        }
        if (!last_ || !(*last_ == *m)) {
          last_ = *m;
          return last_;
        }
      }
    } catch (const zmq::error_t&) {
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
  }
}

}  // namespace peregrine::transport
