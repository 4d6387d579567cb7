#include "router/intake/http_intake.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/secrets.h"

#include "router/intake/test_alert.h"

namespace peregrine::router {
namespace {

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  r.content_type = "application/json";
  return r;
}

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

bool bearer_matches(const std::string& authorization, const std::string& token) {
  static constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || authorization.size() < kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 7235); it is not secret.
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(kScheme[i])) return false;
  const std::string_view presented = std::string_view(authorization).substr(kScheme.size());
  // Constant time in the token's content: every byte of the expected token is compared, whatever matched before.
  volatile unsigned char diff = presented.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff = diff | (p ^ static_cast<unsigned char>(token[i]));
  }
  return diff == 0;
}

http::Response unauthorized(bool presented) {
  auto r = json_response(401, {{"error", presented ? "invalid bearer token" : "missing bearer token: send "
                                                                               "\"Authorization: Bearer <token>\""},
                               {"field", "Authorization"}});
  r.headers.emplace_back("WWW-Authenticate", presented ? R"(Bearer realm="peregrine-router", error="invalid_token")"
                                                       : R"(Bearer realm="peregrine-router")");
  return r;
}

std::string load_bearer_token(const config::HttpInputConfig& cfg) {
  if (!cfg.bearer_token.empty()) return cfg.bearer_token;
  if (cfg.bearer_token_file.empty()) return {};
  std::ifstream in(cfg.bearer_token_file);
  if (!in) throw std::runtime_error("http_input.bearer_token_file: cannot read " + cfg.bearer_token_file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.size() < 16)
    throw std::runtime_error("http_input.bearer_token_file: the first line of " + cfg.bearer_token_file +
                             " must be a token of at least 16 characters (e.g. openssl rand -hex 32)");
  secrets::add(token);
  return token;
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
  auto guarded = [token = load_bearer_token(cfg), unauthorized_count](http::Handler h) -> http::Handler {
    if (token.empty()) return h;
    return [token, unauthorized_count, h = std::move(h)](const http::Request& req) {
      const std::string auth = req.header("Authorization");
      if (!bearer_matches(auth, token)) {
        if (unauthorized_count) unauthorized_count->fetch_add(1, std::memory_order_relaxed);
        return unauthorized(!auth.empty());
      }
      return h(req);
    };
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
