// Twilio output without a network: golden form bodies (one per recipient, keyed by it), the Messages URL,
// shortening, Twilio's error bodies, and the config keys (good, and bad with file:line:col).
#include <doctest/doctest.h>

#include "common/secrets.h"
#include "outputs/twilio/twilio_output.h"
#include "tests/outputs/build_output.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

const std::string kKeys =
    "      account_sid: AC0123456789abcdef0123456789abcdef\n"
    "      auth_token: tok-9f8e7d6c5b4a\n"
    "      from: \"+15557654321\"\n"
    "      to: [\"+15551234567\", \"+15550000002\"]\n"
    "      api_url: http://127.0.0.1:8080/\n";

const char* kGoldenBody =
    "To=%2B15551234567&From=%2B15557654321&Body=ERROR%20Write%20below%20binary%20dir%20on%20node-1%3A%2016%3A31%3A56"
    ".746609046%3A%20Error%20File%20below%20a%20known%20binary%20directory%20opened%20for%20writing%20%28user%3Droot"
    "%20file%3D%2Fbin%2Fhack%29";

}  // namespace

TEST_CASE("twilio: golden form body, one request per recipient keyed by the recipient") {
  auto out = test::build_output("twilio", kKeys);
  auto f = out->format(std::vector<Alert>{test::sample_alert()});
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 2);
  const auto& p = f->payloads[0];
  CHECK(p.body == kGoldenBody);
  CHECK(p.url == "http://127.0.0.1:8080/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
  CHECK(p.target == p.url);
  CHECK(p.method == "POST");
  CHECK(p.content_type == "application/x-www-form-urlencoded");
  CHECK(p.key == "+15551234567");
  CHECK(p.items == std::vector<size_t>{0});
  CHECK(f->payloads[1].key == "+15550000002");
  CHECK(f->payloads[1].body.rfind("To=%2B15550000002&From=%2B15557654321&Body=ERROR%20Write", 0) == 0);
  CHECK(f->set_aside.empty());
  const auto& cfg = dynamic_cast<TwilioOutput&>(*out).config();
  CHECK(cfg.http.auth.username == "AC0123456789abcdef0123456789abcdef");
  CHECK(cfg.http.auth.password == "tok-9f8e7d6c5b4a");
  CHECK(secrets::redact("token tok-9f8e7d6c5b4a") == "token ***");
  CHECK(out->common().delivery.batch_max_alerts == 100);
  CHECK(out->common().delivery.linger == std::chrono::milliseconds(0));
}

TEST_CASE("twilio: MessagingServiceSid instead of From, StatusCallback, a cut text, an empty text set aside") {
  auto out = test::build_output("twilio",
                                "      account_sid: AC1\n      auth_token: secret-token\n"
                                "      messaging_service_sid: MG0123\n      to: \"+15551234567\"\n"
                                "      status_callback: https://example.test/cb?x=1\n"
                                "      text: \"{{output}}\"\n      max_segments: 1\n      cut_marker: \" [more]\"\n");
  std::vector<Alert> batch{test::small_alert("u1"), test::small_alert("u2")};
  batch[0].output = std::string(200, 'z');
  batch[1].output = "";
  auto f = out->format(batch);
  REQUIRE(f.ok());
  REQUIRE(f->payloads.size() == 1);
  // [ and ] are GSM-7 extension characters: the marker takes 9 septets, leaving 151.
  CHECK(f->payloads[0].body == "To=%2B15551234567&MessagingServiceSid=MG0123&Body=" + std::string(151, 'z') +
                                   "%20%5Bmore%5D&StatusCallback=https%3A%2F%2Fexample.test%2Fcb%3Fx%3D1");
  CHECK(f->payloads[0].url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
  REQUIRE(f->set_aside.size() == 1);
  CHECK(f->set_aside[0].item == 1);
  CHECK(f->set_aside[0].reason == "empty_text");
}

TEST_CASE("twilio: error bodies give Twilio's code and message") {
  CHECK(twilio_error(R"({"code":21211,"message":"Invalid 'To' Phone Number","more_info":"https://www.twilio.com/docs/errors/21211","status":400})") ==
        "Twilio error 21211: Invalid 'To' Phone Number");
  CHECK(twilio_error(R"({"code":20429,"message":"Too Many Requests","status":429})") ==
        "Twilio error 20429: Too Many Requests");
  CHECK(twilio_error("<html>bad gateway</html>").empty());
  CHECK(twilio_error(R"({"message":"no code"})").empty());
}

TEST_CASE("twilio: an API key as auth.username/password replaces account_sid:auth_token") {
  auto out = test::build_output("twilio", "      account_sid: AC9\n      from: Falco\n      to: [\"+1555\"]\n"
                                          "      auth: {username: SK123, password: api-secret-1}\n");
  const auto& cfg = dynamic_cast<TwilioOutput&>(*out).config();
  CHECK(cfg.http.auth.username == "SK123");
  CHECK(cfg.http.auth.password == "api-secret-1");
}

TEST_CASE("twilio: config errors name the key with file:line:col") {
  const std::string base = "      account_sid: AC1\n      auth_token: secret-token\n";
  CHECK(test::output_error("twilio", "      auth_token: x1234\n      from: a\n      to: [b]\n")
            .find("key 'account_sid'") != std::string::npos);
  const std::string no_token = test::output_error("twilio", "      account_sid: AC1\n      from: a\n      to: [b]\n");
  CHECK_MESSAGE(no_token.find("twilio.yaml:3:7: key 'auth_token'") != std::string::npos, no_token);
  CHECK(test::output_error("twilio", base + "      to: [b]\n").find("exactly one of from and messaging_service_sid") !=
        std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      messaging_service_sid: MG1\n      to: [b]\n")
            .find("twilio.yaml:8:30: key 'messaging_service_sid'") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n").find("key 'to'") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: []\n").find("twilio.yaml:8:11:") !=
        std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [\"+1\", \"+2\", \"+1\"]\n")
            .find("twilio.yaml:8:24: key 'to': recipient '+1' is listed twice") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      max_segments: 11\n")
            .find("twilio.yaml:9:21:") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      encoding: latin1\n")
            .find("auto") != std::string::npos);
  const std::string marker = test::output_error("twilio", base + "      from: a\n      to: [b]\n      cut_marker: \"…\"\n");
  CHECK_MESSAGE(marker.find("twilio.yaml:9:19: key 'cut_marker'") != std::string::npos, marker);
  CHECK_MESSAGE(marker.find("must be made of GSM-7") != std::string::npos, marker);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      text: \"{{rule\"\n")
            .find("twilio.yaml:9:") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      api_url: ftp://x\n")
            .find("key 'api_url'") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      auth: {bearer_token: abcdef}\n")
            .find("basic auth only") != std::string::npos);
  CHECK(test::output_error("twilio", base + "      from: a\n      to: [b]\n      colour: red\n")
            .find("unknown key 'colour'") != std::string::npos);
}
