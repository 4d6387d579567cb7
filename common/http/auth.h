// What the HTTP intakes (the router's Falco intake, the engine's k8s audit webhook) share: JSON replies and the
// bearer-token check (RFC 6750) with its 401 reply and its token loading.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http/server.h"

namespace peregrine::http {

/// A reply whose body is `body` as one JSON line (invalid UTF-8 replaced), Content-Type application/json.
Response json_response(int status, const nlohmann::json& body);

/// True when `authorization` (the header's value) is "Bearer <token>" with exactly `token`; the comparison takes
/// the same time wherever the first difference is (no timing oracle on the token). An empty token never matches.
bool bearer_matches(const std::string& authorization, const std::string& token);
/// The 401 reply (RFC 6750) of `realm`: `presented` = a token was sent but is wrong (error="invalid_token").
Response unauthorized(bool presented, std::string_view realm);
/// The token a config section asks for: `token`, or the first line of `token_file` (registered as a secret).
/// "" = no token required. Throws std::runtime_error naming `section` when the file cannot be read or its
/// token is shorter than 16 characters (load time).
std::string load_bearer_token(const std::string& section, const std::string& token, const std::string& token_file);
/// `h` behind the bearer check: requests without "Authorization: Bearer <token>" get unauthorized() and
/// `refused` (optional) is called. An empty token returns `h` unchanged (no check).
Handler require_bearer(const std::string& token, std::string_view realm, Handler h,
                       std::function<void()> refused = {});

}  // namespace peregrine::http
