#include "outputs/teams/teams_output.h"

#include <regex>

#include "common/json_writer.h"
#include "outputs/chat/chat.h"
#include "outputs/http/url.h"

namespace peregrine::outputs {
namespace {

using chat::truncate_visible;
using L = TeamsLimits;

// Adaptive Card text colours: red for the error levels, amber for warning, the theme's accent for notice.
std::string_view card_colour(Priority p) {
  switch (p) {
    case Priority::kEmergency:
    case Priority::kAlert:
    case Priority::kCritical:
    case Priority::kError: return "Attention";
    case Priority::kWarning: return "Warning";
    case Priority::kNotice: return "Accent";
    case Priority::kInformational:
    case Priority::kDebug: return "Good";
  }
  return "Default";
}

// The rendered link when it is an http(s) URL (a card action without a valid url is refused).
std::string link_of(const TeamsConfig& c, const Alert& a) {
  if (!c.link) return "";
  std::string url = c.link->render(a);
  return check_http_url(url).empty() ? url : "";
}

struct Texts {
  std::string title, text, link;
  std::vector<chat::Fact> facts;
};

Texts texts_of(const TeamsConfig& c, const Alert& a) {
  Texts t;
  t.title = truncate_visible(chat::render_or(c.title, a, escape_text(a.rule, Escape::kSlack)), L::kTitle);
  t.text = truncate_visible(chat::render_or(c.text, a, ""), L::kText);
  t.link = link_of(c, a);
  t.facts = chat::alert_facts(a, c.fields, true, Escape::kSlack);
  for (auto& f : t.facts) f.value = truncate_visible(f.value, L::kFact);
  return t;
}

void text_block(JsonWriter& w, const std::string& text) {
  w.begin_object().key("type").string("TextBlock").key("text").string(text).key("wrap").boolean(true).end_object();
}

std::string message_card(const Texts& t, const Alert& a) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("@type").string("MessageCard").key("@context").string("http://schema.org/extensions");
  w.key("themeColor").string(chat::priority_hex(a.priority).substr(1));
  w.key("summary").string(t.title);
  w.key("sections").begin_array().begin_object();
  w.key("activityTitle").string(t.title);
  w.key("activitySubtitle").string(std::string(priority_name(a.priority)) + " · " + format_rfc3339_ns(a.time_ns));
  if (!t.text.empty()) w.key("text").string(t.text);
  w.key("facts").begin_array();
  for (const auto& f : t.facts) w.begin_object().key("name").string(f.title).key("value").string(f.value).end_object();
  w.end_array().key("markdown").boolean(true).end_object().end_array();
  if (!t.link.empty()) {
    w.key("potentialAction").begin_array().begin_object().key("@type").string("OpenUri").key("name").string("Open");
    w.key("targets").begin_array().begin_object().key("os").string("default").key("uri").string(t.link);
    w.end_object().end_array().end_object().end_array();
  }
  w.end_object();
  return out;
}

}  // namespace

std::string teams_adaptive_card(const TeamsConfig& c, const Alert& a) {
  const Texts t = texts_of(c, a);
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("$schema").string("http://adaptivecards.io/schemas/adaptive-card.json");
  w.key("type").string("AdaptiveCard").key("version").string("1.4");
  w.key("msteams").begin_object().key("width").string("Full").end_object();
  w.key("body").begin_array();
  w.begin_object().key("type").string("TextBlock").key("text").string(t.title).key("weight").string("Bolder");
  w.key("size").string("Medium").key("color").string(card_colour(a.priority)).key("wrap").boolean(true).end_object();
  w.begin_object().key("type").string("FactSet").key("facts").begin_array();
  for (const auto& f : t.facts) w.begin_object().key("title").string(f.title).key("value").string(f.value).end_object();
  w.end_array().end_object();
  if (!t.text.empty()) text_block(w, t.text);
  w.end_array();
  if (!t.link.empty()) {
    w.key("actions").begin_array().begin_object().key("type").string("Action.OpenUrl").key("title").string("Open");
    w.key("url").string(t.link).end_object().end_array();
  }
  w.end_object();
  return out;
}

std::string teams_message(const TeamsConfig& c, const Alert& a) {
  if (c.message_card) return message_card(texts_of(c, a), a);
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("type").string("message").key("attachments").begin_array().begin_object();
  w.key("contentType").string("application/vnd.microsoft.card.adaptive").key("contentUrl").null();
  w.key("content").raw(teams_adaptive_card(c, a));
  w.end_object().end_array().end_object();
  return out;
}

std::optional<SendFailure> teams_body_failure(const std::string& body) {
  static const std::regex status(R"(HTTP error (\d{3}))");
  std::smatch m;
  if (!std::regex_search(body, m, status)) return std::nullopt;
  HttpResponse r;
  r.body = body;
  return SendFailure{SendFailure::Kind::kHttpStatus, std::stoi(m[1]), std::nullopt, "Teams: " + response_snippet(r)};
}

TeamsOutput::TeamsOutput(OutputCommon common, TeamsConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {}

Result<Formatted> TeamsOutput::format(std::span<const Alert> batch) const {
  return chat::one_per_alert(batch, [this](const Alert& a) {
    Payload p;
    p.body = teams_message(config_, a);
    p.url = config_.webhook_url;
    p.target = url_origin(config_.webhook_url);  // the URL's signature is the credential
    return p;
  });
}

SendResult TeamsOutput::send(const Payload& payload) {
  // Legacy connectors answered 200 and put errors (throttling) in the body.
  return chat::send_checked(http_, payload, [](const HttpResponse& r) { return teams_body_failure(r.body); });
}

}  // namespace peregrine::outputs
