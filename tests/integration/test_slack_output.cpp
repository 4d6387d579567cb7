// The slack output through the real router against the Slack fake (tests/integration/fake_chat.h), which
// checks every message as Slack does: Block Kit shape and limits, 429 with Retry-After, 5xx, a hung Slack beside
// a file output, channel_not_found dead-lettered with Slack's reason, and the webhook URL kept out of every log
// line and dead letter; chat.postMessage with a bot token.
#include <doctest/doctest.h>

#include "tests/integration/fake_chat.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The webhook URL comes from the environment, as in production (${SLACK_WEBHOOK_URL}).
std::string slack_output(const std::string& extra = "") {
  return "    - type: slack\n"
         "      name: slack\n"
         "      webhook_url: ${PG_TEST_SLACK_URL}\n"
         "      delivery: {initial_backoff_ms: 50, max_backoff_ms: 500}\n" + extra;
}

std::map<std::string, std::string> env_of(const SlackFake& slack) { return {{"PG_TEST_SLACK_URL", slack.url()}}; }

std::vector<std::string> field_texts(const json& message) {
  std::vector<std::string> out;
  for (const auto& f : message["blocks"][2]["fields"]) out.push_back(f["text"]);
  return out;
}

}  // namespace

TEST_CASE("slack: alerts arrive as Block Kit messages Slack accepts, one per alert, in order") {
  SlackFake slack;
  TempDir dir;
  RouterRig router(dir, slack_output(), "queue", "", env_of(slack));
  auto first = falco_alert(test_uuid("slack", 1), "Terminal shell in container", "2026-01-15T10:00:00Z", "Critical");
  first["output_fields"]["container.name"] = "web";
  first["output_fields"]["proc.cmdline"] = "bash -i";
  auto second = falco_alert(test_uuid("slack", 2), "Read sensitive file", "2026-01-15T10:00:01Z", "Warning");
  second["output"] = std::string(5000, 'x');  // past the section's 3000 characters: cut, not refused
  REQUIRE(router.post({first, second}) == 200);
  REQUIRE_MESSAGE(slack.wait_messages(2), router.log());
  CHECK(slack.rejections().empty());
  const auto got = slack.bodies();
  REQUIRE(got.size() == 2);
  CHECK(got[0]["blocks"][0]["text"]["text"] == "Terminal shell in container");
  CHECK(got[0]["blocks"][1]["text"]["text"].get<std::string>().rfind(":large_orange_circle: *Critical*", 0) == 0);
  CHECK(field_texts(got[0]) == std::vector<std::string>{"*Rule*\nTerminal shell in container", "*Priority*\nCritical",
                                                        "*Host*\nit-host", "*Container*\nweb (host)",
                                                        "*Process*\nbash -i"});
  CHECK(got[0]["text"] == first["output"]);
  CHECK(got[1]["blocks"][0]["text"]["text"] == "Read sensitive file");
  const std::string cut = got[1]["blocks"][3]["text"]["text"];
  CHECK(cut.find("… (truncated)") != std::string::npos);
  CHECK(got[1]["text"] == second["output"]);  // the 40000-character text limit is not reached
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "slack") == 2; }, 10s));
  CHECK(router.dead_letters().empty());
}

TEST_CASE("slack: a 429 with Retry-After: 2 holds the next message for 2 s") {
  SlackFake slack;
  slack.answer_next(SlackFake::rate_limited(2));
  TempDir dir;
  RouterRig router(dir, slack_output(), "queue", "", env_of(slack));
  REQUIRE(router.post({falco_alert(test_uuid("limited", 1))}) == 200);
  REQUIRE_MESSAGE(slack.wait_messages(1, 20s), router.log());
  const auto at = slack.request_times();
  REQUIRE(at.size() == 2);
  const auto gap = at[1] - at[0];
  CHECK(gap >= 2s);
  CHECK(gap < 10s);
  CHECK(router.counter("peregrine_router_output_retried_total", "slack") == 1);
  MESSAGE("retry after " << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
}

TEST_CASE("slack: 5xx answers are retried until Slack takes the message") {
  SlackFake slack;
  slack.answer_next(SlackFake::server_error(500));
  slack.answer_next(SlackFake::server_error(503));
  TempDir dir;
  RouterRig router(dir, slack_output(), "queue", "", env_of(slack));
  const auto a = falco_alert(test_uuid("5xx", 1));
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(slack.wait_messages(1, 20s), router.log());
  CHECK(slack.request_times().size() == 3);
  CHECK(slack.bodies()[0]["text"] == a["output"]);
  REQUIRE(wait_until([&] { return router.counter("peregrine_router_output_delivered_total", "slack") == 1; }, 10s));
  CHECK(router.counter("peregrine_router_output_retried_total", "slack") == 2);
  CHECK(router.dead_letters().empty());
}

TEST_CASE("slack: a Slack that accepts TCP and never answers does not delay a file output") {
  SilentServer hung;
  TempDir dir;
  const auto file = dir / "alerts.jsonl";
  RouterRig router(dir,
                   slack_output("      timeout_ms: 10000\n") +
                       "    - type: file\n"
                       "      name: file\n"
                       "      path: " + file.string() + "\n",
                   "queue", "",
                   {{"PG_TEST_SLACK_URL", "http://127.0.0.1:" + std::to_string(hung.port()) + "/services/T/B/hung"}});
  REQUIRE(router.post({falco_alert(test_uuid("hung", 1))}) == 200);
  const auto posted = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return read_lines(file).size() == 1; }, 5s));
  const auto took = std::chrono::steady_clock::now() - posted;
  CHECK(took < 1s);
  CHECK(wait_until([&] { return hung.accepted() >= 1; }, 5s));  // the slack output really was sending
  MESSAGE("file output got the alert " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                       << " ms after the POST while Slack hung");
}

TEST_CASE("slack: channel_not_found is dead-lettered with Slack's reason, and the webhook URL is in no log or dead letter") {
  SlackFake slack;
  slack.answer_always(slack.channel_not_found());
  TempDir dir;
  RouterRig router(dir, slack_output(), "queue", "  log: {level: debug}\n", env_of(slack));
  const auto a = falco_alert(test_uuid("gone", 1));
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return router.dead_letters().size() == 1; }, 20s), router.log());
  const auto dead = router.dead_letters();
  CHECK(dead[0]["output"] == "slack");
  CHECK(dead[0]["alert"]["uuid"] == a["uuid"]);
  CHECK(dead[0]["reason"] == "permanent failure: HTTP 404: channel_not_found");
  CHECK(slack.request_times().size() == 1);  // a 404 is not retried
  CHECK(router.counter("peregrine_router_output_failed_total", "slack") == 1);
  CHECK(router.log().find("channel_not_found") != std::string::npos);  // the failure was logged (a real log)
  std::string dead_text;
  for (const auto& d : dead) dead_text += d.dump();
  for (const auto& [what, text] : std::vector<std::pair<std::string, std::string>>{
           {"dead letters", dead_text}, {"log", router.log()}, {"metrics", router.metrics()}}) {
    INFO(what << ":\n" << text);
    CHECK(text.find(slack.secret()) == std::string::npos);
    CHECK(text.find("/services/T0FAKE") == std::string::npos);
  }
}

TEST_CASE("slack: chat.postMessage with a bot token, and a wrong channel dead-lettered with Slack's error") {
  SlackFake api(SlackFake::Mode::kApi);
  TempDir dir;
  auto bot = [&](const std::string& name, const std::string& channel) {
    return "    - type: slack\n      name: " + name + "\n      bot_token: ${PG_TEST_SLACK_TOKEN}\n      channel: \"" +
           channel + "\"\n      api_url: " + api.url() + "\n      format: attachments\n";
  };
  RouterRig router(dir, bot("right", api.channel()) + bot("wrong", "C0NOSUCH"), "queue", "",
                   {{"PG_TEST_SLACK_TOKEN", api.token()}});
  const auto a = falco_alert(test_uuid("api", 1), "Api rule");
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(api.wait_messages(1), router.log());
  const auto m = api.bodies()[0];
  CHECK(m["channel"] == api.channel());
  CHECK(m["attachments"][0]["title"] == "Api rule");
  CHECK(m["attachments"][0]["color"] == "#ffc700");
  REQUIRE(wait_until([&] { return router.dead_letters().size() == 1; }, 20s));
  CHECK(router.dead_letters()[0]["output"] == "wrong");
  CHECK(router.dead_letters()[0]["reason"] == "permanent failure: Slack: channel_not_found");
  CHECK(router.log().find(api.token()) == std::string::npos);
  CHECK(router.counter("peregrine_router_output_delivered_total", "right") == 1);
}

TEST_CASE("slack fake: refuses what Slack refuses - no text, too many blocks, long header, 11 fields, wrong token") {
  SlackFake hook;
  auto post = [&](const json& body) { return http_post(hook.port(), "/services/T0FAKE/B0FAKE/" + hook.secret(), body.dump()); };
  const json header = {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(151, 'h')}}}};
  json fields = json::array();
  for (int i = 0; i < 11; ++i) fields.push_back({{"type", "mrkdwn"}, {"text", "f"}});
  CHECK(post(json{{"channel", "x"}}).body == "no_text");
  CHECK(post(json{{"blocks", json::array({header})}}).body == "invalid_blocks");
  CHECK(post(json{{"text", "t"}, {"blocks", json::array({{{"type", "section"}, {"fields", fields}}})}}).status == 400);
  CHECK(post(json{{"text", "t"}, {"blocks", json(51, {{"type", "divider"}})}}).body == "invalid_blocks");
  CHECK(post(json{{"text", std::string(40001, 't')}}).body == "msg_too_long");
  CHECK(http_post(hook.port(), "/services/T0FAKE/B0FAKE/other", R"({"text":"t"})").status == 404);
  CHECK(post(json{{"text", "fine"}}).body == "ok");
  CHECK(hook.messages() == 1);
  CHECK(hook.rejections().size() == 6);
  SlackFake api(SlackFake::Mode::kApi);
  CHECK(http_post(api.port(), "/api/chat.postMessage", R"({"text":"t","channel":"C0FAKECHAN"})").body ==
        R"({"error":"invalid_auth","ok":false})");
  CHECK(api.messages() == 0);
}
