// Slack: one message per alert, through an incoming webhook or the chat.postMessage API of a bot.
//
//   - type: slack
//     webhook_url: ${SLACK_WEBHOOK_URL}    # incoming webhook: the whole URL is the credential (a secret; logs
//                                          #   show its origin only). Mattermost and Rocket.Chat incoming
//                                          #   webhooks take the same payload
//     # or, instead of webhook_url:
//     bot_token: ${SLACK_BOT_TOKEN}        # chat.postMessage with Authorization: Bearer <token> (a secret)
//     channel: "#alerts"                   # required with bot_token; with a webhook, sent as the legacy override
//                                          #   (ignored by Slack app webhooks, honoured by Mattermost)
//     api_url: https://slack.com/api/chat.postMessage   # with bot_token (tests, proxies, Slack GovSlack)
//     format: blocks                       # blocks: Block Kit | attachments: legacy coloured attachment | text
//     title: "{{rule}}"                    # template: header block / attachment title (plain text)
//     text: "{{output}}"                   # template (mrkdwn-escaped): the message text and its notification
//                                          #   fallback, the last section of the blocks
//     fields: []                           # more output fields shown as fields (k8s.ns.name, ...)
//     ... plus the shared HTTP keys (timeout_ms, proxy, tls, ...: outputs/http/http_client.h)
//
// Block Kit message: a header (the title), a section with the priority, its colour as an emoji (top-level blocks
// have no colour bar; the emoji keeps the message pure Block Kit) and the alert's time, a fields section (rule,
// priority, host, container, process, then `fields`), and a section with the text. The top-level `text` is
// always set (Slack's notification fallback). Slack's limits are respected by cutting text visibly (… (truncated)):
// header 150 characters, section text 3000, each field 2000, at most 10 fields, at most 50 blocks, text 40000.
//
// Answers: a webhook answers 200 `ok`, or a plain-text error with 400/403/404/410 (permanent: invalid_payload,
// channel_not_found, ...) or 429 with Retry-After (retried). chat.postMessage answers 200 with {"ok":true}, or
// {"ok":false,"error":"channel_not_found"}: a permanent failure with Slack's error, except `ratelimited` (retried
// as a 429) and Slack's transient internal_error, fatal_error, service_unavailable, request_timeout (retried
// as a 503).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

/// Slack's documented limits, in characters.
struct SlackLimits {
  static constexpr size_t kHeader = 150;
  static constexpr size_t kSectionText = 3000;
  static constexpr size_t kField = 2000;
  static constexpr size_t kFields = 10;
  static constexpr size_t kBlocks = 50;
  static constexpr size_t kMessageText = 40000;
};

struct SlackConfig {
  enum class Format { kBlocks, kAttachments, kText };
  std::string webhook_url;  // webhook mode when set
  std::string bot_token;    // API mode when set
  std::string api_url = "https://slack.com/api/chat.postMessage";
  std::string channel;
  Format format = Format::kBlocks;
  Template title = Template::parse("{{rule}}");
  Template text = Template::parse("{{output}}", Escape::kSlack);
  std::vector<std::string> fields;
  HttpClientConfig http;
  bool api() const { return webhook_url.empty(); }
};

SlackConfig parse_slack_config(config::NodeReader& node);
std::unique_ptr<Output> make_slack_output(OutputCommon common, config::NodeReader& node);

/// The JSON message for one alert (pure).
std::string slack_message(const SlackConfig& c, const Alert& a);
/// The failure a chat.postMessage answer of 200 reports ({"ok":false,"error":...}), if any.
std::optional<SendFailure> slack_api_failure(const std::string& body);

class SlackOutput final : public Output {
 public:
  SlackOutput(OutputCommon common, SlackConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }
  const SlackConfig& config() const { return config_; }

 private:
  OutputCommon common_;
  SlackConfig config_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
