// parse_twilio_config and the factory: the keys documented in twilio_output.h.
#include "common/base64.h"
#include "common/secrets.h"
#include "outputs/http/url.h"
#include "outputs/twilio/twilio_output.h"

namespace peregrine::outputs {
namespace {

bool alphanumeric(const std::string& s) {
  for (char ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) return false;
  return !s.empty();
}

// Basic auth: account_sid:auth_token, or an API key given as auth.username/password (never both).
void twilio_auth(config::NodeReader& node, TwilioConfig& c) {
  const AuthConfig& a = c.http.auth;
  if (!a.bearer_token.empty() || !a.api_key.empty())
    node.fail("auth", "Twilio takes HTTP basic auth only: auth_token, or auth.username/password for an API key");
  if (!a.username.empty()) {
    if (!c.auth_token.empty()) node.fail("auth_token", "give auth_token or auth.username/password, not both");
    return;
  }
  if (c.auth_token.empty()) node.fail("auth_token", "missing required key (or auth.username/password)");
  c.http.auth.username = c.account_sid;
  c.http.auth.password = c.auth_token;
  secrets::add(base64_encode(c.account_sid + ":" + c.auth_token));
}

}  // namespace

TwilioConfig parse_twilio_config(config::NodeReader& node) {
  TwilioConfig c;
  c.api_url = node.str("api_url", c.api_url);
  if (auto why = check_http_url(c.api_url); !why.empty()) node.fail("api_url", why);
  c.account_sid = node.required_str("account_sid");
  if (!alphanumeric(c.account_sid)) node.fail("account_sid", "must be letters and digits only (AC...)");
  c.auth_token = node.secret("auth_token", "");
  c.from = node.str("from", "");
  c.messaging_service_sid = node.str("messaging_service_sid", "");
  if (c.from.empty() == c.messaging_service_sid.empty())
    node.fail(c.from.empty() ? "from" : "messaging_service_sid", "give exactly one of from and messaging_service_sid");
  if (!c.messaging_service_sid.empty() && !alphanumeric(c.messaging_service_sid))
    node.fail("messaging_service_sid", "must be letters and digits only (MG...)");
  c.to = parse_recipients(node);
  c.status_callback = node.str("status_callback", "");
  if (!c.status_callback.empty())
    if (auto why = check_http_url(c.status_callback); !why.empty()) node.fail("status_callback", why);
  c.sms = parse_sms_text_config(node);
  c.http = parse_http_client_config(node);
  twilio_auth(node, c);
  return c;
}

std::unique_ptr<Output> make_twilio_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<TwilioOutput>(std::move(common), parse_twilio_config(node));
}

}  // namespace peregrine::outputs
