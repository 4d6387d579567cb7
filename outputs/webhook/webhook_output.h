// A generic HTTP webhook: the Falco JSON alert (or a templated body) to any URL, optionally signed with
// HMAC-SHA256 so that the receiver can check where it came from and refuse replays.
//
//   - type: webhook
//     url: https://hooks.example.com/falco # http(s); its query is never logged (put tokens in headers)
//     method: POST                         # POST | PUT | PATCH (any case)
//     content_type: application/json       # the Content-Type header
//     body: ""                             # template; empty = the Falco JSON alert (with uuid). Rendered with
//                                          #   JSON string escaping when content_type is JSON (…json), else as is
//     batch: false                         # true: one request per batch, a JSON array of the Falco JSON alerts
//                                          #   (needs a JSON content_type and no body template)
//     hmac_secret: ${WEBHOOK_SECRET}       # signs every request (a secret): see below
//     timestamp_header: X-Peregrine-Timestamp
//     signature_header: X-Peregrine-Signature
//     ... plus the shared HTTP keys (headers, auth, tls incl. mutual TLS, compression, timeouts:
//         outputs/http/http_client.h)
//
// Signature: at send time, `<timestamp_header>: <unix seconds>` and `<signature_header>: sha256=<hex of
// HMAC-SHA256(hmac_secret, "<timestamp>.<body>")>`, over the body before any gzip compression. A receiver
// recomputes it, compares in constant time and refuses timestamps older than its tolerance (replays). The clock
// is read in send(), never in format(), which stays pure; a retry is signed anew.
//
// Answers: 2xx delivered; 408/425/429 (Retry-After honoured) and 5xx retried; other statuses permanent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct WebhookConfig {
  std::string url;
  std::string method = "POST";
  std::string content_type = "application/json";
  std::optional<Template> body;
  bool batch = false;
  std::string hmac_secret;
  std::string timestamp_header = "X-Peregrine-Timestamp";
  std::string signature_header = "X-Peregrine-Signature";
  HttpClientConfig http;
};

WebhookConfig parse_webhook_config(config::NodeReader& node);
std::unique_ptr<Output> make_webhook_output(OutputCommon common, config::NodeReader& node);

/// "sha256=<lower-case hex of HMAC-SHA256(secret, "<timestamp>.<body>")>" (pure).
std::string webhook_signature(std::string_view secret, int64_t timestamp, std::string_view body);
/// `payload` with the timestamp and signature headers added for `timestamp` (pure).
Payload signed_payload(const WebhookConfig& c, const Payload& payload, int64_t timestamp);

class WebhookOutput final : public Output {
 public:
  WebhookOutput(OutputCommon common, WebhookConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }

 private:
  Payload payload_for(std::string body) const;
  OutputCommon common_;
  WebhookConfig config_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
