// Slack output without a network: golden Block Kit / attachments / text messages, Slack's limits cut visibly,
// the webhook URL kept out of targets, chat.postMessage answers, and the config keys.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/secrets.h"
#include "outputs/chat/chat.h"
#include "outputs/slack/slack_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/http_server.h"

using namespace peregrine;
using namespace peregrine::outputs;
using nlohmann::json;

namespace {

const std::string kHook = "https://hooks.slack.com/services/T0001/B0002/slack-hook-secret-Xy7";

std::unique_ptr<Output> build(const std::string& keys) { return test::build_output("slack", keys); }

std::unique_ptr<Output> hook(const std::string& keys = "") { return build("      webhook_url: " + kHook + "\n" + keys); }

std::string error_of(const std::string& keys) { return test::output_error("slack", keys); }

Payload only_payload(Output& out, const Alert& a) {
  auto f = out.format(std::vector<Alert>{a});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  CHECK(f->set_aside.empty());
  return f->payloads[0];
}

Alert container_alert() {
  Alert a = test::sample_alert();
  a.output_fields["container.name"] = std::string("web");
  a.output_fields["container.id"] = std::string("3ad7b26ded6d");
  a.output_fields["proc.name"] = std::string("bash");
  a.output_fields["proc.cmdline"] = std::string("bash -c echo <x> & true");
  return a;
}

}  // namespace

TEST_CASE("slack: golden Block Kit message - header, priority emoji, fields, the output, the text fallback") {
  auto out = hook();
  const Payload p = only_payload(*out, test::sample_alert());
  const std::string golden =
      R"J({"text":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)",)J"
      R"J("blocks":[{"type":"header","text":{"type":"plain_text","text":"Write below binary dir","emoji":true}},)J"
      R"J({"type":"section","text":{"type":"mrkdwn","text":":red_circle: *Error*  ·  syscall  ·  2019-05-17T15:31:56.746609046Z"}},)J"
      R"J({"type":"section","fields":[{"type":"mrkdwn","text":"*Rule*\nWrite below binary dir"},)J"
      R"J({"type":"mrkdwn","text":"*Priority*\nError"},{"type":"mrkdwn","text":"*Host*\nnode-1"}]},)J"
      R"J({"type":"section","text":{"type":"mrkdwn","text":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)"}}]})J";
  CHECK(p.body == golden);
  CHECK(p.url == kHook);
  CHECK(p.target == "https://hooks.slack.com");  // the path is the credential
  CHECK(p.method == "POST");
  CHECK(p.content_type == "application/json");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(p.key.empty());
}

TEST_CASE("slack: container and process fields, extra fields, mrkdwn escaping, one payload per alert") {
  auto out = hook("      fields: [k8s.ns.name, user.name]\n");
  Alert a = container_alert();
  auto f = out->format(std::vector<Alert>{a, test::small_alert("u2")});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 2);
  CHECK(f->payloads[0].items == std::vector<size_t>{0});
  CHECK(f->payloads[1].items == std::vector<size_t>{1});
  const auto body = json::parse(f->payloads[0].body);
  const auto& fields = body["blocks"][2]["fields"];
  REQUIRE(fields.size() == 6);  // rule, priority, host, container, process, user.name (k8s.ns.name is null)
  CHECK(fields[3]["text"] == "*Container*\nweb (3ad7b26ded6d)");
  CHECK(fields[4]["text"] == "*Process*\nbash -c echo &lt;x&gt; &amp; true");
  CHECK(fields[5]["text"] == "*user.name*\nroot");
  CHECK(chat::container_text(test::small_alert("x")).empty());
  Alert id_only = test::small_alert("x");
  id_only.output_fields["container.id"] = std::string("host");
  CHECK(chat::container_text(id_only) == "host");
}

TEST_CASE("slack: golden attachments and text formats") {
  auto att = hook("      format: attachments\n      channel: \"#sec\"\n");
  const std::string golden =
      R"J({"channel":"#sec","text":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)",)J"
      R"J("attachments":[{"color":"#e20b0b","fallback":"Error: Write below binary dir","title":"Write below binary dir",)J"
      R"J("fields":[{"title":"Rule","value":"Write below binary dir","short":true},{"title":"Priority","value":"Error","short":true},)J"
      R"J({"title":"Host","value":"node-1","short":true},{"title":"Source","value":"syscall","short":true},)J"
      R"J({"title":"Time","value":"2019-05-17T15:31:56.746609046Z","short":true}],"footer":"Peregrine","ts":1558107116}]})J";
  CHECK(only_payload(*att, test::sample_alert()).body == golden);

  auto text = hook("      format: text\n      text: \"{{priority_upper}} {{rule}} on {{hostname}}: {{proc.name}}\"\n");
  CHECK(only_payload(*text, test::small_alert("u")).body == R"J({"text":"WARNING R on h: &lt;NA&gt;"})J");
  // The text template escapes for mrkdwn; the title (plain_text) does not.
  auto tpl = hook("      title: \"{{rule}} <&>\"\n      text: \"{{rule}} <&>\"\n");
  auto b = json::parse(only_payload(*tpl, test::small_alert("u", Priority::kCritical, "a<b")).body);
  CHECK(b["blocks"][0]["text"]["text"] == "a<b <&>");
  CHECK(b["blocks"][3]["text"]["text"] == "a&lt;b <&>");
  CHECK(b["text"] == "a&lt;b <&>");
  CHECK(b["blocks"][1]["text"]["text"].get<std::string>().rfind(":large_orange_circle: *Critical*", 0) == 0);
}

TEST_CASE("slack: Slack's limits are kept by cutting visibly - header, section, fields, field count, text") {
  auto out = hook("      fields: [f1, f2, f3, f4, f5, f6, f7, f8]\n");
  Alert a = container_alert();
  a.rule = std::string(400, 'R');
  a.output = std::string(50'000, 'o');
  a.output_fields["proc.cmdline"] = std::string(5000, 'c');
  for (int i = 1; i <= 8; ++i) a.output_fields["f" + std::to_string(i)] = std::string("v");
  const auto body = json::parse(only_payload(*out, a).body);
  const auto chars = [](const json& s) { return chat::char_count(s.get<std::string>()); };
  const auto ends_cut = [](const json& s) {
    const std::string t = s.get<std::string>();
    return t.size() >= chat::kTruncated.size() && t.substr(t.size() - chat::kTruncated.size()) == chat::kTruncated;
  };
  const auto& blocks = body["blocks"];
  CHECK(blocks.size() <= SlackLimits::kBlocks);
  CHECK(chars(blocks[0]["text"]["text"]) == SlackLimits::kHeader);
  CHECK(ends_cut(blocks[0]["text"]["text"]));
  CHECK(chars(blocks[3]["text"]["text"]) == SlackLimits::kSectionText);
  CHECK(ends_cut(blocks[3]["text"]["text"]));
  CHECK(chars(body["text"]) == SlackLimits::kMessageText);
  CHECK(ends_cut(body["text"]));
  const auto& fields = blocks[2]["fields"];
  REQUIRE(fields.size() == SlackLimits::kFields);  // 5 summary + 8 extra = 13 facts
  CHECK(fields[9]["text"] == "*4 more fields*\n… (truncated)");
  for (const auto& f : fields) CHECK(chars(f["text"]) <= SlackLimits::kField);
  CHECK(fields[0]["text"] == "*Rule*\n" + std::string(400, 'R'));  // the 400-character rule fits a field
  CHECK(ends_cut(fields[4]["text"]));
  CHECK(chars(fields[4]["text"]) == SlackLimits::kField);

  CHECK(chat::truncate_visible("short", 10) == "short");
  CHECK(chat::truncate_visible("ééééééééééé", 10) == "… (truncat");  // a limit below the marker: the marker's start
  CHECK(chat::char_count(chat::truncate_visible(std::string(20, 'x') + "ééé", 20)) == 20);
  CHECK(chat::truncate_visible("abcdefghijklmnop&amp;rest of the text", 31) == "abcdefghijklmnop… (truncated)");
}

TEST_CASE("slack: chat.postMessage - the API URL, the bot token as bearer, the channel, Slack's verdicts") {
  auto out = build("      bot_token: xoxb-123-slack-bot-token\n      channel: C0123\n"
                   "      api_url: http://127.0.0.1:1/api/chat.postMessage\n");
  const Payload p = only_payload(*out, test::sample_alert());
  CHECK(p.url == "http://127.0.0.1:1/api/chat.postMessage");
  CHECK(p.target == "http://127.0.0.1:1/api/chat.postMessage");
  CHECK(p.content_type == "application/json; charset=utf-8");
  CHECK(json::parse(p.body)["channel"] == "C0123");
  CHECK(secrets::redact("token xoxb-123-slack-bot-token") == "token ***");

  CHECK_FALSE(slack_api_failure(R"J({"ok":true,"channel":"C0123","ts":"1.2"})J"));
  CHECK_FALSE(slack_api_failure(R"J({"ok":true,"message":{"text":"cut off by max_response_bytes)J"));
  auto nf = slack_api_failure(R"J({"ok":false,"error":"channel_not_found"})J");
  REQUIRE(nf);
  CHECK(nf->kind == SendFailure::Kind::kRejected);
  CHECK(nf->message == "Slack: channel_not_found");
  auto rl = slack_api_failure(R"J({"ok":false,"error":"ratelimited"})J");
  REQUIRE(rl);
  CHECK(rl->kind == SendFailure::Kind::kHttpStatus);
  CHECK(rl->http_status == 429);
  CHECK(slack_api_failure(R"J({"ok":false,"error":"internal_error"})J")->http_status == 503);
  CHECK(slack_api_failure("<html>proxy</html>")->kind == SendFailure::Kind::kRejected);
}

TEST_CASE("slack: send() against a fake Slack API - bearer token, ok:false and HTTP 429 as facts") {
  peregrine::testing::TestHttpServer api;
  std::atomic<int> n{0};
  api.handle("POST", "/api/chat.postMessage", [&](const auto&, httplib::Response& res) {
    switch (++n) {
      case 1: res.set_content(R"J({"ok":true})J", "application/json"); break;
      case 2: res.set_content(R"J({"ok":false,"error":"not_in_channel"})J", "application/json"); break;
      default:
        res.status = 429;
        res.set_header("Retry-After", "7");
        res.set_content(R"J({"ok":false,"error":"ratelimited"})J", "application/json");
    }
  });
  api.start();
  auto out = build("      bot_token: xoxb-9-token-for-send\n      channel: C1\n      api_url: " +
                   api.url("/api/chat.postMessage") + "\n");
  const Payload p = only_payload(*out, test::sample_alert());
  CHECK(out->send(p).ok());
  auto refused = out->send(p);
  REQUIRE(refused.failure);
  CHECK(refused.failure->message == "Slack: not_in_channel");
  auto limited = out->send(p);
  REQUIRE(limited.failure);
  CHECK(limited.failure->http_status == 429);
  CHECK(limited.failure->retry_after == std::chrono::milliseconds(7000));
  const auto seen = api.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].header("Authorization") == "Bearer xoxb-9-token-for-send");
  CHECK(seen[0].header("Content-Type") == "application/json; charset=utf-8");
}

TEST_CASE("slack: config keys and errors with file:line:col") {
  auto out = hook("      timeout_ms: 5000\n      concurrency: 2\n");
  CHECK(out->concurrency() == 2);
  CHECK(out->common().delivery.batch_max_alerts == 100);
  CHECK(out->common().delivery.linger.count() == 0);
  CHECK(secrets::redact("posting to " + kHook) == "posting to ***");

  CHECK(error_of("      channel: x\n").find("slack.yaml:3:") != std::string::npos);  // neither: at the section
  CHECK(error_of("      webhook_url: " + kHook + "\n      bot_token: xoxb-1-x\n").find("either webhook_url") !=
        std::string::npos);
  CHECK(error_of("      webhook_url: not a url\n").find("slack.yaml:5:20") != std::string::npos);
  CHECK(error_of("      bot_token: xoxb-1-abcd\n").find("needs a channel") != std::string::npos);
  CHECK(error_of("      webhook_url: " + kHook + "\n      format: markdown\n").find("slack.yaml:6:15") !=
        std::string::npos);
  CHECK(error_of("      webhook_url: " + kHook + "\n      text: \"{{rule\"\n").find("slack.yaml:6:") !=
        std::string::npos);
  CHECK(error_of("      webhook_url: " + kHook + "\n      api_url: http://x\n").find("only with bot_token") !=
        std::string::npos);
  CHECK(error_of("      bot_token: xoxb-1-abcd\n      channel: c\n      auth: {bearer_token: other-token}\n")
            .find("give no auth") != std::string::npos);
  CHECK(error_of("      webhook_url: " + kHook + "\n      colour: red\n").find("unknown key 'colour'") !=
        std::string::npos);
  // No error message repeats the webhook URL (the credential).
  CHECK(error_of("      webhook_url: " + kHook + "\n      format: markdown\n").find("slack-hook-secret") ==
        std::string::npos);
}
