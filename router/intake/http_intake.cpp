#include "router/intake/http_intake.h"

#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "router/intake/test_alert.h"

namespace peregrine::router {
namespace {

using http::json_response;

http::Response invalid(const ValidationError& e, std::optional<size_t> index) {
  nlohmann::json j{{"error", e.message}, {"field", e.field}};
  if (index) j["index"] = *index;
  return json_response(400, j);
}

std::string test_hostname() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("peregrine-router");
}

}  // namespace

http::Response body_too_large(size_t limit_bytes) {
  // Same shape as the 400s: "field" is "" because the error concerns the whole body.
  return json_response(413, {{"error", "request body larger than http_input.max_body_bytes (" +
                                           std::to_string(limit_bytes) + " bytes); nothing queued"},
                             {"field", ""},
                             {"limit_bytes", limit_bytes}});
}

http::Response unauthorized(bool presented) { return http::unauthorized(presented, "peregrine-router"); }

std::string load_bearer_token(const config::HttpInputConfig& cfg) {
  return http::load_bearer_token("http_input", cfg.bearer_token, cfg.bearer_token_file);
}

http::Response handle_intake_body(IntakePipeline& pipeline, const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return invalid({"", "body is not valid JSON"}, std::nullopt);
  std::vector<Alert> alerts;
  if (doc.is_array()) {
    if (doc.empty()) return invalid({"", "empty array: expected at least one alert"}, std::nullopt);
    for (size_t i = 0; i < doc.size(); ++i) {
      auto v = validate_alert(doc[i]);
      if (auto* e = std::get_if<ValidationError>(&v)) return invalid(*e, i);
      alerts.push_back(std::get<Alert>(std::move(v)));
    }
  } else {
    auto v = validate_alert(doc);
    if (auto* e = std::get_if<ValidationError>(&v)) return invalid(*e, std::nullopt);
    alerts.push_back(std::get<Alert>(std::move(v)));
  }
  auto r = pipeline.accept(std::move(alerts));
  if (!r) {
    const bool full = r.error().code == ErrorCode::kQueueFull;
    auto resp = json_response(full ? 503 : 500, {{"error", r.error().message}});
    if (full) resp.headers.emplace_back("Retry-After", "5");
    return resp;
  }
  return json_response(200, {{"accepted", r->accepted}, {"duplicates", r->duplicates}});
}

HttpIntake::HttpIntake(const config::HttpInputConfig& cfg, IntakePipeline& pipeline,
                       std::atomic<uint64_t>* unauthorized_count) {
  // Wraps a handler with the bearer check (when a token is configured).
  auto guarded = [token = load_bearer_token(cfg), unauthorized_count](http::Handler h) {
    return http::require_bearer(token, "peregrine-router", std::move(h), [unauthorized_count] {
      if (unauthorized_count) unauthorized_count->fetch_add(1, std::memory_order_relaxed);
    });
  };
  http::ServerOptions opts;
  opts.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
  opts.tls = cfg.tls;
  opts.body_too_large = [limit = opts.max_body_bytes](const http::Request&) { return body_too_large(limit); };
  server_ = std::make_unique<http::AdminServer>(config::HttpConfig{cfg.enabled, cfg.listen}, opts);
  server_->add_post("/", guarded([&pipeline](const http::Request& req) {
    return handle_intake_body(pipeline, req.body);
  }));
  // Falcosidekick's endpoints, for drop-in compatibility: POST /test sends a test alert through every output
  // (queued durably like any alert; the body, if any, is ignored), GET /ping answers "pong".
  server_->add_post("/test", guarded([&pipeline](const http::Request&) {
    auto r = pipeline.accept({make_test_alert(test_hostname())});
    if (!r) {
      auto resp = json_response(r.error().code == ErrorCode::kQueueFull ? 503 : 500, {{"error", r.error().message}});
      if (r.error().code == ErrorCode::kQueueFull) resp.headers.emplace_back("Retry-After", "5");
      return resp;
    }
    return json_response(200, {{"accepted", r->accepted}});
  }));
  server_->add_get("/ping", [](const http::Request&) {
    http::Response r;
    r.body = "pong\n";
    r.content_type = "text/plain";
    return r;
  });
  // Sidekick answers /healthz on its intake port; keep that for drop-in compatibility.
  server_->add_get("/healthz", [](const http::Request&) {
    http::Response r;
    r.body = "{\"status\":\"ok\"}\n";
    r.content_type = "application/json";
    return r;
  });
}

}  // namespace peregrine::router
