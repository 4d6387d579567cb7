// parse_teams_config and the factory: the keys documented in teams_output.h.
#include "outputs/http/url.h"
#include "outputs/teams/teams_output.h"

namespace peregrine::outputs {

TeamsConfig parse_teams_config(config::NodeReader& node) {
  TeamsConfig c;
  // The signature in the URL's query is the credential: registered as a secret, never logged.
  c.webhook_url = node.secret("webhook_url", "");
  if (c.webhook_url.empty()) node.fail("webhook_url", "missing required key");
  if (auto why = check_http_url(c.webhook_url); !why.empty()) node.fail("webhook_url", why);
  c.message_card = node.choice("format", "adaptivecard", {"adaptivecard", "messagecard"}) == "messagecard";
  c.title = read_template(node, "title", "{{rule}}", Escape::kSlack);
  c.text = read_template(node, "text", "{{output}}", Escape::kSlack);
  if (node.has("link_template")) c.link = read_template(node, "link_template", "", Escape::kUrl);
  c.fields = node.strings("fields");
  c.http = parse_http_client_config(node);
  return c;
}

std::unique_ptr<Output> make_teams_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<TeamsOutput>(std::move(common), parse_teams_config(node));
}

}  // namespace peregrine::outputs
