// Microsoft Teams: one card per alert, through a Workflows (Power Automate) webhook, or a legacy Office 365
// connector (MessageCard).
//
//   - type: teams
//     webhook_url: ${TEAMS_WEBHOOK_URL}    # the Workflows trigger URL ("When a Teams webhook request is
//                                          #   received"); its sig= parameter is the credential: the whole URL is
//                                          #   a secret and logs show its origin only
//     format: adaptivecard                 # adaptivecard: Adaptive Card 1.4 in a message envelope |
//                                          #   messagecard: legacy O365 connector card (connectors are retired)
//     title: "{{rule}}"                    # template: the card's title
//     text: "{{output}}"                   # template: the card's text (markdown-escaped: & < >)
//     link_template: ""                    # template (URL-escaped values): a button "Open" (Action.OpenUrl /
//                                          #   OpenUri) to this URL; none when empty or not an http(s) URL
//     fields: []                           # more output fields shown as facts (k8s.ns.name, ...)
//     ... plus the shared HTTP keys (timeout_ms, proxy, tls, ...: outputs/http/http_client.h)
//
// Adaptive Card: a TextBlock title in the priority's colour (attention: emergency..error, warning, accent:
// notice, good: informational and debug), a FactSet (rule, priority, host, source, container, process, time,
// then `fields`), the text in a wrapping TextBlock, and the Open button when link_template gives a URL. Text
// is cut visibly (… (truncated)) to stay well inside Teams' 28 KB message limit: title 250 characters, each
// fact 500, text 6000.
//
// Answers: a Workflows webhook answers 202 (200 and 202 are success); 429 (Retry-After honoured) and 5xx are
// retried, other statuses are permanent. Legacy connectors answered 200 with body `1` and reported throttling
// in the body ("Microsoft Teams endpoint returned HTTP error 429"): such a body is a failure with that status
// (429 retried).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct TeamsLimits {
  static constexpr size_t kTitle = 250;
  static constexpr size_t kFact = 500;
  static constexpr size_t kText = 6000;
};

struct TeamsConfig {
  std::string webhook_url;
  bool message_card = false;  // format: messagecard
  Template title = Template::parse("{{rule}}", Escape::kSlack);
  Template text = Template::parse("{{output}}", Escape::kSlack);
  std::optional<Template> link;
  std::vector<std::string> fields;
  HttpClientConfig http;
};

TeamsConfig parse_teams_config(config::NodeReader& node);
std::unique_ptr<Output> make_teams_output(OutputCommon common, config::NodeReader& node);

/// The Adaptive Card of an alert (the envelope's attachments[0].content), pure.
std::string teams_adaptive_card(const TeamsConfig& c, const Alert& a);
/// The request body: the card in its message envelope, or the MessageCard (pure).
std::string teams_message(const TeamsConfig& c, const Alert& a);
/// The failure a 2xx answer's body reports ("... returned HTTP error 429 ..."), if any.
std::optional<SendFailure> teams_body_failure(const std::string& body);

class TeamsOutput final : public Output {
 public:
  TeamsOutput(OutputCommon common, TeamsConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }

 private:
  OutputCommon common_;
  TeamsConfig config_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
