// The teams output through the real router against the Teams fake (tests/integration/fake_chat.h): Adaptive
// Cards in the Workflows envelope, each checked by Microsoft's adaptivecards parser; MessageCards to a legacy
// connector, whose throttling-in-the-body answer is retried; a refused card dead-lettered without the URL's
// signature in any log line or dead letter.
#include <doctest/doctest.h>

#include "tests/integration/fake_chat.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http.h"
#include "tests/support/receivers.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string teams_output(const std::string& extra = "") {
  return "    - type: teams\n"
         "      name: teams\n"
         "      webhook_url: ${PG_TEST_TEAMS_URL}\n"
         "      delivery: {initial_backoff_ms: 50, max_backoff_ms: 500}\n" + extra;
}

std::map<std::string, std::string> env_of(const TeamsFake& teams) { return {{"PG_TEST_TEAMS_URL", teams.url()}}; }

}  // namespace

TEST_CASE("teams: Adaptive Cards arrive in the Workflows envelope and pass the card parser") {
  if (auto why = Receiver::unavailable("adaptivecards"); !why.empty()) PEREGRINE_SKIP(why);
  TeamsFake teams;
  TempDir dir;
  RouterRig router(dir, teams_output("      link_template: \"https://siem.example/alerts/{{uuid}}\"\n"), "queue", "",
                   env_of(teams));
  auto critical = falco_alert(test_uuid("card", 1), "Terminal shell in container", "2026-01-15T10:00:00Z", "Critical");
  critical["output_fields"]["container.name"] = "web";
  const auto notice = falco_alert(test_uuid("card", 2), "Unexpected <outbound> & connection", "2026-01-15T10:00:01Z",
                                  "Notice");
  REQUIRE(router.post({critical, notice}) == 200);
  REQUIRE_MESSAGE(teams.wait_messages(2, 60s), router.log());
  CHECK(teams.rejections().empty());
  const auto got = teams.bodies();
  const auto card0 = got[0]["attachments"][0]["content"];
  CHECK(card0["body"][0]["text"] == "Terminal shell in container");
  CHECK(card0["body"][0]["color"] == "Attention");
  CHECK(card0["body"][1]["facts"][4] == json{{"title", "Container"}, {"value", "web (host)"}});
  CHECK(card0["actions"][0]["url"] == "https://siem.example/alerts/" + critical["uuid"].get<std::string>());
  const auto card1 = got[1]["attachments"][0]["content"];
  CHECK(card1["body"][0]["text"] == "Unexpected &lt;outbound&gt; &amp; connection");
  CHECK(card1["body"][0]["color"] == "Accent");
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "teams") == 2; }, 10s));
  CHECK(router.dead_letters().empty());
}

TEST_CASE("teams: messagecard format to a legacy connector, whose 'HTTP error 429' body is retried") {
  TeamsFake connector(TeamsFake::Mode::kConnector);
  connector.answer_next(TeamsFake::throttled_in_body());
  TempDir dir;
  RouterRig router(dir, teams_output("      format: messagecard\n"), "queue", "", env_of(connector));
  const auto a = falco_alert(test_uuid("connector", 1), "Legacy rule", "2026-01-15T10:00:00Z", "Error");
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(connector.wait_messages(1, 20s), router.log());
  CHECK(connector.rejections().empty());
  CHECK(connector.request_times().size() == 2);
  const auto card = connector.bodies()[0];
  CHECK(card["@type"] == "MessageCard");
  CHECK(card["themeColor"] == "e20b0b");
  CHECK(card["summary"] == "Legacy rule");
  CHECK(card["sections"][0]["text"] == a["output"]);
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "teams") == 1; }, 10s));
  CHECK(router.counter("peregrine_router_output_retried_total", "teams") == 1);
}

TEST_CASE("teams: a refused card is dead-lettered with Teams' answer, the URL's signature in no log or dead letter") {
  TeamsFake connector(TeamsFake::Mode::kConnector);
  connector.answer_always(FakeAnswer{400, "Summary or Text is required.", "text/plain", ""});
  TempDir dir;
  RouterRig router(dir, teams_output("      format: messagecard\n"), "queue", "  log: {level: debug}\n",
                   env_of(connector));
  REQUIRE(router.post({falco_alert(test_uuid("refused", 1))}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.dead_letters().size() == 1; }, 20s), router.log());
  const auto dead = router.dead_letters();
  CHECK(dead[0]["reason"] == "permanent failure: HTTP 400: Summary or Text is required.");
  CHECK(router.log().find("Summary or Text is required.") != std::string::npos);  // the failure was logged
  for (const auto& [what, text] : std::vector<std::pair<std::string, std::string>>{
           {"dead letters", dead[0].dump()}, {"log", router.log()}, {"metrics", router.metrics()}}) {
    INFO(what << ":\n" << text);
    CHECK(text.find(connector.secret()) == std::string::npos);
  }
}

TEST_CASE("teams fake: refuses a wrong signature, a bad envelope and a card the parser rejects") {
  if (auto why = Receiver::unavailable("adaptivecards"); !why.empty()) PEREGRINE_SKIP(why);
  TeamsFake teams;
  const std::string path = teams.url().substr(teams.url().find("/workflows"));
  const json card = {{"type", "AdaptiveCard"}, {"version", "1.4"}, {"body", json::array({{{"type", "TextBlock"}, {"text", "hi"}}})}};
  const json good = {{"type", "message"},
                     {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                                   {"contentUrl", nullptr}, {"content", card}}})}};
  CHECK(http_post(teams.port(), path, good.dump()).status == 202);
  CHECK(http_post(teams.port(), path.substr(0, path.find("&sig=")) + "&sig=forged", good.dump()).status == 401);
  json no_envelope = card;
  CHECK(http_post(teams.port(), path, no_envelope.dump()).status == 400);
  json bad_card = good;
  bad_card["attachments"][0]["content"]["body"][0]["type"] = "Marquee";
  const auto refused = http_post(teams.port(), path, bad_card.dump());
  CHECK(refused.status == 400);
  CHECK(refused.body.find("card:") == 0);
  CHECK(teams.messages() == 1);
  CHECK(teams.rejections().size() == 3);
}
