// parse_webhook_config and the factory: the keys documented in webhook_output.h.
#include <algorithm>
#include <cctype>

#include "outputs/http/url.h"
#include "outputs/webhook/webhook_output.h"

namespace peregrine::outputs {
namespace {

bool is_json_type(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type.substr(0, type.find(';')).find("json") != std::string::npos;  // application/json, …+json
}

std::string header_name(config::NodeReader& node, const std::string& key, const std::string& def) {
  std::string name = node.str(key, def);
  if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos) node.fail(key, "invalid header name");
  return name;
}

}  // namespace

WebhookConfig parse_webhook_config(config::NodeReader& node) {
  WebhookConfig c;
  c.url = node.required_str("url");
  if (auto why = check_http_url(c.url); !why.empty()) node.fail("url", why);
  c.method = node.str("method", c.method);
  std::transform(c.method.begin(), c.method.end(), c.method.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (c.method != "POST" && c.method != "PUT" && c.method != "PATCH") node.fail("method", "expected POST, PUT or PATCH");
  c.content_type = node.str("content_type", c.content_type);
  if (c.content_type.empty() || c.content_type.find_first_of("\r\n") != std::string::npos)
    node.fail("content_type", "must be one non-empty line");
  const bool json = is_json_type(c.content_type);
  if (node.has("body")) c.body = read_template(node, "body", "", json ? Escape::kJson : Escape::kNone);
  c.batch = node.boolean("batch", false);
  if (c.batch && c.body) node.fail("batch", "a batch is a JSON array of the Falco alerts: give no body template");
  if (c.batch && !json) node.fail("batch", "a batch is a JSON array: content_type must be JSON");
  c.hmac_secret = node.secret("hmac_secret", "");
  if (node.has("hmac_secret") && c.hmac_secret.size() < 16)
    node.fail("hmac_secret", "too short to be a key: use at least 16 bytes (32 random bytes are best)");
  c.timestamp_header = header_name(node, "timestamp_header", c.timestamp_header);
  c.signature_header = header_name(node, "signature_header", c.signature_header);
  c.http = parse_http_client_config(node);
  return c;
}

std::unique_ptr<Output> make_webhook_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<WebhookOutput>(std::move(common), parse_webhook_config(node));
}

}  // namespace peregrine::outputs
