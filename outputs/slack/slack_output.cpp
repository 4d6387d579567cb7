#include "outputs/slack/slack_output.h"

#include <nlohmann/json.hpp>

#include "common/json_writer.h"
#include "outputs/chat/chat.h"
#include "outputs/http/url.h"

namespace peregrine::outputs {
namespace {

using chat::Fact;
using chat::truncate_visible;
using L = SlackLimits;

// The colour of the priority (chat::priority_hex) as the nearest round emoji: top-level blocks have no colour bar.
std::string_view priority_emoji(Priority p) {
  switch (p) {
    case Priority::kEmergency:
    case Priority::kError: return ":red_circle:";
    case Priority::kAlert:
    case Priority::kCritical: return ":large_orange_circle:";
    case Priority::kWarning: return ":large_yellow_circle:";
    case Priority::kNotice: return ":large_green_circle:";
    case Priority::kInformational: return ":large_blue_circle:";
    case Priority::kDebug: return ":white_circle:";
  }
  return ":white_circle:";
}

// At most kFields facts; past it, the last one says how many more there were.
std::vector<Fact> capped(std::vector<Fact> facts) {
  if (facts.size() <= L::kFields) return facts;
  const size_t more = facts.size() - (L::kFields - 1);
  facts.resize(L::kFields - 1);
  facts.push_back(Fact{std::to_string(more) + " more fields", std::string(chat::kTruncated)});
  return facts;
}

// "*Title*\nvalue" within kField characters (the value is cut, the title kept).
std::string field_mrkdwn(const Fact& f) {
  const std::string head = "*" + f.title + "*\n";
  const size_t head_chars = chat::char_count(head);
  return head + truncate_visible(f.value, L::kField > head_chars + 20 ? L::kField - head_chars : 20);
}

void text_object(JsonWriter& w, std::string_view type, const std::string& text) {
  w.begin_object().key("type").string(type).key("text").string(text);
  if (type == "plain_text") w.key("emoji").boolean(true);
  w.end_object();
}

void mrkdwn_section(JsonWriter& w, const std::string& text) {
  w.begin_object().key("type").string("section").key("text");
  text_object(w, "mrkdwn", truncate_visible(text, L::kSectionText));
  w.end_object();
}

// header, priority, fields, text: 4 blocks at most, far below kBlocks.
void write_blocks(JsonWriter& w, const SlackConfig& c, const Alert& a, const std::string& title,
                  const std::string& text) {
  w.key("blocks").begin_array();
  w.begin_object().key("type").string("header").key("text");
  text_object(w, "plain_text", truncate_visible(title, L::kHeader));
  w.end_object();
  mrkdwn_section(w, std::string(priority_emoji(a.priority)) + " *" + std::string(priority_name(a.priority)) +
                        "*  ·  " + escape_text(a.source, Escape::kSlack) + "  ·  " + format_rfc3339_ns(a.time_ns));
  w.begin_object().key("type").string("section").key("fields").begin_array();
  for (const auto& f : capped(chat::alert_facts(a, c.fields, false, Escape::kSlack))) text_object(w, "mrkdwn", field_mrkdwn(f));
  w.end_array().end_object();
  if (!text.empty()) mrkdwn_section(w, text);
  w.end_array();
}

void write_attachment(JsonWriter& w, const SlackConfig& c, const Alert& a, const std::string& title) {
  w.key("attachments").begin_array().begin_object();
  w.key("color").string(chat::priority_hex(a.priority));
  w.key("fallback").string(truncate_visible(std::string(priority_name(a.priority)) + ": " + title, L::kField));
  w.key("title").string(truncate_visible(title, L::kField));
  w.key("fields").begin_array();
  for (const auto& f : capped(chat::alert_facts(a, c.fields, true, Escape::kSlack))) {
    const std::string value = truncate_visible(f.value, L::kField);
    w.begin_object().key("title").string(f.title).key("value").string(value);
    w.key("short").boolean(chat::char_count(value) < 36).end_object();
  }
  w.end_array();
  w.key("footer").string("Peregrine").key("ts").number(static_cast<uint64_t>(a.time_ns / 1'000'000'000ull));
  w.end_object().end_array();
}

}  // namespace

std::string slack_message(const SlackConfig& c, const Alert& a) {
  const std::string title = chat::render_or(c.title, a, a.rule);
  const std::string text = chat::render_or(c.text, a, "");
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  if (!c.channel.empty()) w.key("channel").string(c.channel);
  // The notification fallback, never empty.
  w.key("text").string(truncate_visible(text.empty() ? escape_text(title, Escape::kSlack) : text, L::kMessageText));
  if (c.format == SlackConfig::Format::kBlocks) write_blocks(w, c, a, title, text);
  if (c.format == SlackConfig::Format::kAttachments) write_attachment(w, c, a, title);
  w.end_object();
  return out;
}

std::optional<SendFailure> slack_api_failure(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  // The answer echoes the message: one cut off by max_response_bytes still starts with its verdict.
  if (j.is_discarded() && body.rfind(R"({"ok":true)", 0) == 0) return std::nullopt;
  if (!j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
    HttpResponse r;
    r.body = body;
    return SendFailure{SendFailure::Kind::kRejected, 0, std::nullopt, "not a Slack API answer: " + response_snippet(r)};
  }
  if (j["ok"].get<bool>()) return std::nullopt;
  const std::string error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                           : std::string("unknown_error");
  if (error == "ratelimited") return SendFailure{SendFailure::Kind::kHttpStatus, 429, std::nullopt, "Slack: " + error};
  // Slack's own transient errors ("likely due to a transient issue on our end").
  if (error == "internal_error" || error == "fatal_error" || error == "service_unavailable" ||
      error == "request_timeout")
    return SendFailure{SendFailure::Kind::kHttpStatus, 503, std::nullopt, "Slack: " + error};
  return SendFailure{SendFailure::Kind::kRejected, 0, std::nullopt, "Slack: " + error};
}

SlackOutput::SlackOutput(OutputCommon common, SlackConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {}

Result<Formatted> SlackOutput::format(std::span<const Alert> batch) const {
  return chat::one_per_alert(batch, [this](const Alert& a) {
    Payload p;
    p.body = slack_message(config_, a);
    if (config_.api()) {
      p.url = config_.api_url;
      p.target = redacted_url(config_.api_url);
      p.content_type = "application/json; charset=utf-8";  // Slack's Web API warns about a missing charset
    } else {
      p.url = config_.webhook_url;
      p.target = url_origin(config_.webhook_url);  // the path is the credential
    }
    return p;
  });
}

SendResult SlackOutput::send(const Payload& payload) {
  return chat::send_checked(http_, payload, [this](const HttpResponse& r) -> std::optional<SendFailure> {
    if (!config_.api()) return std::nullopt;  // a webhook's 200 `ok` is all there is
    auto f = slack_api_failure(r.body);
    if (f && r.retry_after) f->retry_after = r.retry_after;
    return f;
  });
}

}  // namespace peregrine::outputs
