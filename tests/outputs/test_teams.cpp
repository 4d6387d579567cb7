// Teams output without a network: the golden Adaptive Card in its message envelope and the golden MessageCard,
// every card of these tests checked by Microsoft's adaptivecards parser (validate_card.js), limits, the
// connector's throttling-in-the-body answer, and the config keys.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/secrets.h"
#include "outputs/chat/chat.h"
#include "outputs/teams/teams_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/outputs/teams_card_check.h"
#include "tests/support/receivers.h"
#include "tests/support/skip.h"

using namespace peregrine;
using namespace peregrine::outputs;
using namespace peregrine::testing;
using nlohmann::json;

namespace {

const std::string kHook =
    "https://prod-01.westeurope.logic.azure.com:443/workflows/0abc/triggers/manual/paths/invoke?api-version=2016-06-01"
    "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teams-sig-secret-Qw3";

std::unique_ptr<Output> build(const std::string& keys) {
  return test::build_output("teams", "      webhook_url: \"" + kHook + "\"\n" + keys);
}

std::string error_of(const std::string& keys) { return test::output_error("teams", keys); }

std::string body_of(Output& out, const Alert& a) {
  auto f = out.format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  return f->payloads[0].body;
}

// The card of an envelope, after checking the envelope itself.
json card_of(const std::string& body) {
  const auto m = json::parse(body);
  CHECK(m["type"] == "message");
  REQUIRE(m["attachments"].size() == 1);
  CHECK(m["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive");
  CHECK(m["attachments"][0].contains("contentUrl"));
  CHECK(m["attachments"][0]["contentUrl"].is_null());
  return m["attachments"][0]["content"];
}

Alert rich_alert(Priority p) {
  Alert a = test::sample_alert();
  a.priority = p;
  a.output_fields["container.name"] = std::string("web");
  a.output_fields["container.id"] = std::string("3ad7b26ded6d");
  a.output_fields["proc.cmdline"] = std::string("sh -c 'cat /etc/shadow > /tmp/x' & <NA> \"quoted\"");
  a.output_fields["k8s.pod.name"] = std::string("api-7f9c");
  return a;
}

const char* kGoldenCard =
    R"J({"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",)J"
    R"J("msteams":{"width":"Full"},"body":[)J"
    R"J({"type":"TextBlock","text":"Write below binary dir","weight":"Bolder","size":"Medium","color":"Attention","wrap":true},)J"
    R"J({"type":"FactSet","facts":[{"title":"Rule","value":"Write below binary dir"},{"title":"Priority","value":"Error"},)J"
    R"J({"title":"Host","value":"node-1"},{"title":"Source","value":"syscall"},)J"
    R"J({"title":"Time","value":"2019-05-17T15:31:56.746609046Z"}]},)J"
    R"J({"type":"TextBlock","text":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","wrap":true}]})J";

}  // namespace

TEST_CASE("teams: golden Adaptive Card in the Workflows message envelope") {
  auto out = build("");
  auto f = out->format(std::vector<Alert>{test::sample_alert()});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  const auto& p = f->payloads[0];
  CHECK(p.body == std::string(R"J({"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",)J"
                              R"J("contentUrl":null,"content":)J") + kGoldenCard + "}]}");
  CHECK(p.url == kHook);
  CHECK(p.target == "https://prod-01.westeurope.logic.azure.com:443");  // the sig= query is the credential
  CHECK(p.content_type == "application/json");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(card_of(p.body).dump() == json::parse(kGoldenCard).dump());
}

TEST_CASE("teams: facts, colours per priority, the Open button, escaping") {
  auto out = build("      link_template: \"https://siem.example/alerts/{{uuid}}?rule={{rule}}\"\n"
                   "      fields: [k8s.pod.name]\n");
  const auto card = card_of(body_of(*out, rich_alert(Priority::kWarning)));
  CHECK(card["body"][0]["color"] == "Warning");
  std::vector<std::string> titles;
  for (const auto& fct : card["body"][1]["facts"]) titles.push_back(fct["title"]);
  CHECK(titles == std::vector<std::string>{"Rule", "Priority", "Host", "Source", "Container", "Process", "Time",
                                           "k8s.pod.name"});
  CHECK(card["body"][1]["facts"][4]["value"] == "web (3ad7b26ded6d)");
  CHECK(card["body"][1]["facts"][5]["value"] == "sh -c 'cat /etc/shadow &gt; /tmp/x' &amp; &lt;NA&gt; \"quoted\"");
  REQUIRE(card["actions"].size() == 1);
  CHECK(card["actions"][0] == json{{"type", "Action.OpenUrl"}, {"title", "Open"},
                                   {"url", "https://siem.example/alerts/6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f?rule="
                                           "Write%20below%20binary%20dir"}});
  CHECK(card_of(body_of(*out, rich_alert(Priority::kNotice)))["body"][0]["color"] == "Accent");
  CHECK(card_of(body_of(*out, rich_alert(Priority::kDebug)))["body"][0]["color"] == "Good");
  CHECK(card_of(body_of(*out, rich_alert(Priority::kEmergency)))["body"][0]["color"] == "Attention");
  // A link that renders to no http(s) URL leaves the button out (a card action needs a valid url).
  auto bad = build("      link_template: \"{{proc.name}}\"\n");
  CHECK_FALSE(card_of(body_of(*bad, test::sample_alert())).contains("actions"));
}

TEST_CASE("teams: limits - title, facts and text cut visibly") {
  auto out = build("");
  Alert a = rich_alert(Priority::kCritical);
  a.rule = std::string(1000, 'r');
  a.output = std::string(20'000, 'o');
  a.output_fields["proc.cmdline"] = std::string(3000, 'c');
  const auto card = card_of(body_of(*out, a));
  const auto chars = [](const json& s) { return chat::char_count(s.get<std::string>()); };
  CHECK(chars(card["body"][0]["text"]) == TeamsLimits::kTitle);
  CHECK(chars(card["body"][2]["text"]) == TeamsLimits::kText);
  for (const auto& fct : card["body"][1]["facts"]) CHECK(chars(fct["value"]) <= TeamsLimits::kFact);
  const std::string text = card["body"][2]["text"];
  CHECK(text.substr(text.size() - chat::kTruncated.size()) == chat::kTruncated);
  CHECK(body_of(*out, a).size() < 28 * 1024);
}

TEST_CASE("teams: golden MessageCard for legacy connectors") {
  auto out = build("      format: messagecard\n      link_template: \"https://siem.example/{{uuid}}\"\n");
  const std::string golden =
      R"J({"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"e20b0b",)J"
      R"J("summary":"Write below binary dir","sections":[{"activityTitle":"Write below binary dir",)J"
      R"J("activitySubtitle":"Error · 2019-05-17T15:31:56.746609046Z",)J"
      R"J("text":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)",)J"
      R"J("facts":[{"name":"Rule","value":"Write below binary dir"},{"name":"Priority","value":"Error"},)J"
      R"J({"name":"Host","value":"node-1"},{"name":"Source","value":"syscall"},)J"
      R"J({"name":"Time","value":"2019-05-17T15:31:56.746609046Z"}],"markdown":true}],)J"
      R"J("potentialAction":[{"@type":"OpenUri","name":"Open","targets":[{"os":"default",)J"
      R"J("uri":"https://siem.example/6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"}]}]})J";
  CHECK(body_of(*out, test::sample_alert()) == golden);
}

TEST_CASE("teams: every card these tests produce passes Microsoft's adaptivecards parser") {
  if (auto why = Receiver::unavailable("adaptivecards"); !why.empty()) PEREGRINE_SKIP(why);
  auto plain = build("");
  auto linked = build("      link_template: \"https://siem.example/alerts/{{uuid}}\"\n      fields: [k8s.pod.name]\n"
                      "      title: \"{{priority_upper}}: {{rule}}\"\n");
  Alert huge = rich_alert(Priority::kAlert);
  huge.output = std::string(20'000, 'o') + " <script>";
  huge.rule = std::string(600, 'r');
  std::vector<std::pair<std::string, std::string>> cards{
      {"golden", body_of(*plain, test::sample_alert())},
      {"linked warning", body_of(*linked, rich_alert(Priority::kWarning))},
      {"notice", body_of(*linked, rich_alert(Priority::kNotice))},
      {"debug", body_of(*plain, rich_alert(Priority::kDebug))},
      {"truncated", body_of(*linked, huge)},
      {"small", body_of(*plain, test::small_alert("u-1", Priority::kInformational))}};
  for (const auto& [what, body] : cards) {
    INFO(what);
    CHECK(card_problems(card_of(body).dump()) == "");
  }
  // The validator does refuse a broken card (a check that cannot fail would prove nothing).
  auto broken = card_of(body_of(*plain, test::sample_alert()));
  broken["body"][1]["facts"][0].erase("value");
  CHECK(card_problems(broken.dump()) != "");
}

TEST_CASE("teams: a connector's 200 with 'HTTP error 429' in the body is a throttling failure") {
  auto f = teams_body_failure("Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP "
                              "error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef");
  REQUIRE(f);
  CHECK(f->kind == SendFailure::Kind::kHttpStatus);
  CHECK(f->http_status == 429);
  CHECK(f->message.find("HTTP error 429") != std::string::npos);
  CHECK_FALSE(teams_body_failure("1"));
  CHECK_FALSE(teams_body_failure(""));
}

TEST_CASE("teams: config keys and errors with file:line:col") {
  auto out = build("      timeout_ms: 5000\n");
  CHECK(out->common().delivery.batch_max_alerts == 100);
  CHECK(secrets::redact("to " + kHook) == "to ***");
  CHECK(error_of("      format: adaptivecard\n").find("missing required key") != std::string::npos);
  CHECK(error_of("      webhook_url: ftp://x/y\n").find("teams.yaml:5:20") != std::string::npos);
  CHECK(error_of("      webhook_url: https://x/y\n      format: card\n").find("teams.yaml:6:15") !=
        std::string::npos);
  CHECK(error_of("      webhook_url: https://x/y\n      link_template: \"{{#rule}}\"\n").find("teams.yaml:6:") !=
        std::string::npos);
  CHECK(error_of("      webhook_url: https://x/y\n      theme: dark\n").find("unknown key 'theme'") !=
        std::string::npos);
}
