// parse_slack_config and the factory: the keys documented in slack_output.h.
#include "outputs/http/url.h"
#include "outputs/slack/slack_output.h"

namespace peregrine::outputs {

SlackConfig parse_slack_config(config::NodeReader& node) {
  SlackConfig c;
  if (node.has("webhook_url") == node.has("bot_token"))
    node.fail(node.has("bot_token") ? "bot_token" : "webhook_url",
              "give either webhook_url (incoming webhook) or bot_token (chat.postMessage)");
  // The whole webhook URL is the credential: registered as a secret, never logged (logs show its origin).
  c.webhook_url = node.secret("webhook_url", "");
  c.bot_token = node.secret("bot_token", "");
  if (!c.webhook_url.empty())
    if (auto why = check_http_url(c.webhook_url); !why.empty()) node.fail("webhook_url", why);
  if (!c.webhook_url.empty() && node.has("api_url")) node.fail("api_url", "only with bot_token");
  c.api_url = node.str("api_url", c.api_url);
  if (auto why = check_http_url(c.api_url); !why.empty()) node.fail("api_url", why);
  c.channel = node.str("channel", "");
  if (c.api() && c.channel.empty()) node.fail("channel", "chat.postMessage needs a channel (name or id)");
  const std::string format = node.choice("format", "blocks", {"blocks", "attachments", "text"});
  c.format = format == "blocks"        ? SlackConfig::Format::kBlocks
             : format == "attachments" ? SlackConfig::Format::kAttachments
                                       : SlackConfig::Format::kText;
  c.title = read_template(node, "title", "{{rule}}", Escape::kNone);  // plain_text: no mrkdwn escaping
  c.text = read_template(node, "text", "{{output}}", Escape::kSlack);
  c.fields = node.strings("fields");
  HttpClientConfig http;
  http.max_response_bytes = 256 * 1024;  // chat.postMessage echoes the message it posted
  c.http = parse_http_client_config(node, http);
  if (c.api()) {
    if (c.http.auth != AuthConfig{}) node.fail("auth", "bot_token is the authentication: give no auth");
    c.http.auth.bearer_token = c.bot_token;
  }
  return c;
}

std::unique_ptr<Output> make_slack_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<SlackOutput>(std::move(common), parse_slack_config(node));
}

}  // namespace peregrine::outputs
