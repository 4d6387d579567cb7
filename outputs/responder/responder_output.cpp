#include "outputs/responder/responder_output.h"

#include "common/alert_text.h"
#include "outputs/http/url.h"

namespace peregrine::outputs {

ResponderOutputConfig parse_responder_output_config(config::NodeReader& node) {
  ResponderOutputConfig c;
  c.url = node.str("url", c.url);
  if (auto why = check_http_url(c.url); !why.empty()) node.fail("url", why);
  c.include_responses = node.boolean("include_responses", false);
  c.http = parse_http_client_config(node);
  return c;
}

std::unique_ptr<Output> make_responder_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<ResponderOutput>(std::move(common), parse_responder_output_config(node));
}

ResponderOutput::ResponderOutput(OutputCommon common, ResponderOutputConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {}

Result<Formatted> ResponderOutput::format(std::span<const Alert> batch) const {
  Formatted f;
  for (size_t i = 0; i < batch.size(); ++i) {
    // The responder's outcomes come back through the router; acting on them again would loop.
    if (batch[i].source == "response" && !config_.include_responses) {
      f.set_aside.push_back({i, "response_loop"});
      continue;
    }
    Payload p;
    p.body = alert_json_text(batch[i]);
    p.url = config_.url;
    p.target = redacted_url(config_.url);
    p.items = {i};
    f.payloads.push_back(std::move(p));
  }
  return f;
}

}  // namespace peregrine::outputs
