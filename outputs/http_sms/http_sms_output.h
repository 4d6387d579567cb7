// A generic HTTP SMS gateway, with defaults that match Kannel's sendsms interface: one request per
// (alert, recipient).
//
//   - type: http_sms
//     url: http://127.0.0.1:13013          # required; a URL without a path gets /cgi-bin/sendsms
//     method: GET                          # GET: everything in the query | POST: the text is the body
//     username: tester                     # {{sms.username}}
//     password: ${SMS_GATEWAY_PASSWORD}    # {{sms.password}} (a secret)
//     from: Falco                          # {{sms.from}}; "" = the gateway's default sender
//     to: ["+15551234567"]                 # required: recipients, one message each ({{sms.to}})
//     query: {}                            # name → template, added to the defaults below (same name: replaced;
//                                          #   a value that renders empty is left out, so "" removes one)
//     headers: {}                          # name → template, likewise
//     body: ""                             # POST: template of the body (default {{sms.text}})
//     content_type: ""                     # POST: default "text/plain; charset=UTF-8"; a type containing
//                                          #   "json" escapes body values as JSON, "x-www-form-urlencoded" as URL
//     success_status: [200, 201, 202]      # answers that mean "accepted"; any other is a failure
//     text: "{{priority_upper}} {{rule}} on {{hostname}}: {{output}}"
//     max_segments: 1                      # 1..10; encoding: auto | gsm7 | ucs2; cut_marker: " (cut)"
//                                          #   (outputs/sms/sms_text.h)
//     ... plus the shared HTTP keys (auth, tls, timeouts: outputs/http/http_client.h)
//
// Templates see the alert (outputs/template/template.h) and sms.text (the cut, encoded text), sms.to,
// sms.from, sms.username, sms.password and sms.coding ("2" when the text goes as UCS-2, else "").
// Defaults, as Kannel takes them:
//   GET  query: username password from to text charset=UTF-8 coding (coding=2 only for UCS-2)
//   POST headers: X-Kannel-Username X-Kannel-Password X-Kannel-From X-Kannel-To X-Kannel-Coding;
//        body: the text, Content-Type: text/plain; charset=UTF-8
// Kannel answers 202 "0: Accepted for delivery" (or "3: Queued for later delivery"); 403 "Authorization failed
// for sendsms" and 400 ("Missing receiver number, rejected") are permanent, dead-lettered with the gateway's
// text; 503 is retried.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"
#include "outputs/sms/sms_text.h"

namespace peregrine::outputs {

using NamedTemplates = std::vector<std::pair<std::string, Template>>;

struct HttpSmsConfig {
  std::string url;                  // with /cgi-bin/sendsms when the configured URL had no path
  bool post = false;
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
  NamedTemplates query;             // defaults merged with the configured ones, in order
  NamedTemplates headers;
  Template body = Template::parse("{{sms.text}}");
  std::string content_type;         // POST only
  std::vector<int> success_status{200, 201, 202};
  SmsTextConfig sms;
  HttpClientConfig http;            // its static `headers` are moved into `headers` above (templates)
};

HttpSmsConfig parse_http_sms_config(config::NodeReader& node);
std::unique_ptr<Output> make_http_sms_output(OutputCommon common, config::NodeReader& node);

/// `a` with the sms.* variables of one message added to its output_fields (for the request templates).
Alert sms_variables(const Alert& a, const HttpSmsConfig& c, const SmsText& sms, const std::string& to);
/// The request of one message: URL with the query, headers, body (POST).
Payload http_sms_payload(const HttpSmsConfig& c, const Alert& with_sms_variables);

class HttpSmsOutput final : public Output {
 public:
  HttpSmsOutput(OutputCommon common, HttpSmsConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }
  const HttpSmsConfig& config() const { return config_; }

 private:
  OutputCommon common_;
  HttpSmsConfig config_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
