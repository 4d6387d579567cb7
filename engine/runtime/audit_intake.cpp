#include "engine/runtime/audit_intake.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "common/alert.h"
#include "common/event_types.h"
#include "common/http/auth.h"
#include "common/log.h"

namespace peregrine::engine {
namespace {

using nlohmann::json;

constexpr const char* kRealm = "peregrine-k8s-audit";
// Real audit events nest a few dozen levels (requestObject of a pod spec); serialising and destroying JSON
// recurse per level, so a body nested deeper than this is refused before it is parsed.
constexpr size_t kMaxDepth = 256;
constexpr int kCodes[] = {200, 400, 401, 405, 413, 415, 503};

bool is_audit_api_version(const json& v) {
  return v.is_string() && (v == "audit.k8s.io/v1" || v == "audit.k8s.io/v1beta1");
}

// The prefix of an item's field paths in error messages: "items[3]." inside an EventList, "" for one Event.
std::string where(std::optional<size_t> index, std::string_view field) {
  return index ? "items[" + std::to_string(*index) + "]." + std::string(field) : std::string(field);
}

// One audit event (an Event object) into `out`; an error names the first field that is not what the
// apiserver sends. These are the fields every stage of every audit level carries.
std::optional<AuditBodyError> to_event(const json& item, std::optional<size_t> index, uint64_t now_ns, Event& out) {
  auto fail = [&](std::string_view field, std::string message) {
    return AuditBodyError{std::move(message), where(index, field), index};
  };
  if (!item.is_object()) return fail("", "expected an audit Event object");
  if (auto k = item.find("kind"); k != item.end() && *k != "Event")
    return fail("kind", "expected \"Event\" (an audit.k8s.io Event)");
  for (const char* key : {"auditID", "stage", "verb", "requestURI"}) {
    auto it = item.find(key);
    if (it == item.end()) return fail(key, std::string("missing: not a Kubernetes audit event"));
    if (!it->is_string()) return fail(key, "expected a string");
  }
  uint64_t ts = now_ns;
  for (const char* key : {"stageTimestamp", "requestReceivedTimestamp"}) {
    auto it = item.find(key);
    if (it == item.end() || it->is_null()) continue;
    if (!it->is_string()) return fail(key, "expected an RFC 3339 time string");
    auto t = parse_rfc3339_ns(it->get_ref<const std::string&>());
    if (!t) return fail(key, t.error().message);
    ts = *t;
    break;
  }
  out = Event{};
  out.source = EventSource::kK8sAudit;
  out.type = EventType::kK8sAudit;
  out.params.assign(event_spec(EventType::kK8sAudit).nparams, Param{});
  out.ts_ns = ts;
  out.payload = item.dump(-1, ' ', false, json::error_handler_t::replace);
  return std::nullopt;
}

uint64_t wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

http::Response bad_request(const AuditBodyError& e) {
  json j{{"error", e.message + "; nothing queued"}, {"field", e.field}};
  if (e.index) j["index"] = *e.index;
  return http::json_response(400, j);
}

// The deepest [ / { nesting of `text` outside string literals (a linear scan; no parse).
size_t nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::variant<std::vector<Event>, AuditBodyError> parse_audit_body(std::string_view body, uint64_t now_ns) {
  if (nesting_depth(body) > kMaxDepth)
    return AuditBodyError{"JSON nested deeper than " + std::to_string(kMaxDepth) + " levels", "", std::nullopt};
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return AuditBodyError{"body is not valid JSON", "", std::nullopt};
  if (!doc.is_object()) return AuditBodyError{"expected an audit EventList or Event object", "", std::nullopt};
  auto api = doc.find("apiVersion");
  if (api == doc.end() || !is_audit_api_version(*api))
    return AuditBodyError{"expected apiVersion \"audit.k8s.io/v1\" (or v1beta1)", "apiVersion", std::nullopt};
  auto kind = doc.find("kind");
  if (kind == doc.end() || !kind->is_string() || (*kind != "EventList" && *kind != "Event"))
    return AuditBodyError{"expected kind \"EventList\" or \"Event\"", "kind", std::nullopt};
  std::vector<Event> events;
  if (*kind == "Event") {
    events.emplace_back();
    if (auto e = to_event(doc, std::nullopt, now_ns, events.back())) return *e;
    return events;
  }
  auto items = doc.find("items");
  if (items == doc.end() || items->is_null()) return events;  // an empty list (Go omits an empty slice)
  if (!items->is_array()) return AuditBodyError{"expected an array of audit events", "items", std::nullopt};
  events.resize(items->size());
  for (size_t i = 0; i < items->size(); ++i)
    if (auto e = to_event((*items)[i], i, now_ns, events[i])) return *e;
  return events;
}

bool AuditQueue::try_push_all(std::vector<Event>& batch) {
  std::lock_guard lock(mu_);
  if (batch.size() > capacity_ - items_.size()) return false;
  for (auto& e : batch) items_.push_back(std::move(e));
  batch.clear();
  return true;
}

size_t AuditQueue::pop_some(std::vector<Event>& out, size_t max) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  while (n < max && !items_.empty()) {
    out.push_back(std::move(items_.front()));
    items_.pop_front();
    ++n;
  }
  return n;
}

size_t AuditQueue::depth() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

K8sAuditIntake::K8sAuditIntake(const config::K8sAuditConfig& cfg, AuditQueue& queue, metrics::Registry& m)
    : queue_(queue), max_body_bytes_(static_cast<size_t>(cfg.max_body_bytes)) {
  for (int code : kCodes)
    by_code_.emplace_back(code, &m.counter("peregrine_engine_k8s_audit_requests_total",
                                           "Requests to the k8s audit webhook, by HTTP status",
                                           {{"code", std::to_string(code)}}));
  events_ = &m.counter("peregrine_engine_k8s_audit_events_total", "Audit events accepted into the queue");
  rejected_full_ = &m.counter("peregrine_engine_k8s_audit_rejected_total",
                              "Audit events refused (503, the apiserver retries them), by reason",
                              {{"reason", "queue_full"}});
  m.gauge_callback("peregrine_engine_k8s_audit_queue_depth", "Audit events waiting for evaluation", {},
                   [&queue] { return static_cast<double>(queue.depth()); });
  m.gauge_callback("peregrine_engine_k8s_audit_queue_capacity", "engine.k8s_audit.queue_capacity", {},
                   [&queue] { return static_cast<double>(queue.capacity()); });

  http::ServerOptions opts;
  opts.max_body_bytes = max_body_bytes_;
  opts.tls = cfg.tls;
  opts.body_too_large = [this](const http::Request&) {
    return count(http::json_response(
        413, {{"error", "request body larger than engine.k8s_audit.max_body_bytes (" +
                            std::to_string(max_body_bytes_) + " bytes); nothing queued"},
              {"field", ""},
              {"limit_bytes", max_body_bytes_}}));
  };
  server_ = std::make_unique<http::AdminServer>(config::HttpConfig{true, cfg.listen}, opts);
  const std::string token = http::load_bearer_token("engine.k8s_audit", cfg.bearer_token, cfg.bearer_token_file);
  server_->add_post(cfg.path, http::require_bearer(
                                  token, kRealm, [this](const http::Request& req) { return handle_post(req); },
                                  [this] { count(http::Response{401, {}, {}, {}}); }));
  for (const char* method : {"GET", "PUT", "DELETE", "PATCH"}) {
    server_->add_route(method, cfg.path, [this](const http::Request& req) {
      auto r = http::json_response(405, {{"error", "method " + req.method + " not allowed: POST audit events"},
                                         {"field", "method"}});
      r.headers.emplace_back("Allow", "POST");
      return count(std::move(r));
    });
  }
}

K8sAuditIntake::~K8sAuditIntake() = default;

http::Response K8sAuditIntake::count(http::Response r) {
  for (auto& [code, counter] : by_code_)
    if (code == r.status) counter->inc();
  return r;
}

http::Response K8sAuditIntake::handle_post(const http::Request& req) {
  // The server decodes these before the handler runs; any other encoding would reach the parser still encoded.
  const std::string encoding = req.header("Content-Encoding");
  if (!encoding.empty() && encoding != "gzip" && encoding != "deflate" && encoding != "br" && encoding != "identity")
    return count(http::json_response(415, {{"error", "Content-Encoding '" + encoding +
                                                         "' not supported (gzip, deflate, br); nothing queued"},
                                           {"field", "Content-Encoding"}}));
  auto parsed = parse_audit_body(req.body, wall_clock_ns());
  if (auto* e = std::get_if<AuditBodyError>(&parsed)) return count(bad_request(*e));
  auto& events = std::get<std::vector<Event>>(parsed);
  const size_t n = events.size();
  if (!queue_.try_push_all(events)) {
    rejected_full_->inc(n);
    static std::once_flag warned;
    std::call_once(warned, [] {
      logger("engine.k8s_audit")->warn("the audit queue is full: batches get 503 until it drains "
                                       "(peregrine_engine_k8s_audit_rejected_total counts the refused events)");
    });
    auto r = http::json_response(503, {{"error", "audit queue full; nothing of this batch queued, retry later"},
                                       {"queued", queue_.depth()},
                                       {"capacity", queue_.capacity()}});
    r.headers.emplace_back("Retry-After", "1");
    return count(std::move(r));
  }
  events_->inc(n);
  return count(http::json_response(200, {{"accepted", n}}));
}

}  // namespace peregrine::engine
