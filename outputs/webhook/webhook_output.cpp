#include "outputs/webhook/webhook_output.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

#include "common/alert_text.h"
#include "outputs/http/url.h"

namespace peregrine::outputs {

std::string webhook_signature(std::string_view secret, int64_t timestamp, std::string_view body) {
  std::string message = std::to_string(timestamp);
  message += '.';
  message.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

Payload signed_payload(const WebhookConfig& c, const Payload& payload, int64_t timestamp) {
  Payload p = payload;
  if (c.hmac_secret.empty()) return p;
  p.headers.emplace_back(c.timestamp_header, std::to_string(timestamp));
  p.headers.emplace_back(c.signature_header, webhook_signature(c.hmac_secret, timestamp, p.body));
  return p;
}

WebhookOutput::WebhookOutput(OutputCommon common, WebhookConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {}

Payload WebhookOutput::payload_for(std::string body) const {
  Payload p;
  p.body = std::move(body);
  p.url = config_.url;
  p.target = redacted_url(config_.url);
  p.method = config_.method;
  p.content_type = config_.content_type;
  return p;
}

Result<Formatted> WebhookOutput::format(std::span<const Alert> batch) const {
  Formatted f;
  if (config_.batch) {
    std::string body = "[";
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i) body += ',';
      append_alert_json(body, batch[i]);
    }
    body += ']';
    Payload p = payload_for(std::move(body));
    for (size_t i = 0; i < batch.size(); ++i) p.items.push_back(i);
    if (!batch.empty()) f.payloads.push_back(std::move(p));
    return f;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Payload p = payload_for(config_.body ? config_.body->render(batch[i]) : alert_json_text(batch[i]));
    p.items = {i};
    f.payloads.push_back(std::move(p));
  }
  return f;
}

SendResult WebhookOutput::send(const Payload& payload) {
  // Signed here, not in format(): the timestamp is the time of this attempt, so a retry is not a replay.
  return http_.send(HttpClient::request_for(signed_payload(config_, payload, static_cast<int64_t>(std::time(nullptr)))));
}

}  // namespace peregrine::outputs
