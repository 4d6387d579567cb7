// Falco-compatible HTTP intake: Falco's http_output (and anything else) POSTs a JSON alert, or a JSON array
// of alerts, to "/". The reply is sent only after the durable append, so a 200 means "will be delivered".
//
//   200 {"accepted":N,"duplicates":M}            appended (duplicates by uuid were already queued earlier)
//   400 {"error":"...","field":"priority"}       invalid JSON / alert; "index" added for arrays; nothing queued
//   413 {"error":"...","field":"","limit_bytes":N} body larger than http_input.max_body_bytes (Content-Length
//                                                or chunked); the handler never runs, nothing queued
//   503 {"error":"queue full ..."} Retry-After   disk budget exhausted; nothing queued, safe to resend
//   500 {"error":"..."}                          the append failed (I/O); nothing queued, safe to resend
//   401 {"error":"...","field":"Authorization"}  http_input.bearer_token(_file) is set and the request lacks
//       WWW-Authenticate: Bearer ...             "Authorization: Bearer <token>" (POST / and POST /test; GET /ping
//                                                and GET /healthz stay open for probes); nothing queued
// Arrays are all-or-nothing: one invalid element rejects the whole request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/config/config.h"
#include "common/http/auth.h"
#include "common/http/server.h"
#include "router/intake/intake_pipeline.h"

namespace peregrine::router {

/// The request handling, without a socket (unit-tested directly).
http::Response handle_intake_body(IntakePipeline& pipeline, const std::string& body);
/// The 413 reply for a body over `limit_bytes` (sent by the server before handle_intake_body would run).
http::Response body_too_large(size_t limit_bytes);

/// The shared bearer check (common/http/auth.h).
using http::bearer_matches;
/// The 401 reply (RFC 6750) of realm "peregrine-router": `presented` = a token was sent but is wrong.
http::Response unauthorized(bool presented);
/// The token http_input asks for: bearer_token, or the first line of bearer_token_file (registered as a secret).
/// "" = no token required. Throws std::runtime_error when the file cannot be read or is empty (load time).
std::string load_bearer_token(const config::HttpInputConfig& cfg);

class HttpIntake {
 public:
  /// Binds http_input.listen (port 0 = any). Throws std::runtime_error when it cannot (load time).
  /// `unauthorized` (optional) counts requests refused with 401.
  HttpIntake(const config::HttpInputConfig& cfg, IntakePipeline& pipeline,
             std::atomic<uint64_t>* unauthorized = nullptr);
  int port() const { return server_->port(); }
  const std::string& host() const { return server_->host(); }

 private:
  std::unique_ptr<http::AdminServer> server_;
};

}  // namespace peregrine::router
