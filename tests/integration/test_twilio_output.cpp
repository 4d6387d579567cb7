// The twilio output through the real router against a faithful fake of Twilio's Messages API (Twilio is
// cloud-only). The fake enforces the request shape — the account SID in the path, basic auth, form encoding,
// To/From/Body present, E.164 numbers, Body at most 1600 characters — and answers as Twilio does: 201 with the
// message JSON, 400 with code 21211 for a bad number, 401 with code 20003, 429 (code 20429) with Retry-After,
// 5xx. One recipient failing is retried alone: the other is never sent the same alert twice.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <regex>

#include "common/base64.h"
#include "outputs/template/gsm7.h"
#include "tests/integration/router_rig.h"
#include "tests/support/http_server.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kSid = "AC00000000000000000000000000000001";
constexpr const char* kToken = "twilio-test-token-5f4e3d";

class TwilioFake {
 public:
  /// `script[to]`: the statuses answered to that recipient in turn (the last one repeats); default 201.
  explicit TwilioFake(std::map<std::string, std::vector<int>> script = {}) : script_(std::move(script)) {
    server_.handle("POST", R"(/2010-04-01/Accounts/([^/]+)/Messages\.json)",
                   [this](const SeenRequest& r, httplib::Response& res) { answer(r, res); });
    server_.start();
  }
  std::string url() const { return server_.url(); }
  /// Requests that reached a recipient's script (a well-formed request), per To.
  std::map<std::string, int> sent() {
    std::lock_guard lk(mu_);
    return sent_;
  }
  /// When each well-formed request to `to` arrived.
  std::vector<std::chrono::steady_clock::time_point> times(const std::string& to) {
    std::lock_guard lk(mu_);
    return times_[to];
  }
  std::vector<SeenRequest> requests() const { return server_.requests(); }
  bool wait_requests(size_t n, std::chrono::milliseconds t) const { return server_.wait_requests(n, t); }

 private:
  static void error(httplib::Response& res, int status, int code, const std::string& message) {
    res.status = status;
    res.set_content(json{{"code", code}, {"message", message},
                         {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                         {"status", status}}.dump(), "application/json");
  }

  void answer(const SeenRequest& r, httplib::Response& res) {
    const std::string auth = "Basic " + peregrine::base64_encode(std::string(kSid) + ":" + kToken);
    if (r.path != std::string("/2010-04-01/Accounts/") + kSid + "/Messages.json")
      return error(res, 404, 20404, "The requested resource was not found");
    if (r.header("Authorization") != auth) return error(res, 401, 20003, "Authenticate");
    if (r.header("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0 || !r.params.count("Body"))
      return error(res, 400, 21602, "Message body is required.");
    if (!r.params.count("To")) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!r.params.count("From") && !r.params.count("MessagingServiceSid"))
      return error(res, 400, 21603, "A 'From' phone number is required.");
    const std::string to = r.params.find("To")->second, body = r.params.find("Body")->second;
    if (peregrine::outputs::utf8_code_points(body).size() > 1600)
      return error(res, 400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    if (!std::regex_match(to, std::regex(R"(\+[1-9][0-9]{1,14})"))) return error(res, 400, 21211, "Invalid 'To' Phone Number");
    int status = 201;
    {
      std::lock_guard lk(mu_);
      const int n = sent_[to]++;
      times_[to].push_back(std::chrono::steady_clock::now());
      if (auto it = script_.find(to); it != script_.end() && !it->second.empty())
        status = it->second[std::min<size_t>(static_cast<size_t>(n), it->second.size() - 1)];
    }
    if (status == 429) {
      res.set_header("Retry-After", "1");
      return error(res, 429, 20429, "Too Many Requests");
    }
    if (status >= 500) return error(res, status, 20500, "Internal Server Error");
    res.status = 201;
    res.set_content(json{{"sid", "SM" + std::string(32, 'a')}, {"status", "queued"}, {"to", to},
                         {"from", r.params.find("From")->second}, {"body", body}, {"num_segments", "1"},
                         {"error_code", nullptr}}.dump(), "application/json");
  }

  TestHttpServer server_;
  std::map<std::string, std::vector<int>> script_;
  std::mutex mu_;
  std::map<std::string, int> sent_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> times_;
};

std::string twilio_output(const std::string& url, const std::string& to, const std::string& extra = "",
                          const std::string& delivery = "{linger_ms: 0, initial_backoff_ms: 50, max_backoff_ms: 500}") {
  return "    - type: twilio\n"
         "      name: twilio\n"
         "      api_url: " + url + "\n"
         "      account_sid: " + kSid + "\n"
         "      auth_token: " + kToken + "\n"
         "      from: \"+15557654321\"\n"
         "      to: " + to + "\n"
         "      delivery: " + delivery + "\n" + extra;
}

double counter(RouterRig& r, const std::string& name) { return r.counter("peregrine_router_output_" + name, "twilio"); }

}  // namespace

TEST_CASE("twilio: one form-encoded message per recipient, Body cut to max_segments and under 1600 characters") {
  TwilioFake fake;
  TempDir dir;
  RouterRig router(dir, twilio_output(fake.url(), "[\"+15550000001\", \"+15550000002\"]",
                                      "      text: \"{{output}}\"\n      max_segments: 10\n"));
  json a = falco_alert(test_uuid("tw", 1));
  a["output"] = std::string(3000, 'q');
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return counter(router, "delivered_total") == 1; }, 20s), router.log());
  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 2);
  for (const auto& r : reqs) {
    CHECK(r.params.find("From")->second == "+15557654321");
    CHECK(r.params.find("Body")->second == std::string(1524, 'q') + " (cut)");  // 10 x 153 septets
  }
  CHECK(fake.sent() == std::map<std::string, int>{{"+15550000001", 1}, {"+15550000002", 1}});
  CHECK(router.dead_letters().empty());
}

TEST_CASE("twilio: a bad number is dead-lettered with Twilio's code 21211 and message, the good one delivered once") {
  TwilioFake fake;
  TempDir dir;
  RouterRig router(dir, twilio_output(fake.url(), "[\"+15550000001\", \"555-bad\"]"));
  const json a = falco_alert(test_uuid("tw", 2));
  REQUIRE(router.post({a}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return counter(router, "failed_total") == 1; }, 20s), router.log());
  const auto dead = router.dead_letters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["alert"]["uuid"] == a["uuid"]);
  const std::string reason = dead[0]["reason"];
  CHECK_MESSAGE(reason == "permanent failure: HTTP 400: Twilio error 21211: Invalid 'To' Phone Number (To 555-bad)",
                reason);
  CHECK(fake.requests().size() == 2);
  CHECK(fake.sent() == std::map<std::string, int>{{"+15550000001", 1}});
  CHECK(counter(router, "retried_total") == 0);
}

TEST_CASE("twilio: a 429 and a 503 for one recipient are retried for it alone, honouring Retry-After") {
  TwilioFake fake({{"+15550000002", {429, 503, 201}}});
  TempDir dir;
  RouterRig router(dir, twilio_output(fake.url(), "[\"+15550000001\", \"+15550000002\"]"));
  REQUIRE(router.post({falco_alert(test_uuid("tw", 3))}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return counter(router, "delivered_total") == 1; }, 20s), router.log());
  // The other recipient got the alert once: retries skip (alert, recipient) pairs already delivered.
  CHECK(fake.sent() == std::map<std::string, int>{{"+15550000001", 1}, {"+15550000002", 3}});
  CHECK(fake.requests().size() == 4);
  const auto at = fake.times("+15550000002");
  REQUIRE(at.size() == 3);
  CHECK(at[1] - at[0] >= 1s);  // Retry-After: 1 on the 429
  CHECK(at[1] - at[0] < 5s);
  CHECK(counter(router, "retried_total") == 2);
  CHECK(router.dead_letters().empty());
}

TEST_CASE("twilio: a wrong auth token is a permanent 401 (code 20003) and the token never shows") {
  TwilioFake fake;
  TempDir dir;
  std::string cfg = twilio_output(fake.url(), "[\"+15550000001\"]");
  cfg.replace(cfg.find(kToken), std::string(kToken).size(), "wrong-token-0123456789");
  RouterRig router(dir, cfg);
  REQUIRE(router.post({falco_alert(test_uuid("tw", 4))}) == 200);
  REQUIRE_MESSAGE(wait_until([&] { return counter(router, "failed_total") == 1; }, 20s), router.log());
  const std::string reason = router.dead_letters().at(0)["reason"];
  CHECK_MESSAGE(reason.find("HTTP 401: Twilio error 20003: Authenticate") != std::string::npos, reason);
  CHECK(router.log().find("wrong-token-0123456789") == std::string::npos);
  CHECK(fake.sent().empty());
}

TEST_CASE("twilio: a Messages API that accepts and never answers times out, is retried, then dead-lettered") {
  SilentServer hung;
  TempDir dir;
  RouterRig router(dir, twilio_output("http://127.0.0.1:" + std::to_string(hung.port()), "[\"+15550000001\"]",
                                      "      timeout_ms: 500\n      connect_timeout_ms: 200\n",
                                      "{linger_ms: 0, initial_backoff_ms: 50, max_attempts: 2}") +
                            "    - type: file\n      name: file\n      path: " + (dir / "alerts.jsonl").string() + "\n");
  REQUIRE(router.post({falco_alert(test_uuid("tw", 5))}) == 200);
  REQUIRE(wait_until([&] { return read_lines(dir / "alerts.jsonl").size() == 1; }, 5s));  // not held up
  REQUIRE_MESSAGE(wait_until([&] { return counter(router, "failed_total") == 1; }, 20s), router.log());
  const std::string reason = router.dead_letters().at(0)["reason"];
  CHECK_MESSAGE(reason.find("retries exhausted after 2 attempts") != std::string::npos, reason);
  CHECK_MESSAGE(reason.find("timed out") != std::string::npos, reason);
  CHECK(hung.accepted() >= 2);
  CHECK(counter(router, "delivered_total") == 0);
}
