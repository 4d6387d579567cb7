#include "common/http/auth.h"

#include <cctype>
#include <fstream>
#include <stdexcept>

#include "common/secrets.h"

namespace peregrine::http {

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  r.content_type = "application/json";
  return r;
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

Response unauthorized(bool presented, std::string_view realm) {
  auto r = json_response(401, {{"error", presented ? "invalid bearer token"
                                                   : "missing bearer token: send \"Authorization: Bearer <token>\""},
                               {"field", "Authorization"}});
  std::string challenge = "Bearer realm=\"" + std::string(realm) + "\"";
  if (presented) challenge += ", error=\"invalid_token\"";
  r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return r;
}

std::string load_bearer_token(const std::string& section, const std::string& token, const std::string& token_file) {
  if (!token.empty()) return token;
  if (token_file.empty()) return {};
  std::ifstream in(token_file);
  if (!in) throw std::runtime_error(section + ".bearer_token_file: cannot read " + token_file);
  std::string t;
  std::getline(in, t);
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
  if (t.size() < 16)
    throw std::runtime_error(section + ".bearer_token_file: the first line of " + token_file +
                             " must be a token of at least 16 characters (e.g. openssl rand -hex 32)");
  secrets::add(t);
  return t;
}

Handler require_bearer(const std::string& token, std::string_view realm, Handler h, std::function<void()> refused) {
  if (token.empty()) return h;
  return [token, realm = std::string(realm), h = std::move(h), refused = std::move(refused)](const Request& req) {
    const std::string auth = req.header("Authorization");
    if (!bearer_matches(auth, token)) {
      if (refused) refused();
      return unauthorized(!auth.empty(), realm);
    }
    return h(req);
  };
}

}  // namespace peregrine::http
