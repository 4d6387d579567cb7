#include "outputs/twilio/twilio_output.h"

#include <nlohmann/json.hpp>

#include "outputs/http/url.h"

namespace peregrine::outputs {

std::string twilio_form(const TwilioConfig& c, const std::string& to, const std::string& body) {
  std::string form = "To=" + url_encode(to);
  if (c.messaging_service_sid.empty()) form += "&From=" + url_encode(c.from);
  else form += "&MessagingServiceSid=" + url_encode(c.messaging_service_sid);
  form += "&Body=" + url_encode(body);
  if (!c.status_callback.empty()) form += "&StatusCallback=" + url_encode(c.status_callback);
  return form;
}

std::string twilio_error(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("code") || !j["code"].is_number_integer()) return "";
  std::string out = "Twilio error " + std::to_string(j["code"].get<int64_t>());
  if (j.contains("message") && j["message"].is_string()) out += ": " + j["message"].get<std::string>();
  return out;
}

TwilioOutput::TwilioOutput(OutputCommon common, TwilioConfig config)
    : common_(std::move(common)),
      config_(std::move(config)),
      messages_url_(url_join(config_.api_url, "/2010-04-01/Accounts/" + config_.account_sid + "/Messages.json")),
      http_(config_.http, common_.name) {}

Result<Formatted> TwilioOutput::format(std::span<const Alert> batch) const {
  return format_sms(batch, config_.sms, config_.to, [this](const Alert&, const SmsText& sms, const std::string& to) {
    Payload p;
    p.url = messages_url_;
    p.target = redacted_url(messages_url_);
    p.content_type = "application/x-www-form-urlencoded";
    p.body = twilio_form(config_, to, sms.text);
    return p;
  });
}

SendResult TwilioOutput::send(const Payload& payload) {
  auto o = http_.perform(HttpClient::request_for(payload));
  SendResult r;
  if (o.failure) {
    r.failure = o.failure;
  } else if (!o.ok()) {
    std::string why = twilio_error(o.response.body);
    if (why.empty()) why = response_snippet(o.response);
    r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                            why + " (To " + payload.key + ")"};
  }
  return r;
}

}  // namespace peregrine::outputs
