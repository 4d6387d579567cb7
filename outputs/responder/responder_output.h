// The `responder` output: the router's durable delivery feeds peregrine-responder, one Falco JSON alert (with
// its uuid) per POST, so an alert the router accepted reaches the responder even across restarts of either
// (at least once; the responder's journal turns that into at most one run of its actions).
//
//   - type: responder
//     url: http://127.0.0.1:2803/alerts   # the responder's intake (responder.listen)
//     include_responses: false            # true: also send the responder's own outcome alerts (source
//                                         #   "response") back to it; false sets them aside ("response_loop")
//     ... plus the shared routing keys (min_priority, rules, match, ...) and HTTP keys (outputs/http)
//
// Answers: 2xx delivered (also a duplicate); 503/500 retried; 400 permanent (dead-lettered).
#pragma once

#include <memory>
#include <string>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct ResponderOutputConfig {
  std::string url = "http://127.0.0.1:2803/alerts";
  bool include_responses = false;
  HttpClientConfig http;
};

ResponderOutputConfig parse_responder_output_config(config::NodeReader& node);
std::unique_ptr<Output> make_responder_output(OutputCommon common, config::NodeReader& node);

class ResponderOutput final : public Output {
 public:
  ResponderOutput(OutputCommon common, ResponderOutputConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override { return http_.send(HttpClient::request_for(payload)); }
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }

 private:
  OutputCommon common_;
  ResponderOutputConfig config_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
