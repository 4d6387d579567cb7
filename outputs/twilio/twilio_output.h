// Twilio SMS through the Messages API: one request per (alert, recipient).
//
//   - type: twilio
//     account_sid: ${TWILIO_ACCOUNT_SID}   # required: AC..., names the account in the request path
//     auth_token: ${TWILIO_AUTH_TOKEN}     # required (a secret): HTTP basic auth account_sid:auth_token; with an
//                                          #   API key give auth: {username: SK..., password: <secret>} instead
//     from: "+15557654321"                 # a Twilio number or alphanumeric sender ID; or:
//     messaging_service_sid: ""            # MG...: sent as MessagingServiceSid instead of From (one of the two)
//     to: ["+15551234567"]                 # required: recipients (E.164), one message each
//     status_callback: ""                  # a URL Twilio POSTs delivery status to (StatusCallback), when set
//     api_url: https://api.twilio.com      # base URL (tests point it at a local fake)
//     text: "{{priority_upper}} {{rule}} on {{hostname}}: {{output}}"
//     max_segments: 1                      # 1..10; encoding: auto | gsm7 | ucs2; cut_marker: " (cut)"
//                                          #   (outputs/sms/sms_text.h)
//     ... plus the shared HTTP keys (timeouts, tls, proxy: outputs/http/http_client.h)
//
// Request: POST {api_url}/2010-04-01/Accounts/{account_sid}/Messages.json, application/x-www-form-urlencoded,
// To, From (or MessagingServiceSid), Body [, StatusCallback]. Each payload's key is its recipient, so a retry
// re-sends only to the recipients that failed. Answers: 201 with the message JSON = delivered; 400 with
// {"code":21211,"message":"Invalid 'To' Phone Number",...} = permanent, dead-lettered with Twilio's code and
// message; 401 (code 20003) permanent; 429 (code 20429: never processed, safe to resend) and 5xx retried,
// Retry-After honoured.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"
#include "outputs/sms/sms_text.h"

namespace peregrine::outputs {

struct TwilioConfig {
  std::string api_url = "https://api.twilio.com";
  std::string account_sid;
  std::string auth_token;
  std::string from;
  std::string messaging_service_sid;
  std::vector<std::string> to;
  std::string status_callback;
  SmsTextConfig sms;
  HttpClientConfig http;  // auth = account_sid:auth_token unless auth.username/password were given
};

TwilioConfig parse_twilio_config(config::NodeReader& node);
std::unique_ptr<Output> make_twilio_output(OutputCommon common, config::NodeReader& node);

/// The form body of one message (To, From or MessagingServiceSid, Body, StatusCallback), percent-encoded.
std::string twilio_form(const TwilioConfig& c, const std::string& to, const std::string& body);
/// "Twilio error 21211: Invalid 'To' Phone Number" from a Twilio error body; "" when it is not one.
std::string twilio_error(const std::string& body);

class TwilioOutput final : public Output {
 public:
  TwilioOutput(OutputCommon common, TwilioConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }
  const TwilioConfig& config() const { return config_; }

 private:
  OutputCommon common_;
  TwilioConfig config_;
  std::string messages_url_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
