#include "outputs/http_sms/http_sms_output.h"

#include <algorithm>

#include "outputs/http/url.h"

namespace peregrine::outputs {

Alert sms_variables(const Alert& a, const HttpSmsConfig& c, const SmsText& sms, const std::string& to) {
  Alert v = a;
  v.output_fields["sms.text"] = sms.text;
  v.output_fields["sms.to"] = to;
  v.output_fields["sms.from"] = c.from;
  v.output_fields["sms.username"] = c.username;
  v.output_fields["sms.password"] = c.password;
  v.output_fields["sms.coding"] = std::string(sms.ucs2 ? "2" : "");
  return v;
}

Payload http_sms_payload(const HttpSmsConfig& c, const Alert& v) {
  Payload p;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, t] : c.query) params.emplace_back(name, t.render(v));
  p.url = params.empty() ? c.url : url_with_query(c.url, params);
  p.target = redacted_url(c.url);  // the query may carry the password
  p.method = c.post ? "POST" : "GET";
  for (const auto& [name, t] : c.headers) {
    std::string value = t.render(v);
    std::replace_if(value.begin(), value.end(), [](char ch) { return ch == '\r' || ch == '\n'; }, ' ');
    if (!value.empty()) p.headers.emplace_back(name, std::move(value));
  }
  if (c.post) {
    p.body = c.body.render(v);
    p.content_type = c.content_type;
  } else {
    p.content_type.clear();
  }
  return p;
}

HttpSmsOutput::HttpSmsOutput(OutputCommon common, HttpSmsConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {}

Result<Formatted> HttpSmsOutput::format(std::span<const Alert> batch) const {
  return format_sms(batch, config_.sms, config_.to, [this](const Alert& a, const SmsText& sms, const std::string& to) {
    return http_sms_payload(config_, sms_variables(a, config_, sms, to));
  });
}

SendResult HttpSmsOutput::send(const Payload& payload) {
  auto o = http_.perform(HttpClient::request_for(payload));
  SendResult r;
  if (o.failure) {
    r.failure = o.failure;
    return r;
  }
  const auto& ok = config_.success_status;
  if (std::find(ok.begin(), ok.end(), o.response.status) != ok.end()) return r;
  // The gateway's own words ("Authorization failed for sendsms") go into the dead letter.
  r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                          response_snippet(o.response) + " (to " + payload.key + ")"};
  return r;
}

}  // namespace peregrine::outputs
