#include "common/transport/zap.h"

#include "common/log.h"

namespace peregrine::transport {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::string decode_z85(const std::string& key) {
  std::string bin(32, '\0');
  if (key.size() != 40 || zmq_z85_decode(reinterpret_cast<uint8_t*>(bin.data()), key.c_str()) == nullptr)
    throw TransportError("allowed client key is not a 40-character Z85 key");
  return bin;
}

std::string to_z85(const std::string& bin) {
  char out[41] = {};
  if (bin.size() != 32 || zmq_z85_encode(out, reinterpret_cast<const uint8_t*>(bin.data()), 32) == nullptr)
    return "?";
  return out;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& ctx, const std::map<std::string, std::vector<std::string>>& allowed)
    : sock_(ctx, zmq::socket_type::rep) {
  for (const auto& [domain, keys] : allowed) {
    auto& set = allowed_[domain];
    for (const auto& k : keys) set.insert(decode_z85(k));
    counters_[domain] = std::make_unique<ZapCounters>();
  }
  sock_.set(zmq::sockopt::linger, 0);
  try {
    sock_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError(std::string("cannot bind the ZAP handler: ") + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

ZapHandler::~ZapHandler() {
  stop_.store(true);
  wake_.notify();
  thread_.join();
}

ZapDecision ZapHandler::decide(const std::string& domain, const std::string& mechanism,
                               const std::string& key_bytes) const {
  auto it = allowed_.find(domain);
  if (it == allowed_.end()) return {false, "unknown domain"};
  if (mechanism != "CURVE") return {false, "mechanism " + mechanism};
  if (it->second.count(key_bytes) == 0) return {false, "key not allowed"};
  return {true, ""};
}

const ZapCounters* ZapHandler::counters(const std::string& domain) const {
  auto it = counters_.find(domain);
  return it == counters_.end() ? nullptr : it->second.get();
}

void ZapHandler::answer(std::vector<zmq::message_t>& req) {
  // RFC 27 request: version, request id, domain, address, identity, mechanism, credentials...
  // Reply: version, request id, status code, status text, user id, metadata.
  const bool valid = req.size() >= 6 && req[0].to_string() == "1.0";
  std::string request_id = req.size() >= 2 ? req[1].to_string() : std::string();
  std::string code = "500", text = "malformed ZAP request", user;
  if (!valid) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
  } else {
    std::string domain = req[2].to_string(), address = req[3].to_string(), mechanism = req[5].to_string();
    std::string key = req.size() >= 7 ? req[6].to_string() : std::string();
    ZapDecision d = decide(domain, mechanism, key);
    auto c = counters_.find(domain);
    if (d.allowed) {
      code = "200", text = "OK", user = to_z85(key);
      if (c != counters_.end()) c->second->accepted.fetch_add(1, std::memory_order_relaxed);
    } else {
      code = "400", text = d.reason;
      if (c != counters_.end()) c->second->refused.fetch_add(1, std::memory_order_relaxed);
      // A refused client reconnects every few hundred ms: warn once per (domain, key), count always.
      const bool first = warned_.size() < kMaxWarned && warned_.insert(domain + '/' + key).second;
      logger("transport")->log(first ? spdlog::level::warn : spdlog::level::debug,
                               "refused a {} client on link '{}' from {}: {} (key {})", mechanism, domain, address,
                                d.reason, key.size() == 32 ? to_z85(key) : "-");
    }
  }
  std::vector<zmq::message_t> reply;
  reply.emplace_back(std::string("1.0"));
  reply.emplace_back(request_id);
  reply.emplace_back(code);
  reply.emplace_back(text);
  reply.emplace_back(user);
  reply.emplace_back();
  for (size_t i = 0; i < reply.size(); ++i)
    sock_.send(reply[i], i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

void ZapHandler::run() {
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wake_.fd(), ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(-1));
      if (items[1].revents & ZMQ_POLLIN) wake_.drain();
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> req;
      while (true) {
        zmq::message_t m;
        if (!sock_.recv(m, zmq::recv_flags::dontwait)) break;
        bool more = m.more();
        req.push_back(std::move(m));
        if (!more) break;
      }
      if (!req.empty()) answer(req);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      logger("transport")->warn("ZAP handler: {}", e.what());
    }
  }
}

}  // namespace peregrine::transport
