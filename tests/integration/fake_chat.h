// Faithful fakes of Slack and Microsoft Teams for the router's integration tests (neither has a server that can
// run here). Each is a TestHttpServer on 127.0.0.1 that checks every request as the real service would —
// documented shape and limits — and answers as it does; tests script failures on top.
//
//   SlackFake slack;                                  // an incoming webhook (or SlackFake::Mode::kApi)
//   RouterRig router(dir, "    - type: slack\n      webhook_url: " + slack.url() + "\n");
//   slack.answer_next(SlackFake::rate_limited(2));    // the next request gets 429 + Retry-After: 2
//   REQUIRE(slack.wait_messages(1));
//   slack.bodies()[0]["blocks"] ...                   // the parsed messages Slack accepted, in order
//
// Scripted answers come before the shape check (a rate limiter answers before the payload is read);
// answer_always() comes after it (e.g. channel_not_found for every well-formed message). A malformed message is
// refused as Slack/Teams refuse it and listed in rejections(). For a receiver that hangs, use SilentServer
// (tests/support/http_server.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_server.h"

namespace peregrine::testing {

/// One scripted answer.
struct FakeAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::string retry_after;  // "" = no Retry-After header
};

/// What both fakes share: scripted answers and the record of accepted messages.
class ChatFake {
 public:
  virtual ~ChatFake() = default;
  /// Queues an answer for the next request (once each, in order), before any check of the request.
  void answer_next(FakeAnswer a);
  /// Answers every well-formed message with `a` from now on (nullopt: back to accepting).
  void answer_always(std::optional<FakeAnswer> a);

  /// Messages accepted (well-formed and answered as delivered).
  size_t messages() const;
  /// Their parsed bodies, in arrival order.
  std::vector<nlohmann::json> bodies() const;
  /// Why malformed messages were refused (one line each); empty when every message was well-formed.
  std::vector<std::string> rejections() const;
  /// Waits until at least `n` messages were accepted.
  bool wait_messages(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  /// Arrival time of every request, accepted or not.
  std::vector<std::chrono::steady_clock::time_point> request_times() const;
  /// Every request as received (headers, path, body).
  std::vector<SeenRequest> requests() const { return server_.requests(); }
  int port() const { return server_.port(); }

 protected:
  /// The request's answer; `check` returns "" for a well-formed message or the refusal (answer + reason).
  struct Verdict {
    bool accepted = false;
    FakeAnswer answer;
    std::string problem;  // for rejections()
  };
  void serve(const SeenRequest& req, httplib::Response& res, const std::function<Verdict(const SeenRequest&)>& judge);
  TestHttpServer server_;

 private:
  static void apply(const FakeAnswer& a, httplib::Response& res);
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<FakeAnswer> next_;
  std::optional<FakeAnswer> always_;
  std::vector<nlohmann::json> accepted_;
  std::vector<std::string> rejections_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

/// Slack: an incoming webhook (answers `ok`, plain-text errors) or chat.postMessage (answers JSON with "ok").
/// Checks: Content-Type application/json, a JSON object with `text`, `blocks` or `attachments`; at most 50
/// blocks; header plain_text of 1..150 characters; section text 1..3000 characters; at most 10 fields of
/// 1..2000 characters; `text` at most 40000 characters; the API mode also Authorization: Bearer <token> and
/// the channel. Refusals: 400 invalid_payload / no_text / invalid_blocks / msg_too_long (API: 200 with
/// {"ok":false,"error":...}).
class SlackFake : public ChatFake {
 public:
  enum class Mode { kWebhook, kApi };
  explicit SlackFake(Mode mode = Mode::kWebhook, std::string token = "xoxb-fake-bot-token-Lq2",
                     std::string channel = "C0FAKECHAN");
  /// Webhook: http://127.0.0.1:<port>/services/T0FAKE/B0FAKE/<secret>; API: http://127.0.0.1:<port>/api/chat.postMessage.
  std::string url() const;
  /// The credential part of the webhook URL (for "is it in the logs" checks).
  const std::string& secret() const { return secret_; }
  const std::string& token() const { return token_; }
  const std::string& channel() const { return channel_; }

  static FakeAnswer rate_limited(int retry_after_seconds);
  static FakeAnswer server_error(int status = 500);
  /// Slack's answer for a channel that does not exist: webhook 404 `channel_not_found`, API 200 ok:false.
  FakeAnswer channel_not_found() const { return refusal(404, "channel_not_found"); }
  /// Slack's limits as a list of problems of one message ("" = none).
  static std::string shape_problems(const nlohmann::json& message);

 private:
  FakeAnswer refusal(int webhook_status, const std::string& error) const;
  Verdict judge(const SeenRequest& req) const;
  Mode mode_;
  std::string token_, channel_, secret_;
};

/// Microsoft Teams: a Workflows webhook (the message envelope with an Adaptive Card checked by validate_card.js;
/// answers 202, empty) or a legacy O365 connector (MessageCard; answers 200 `1`). Refusals: 401 for a wrong
/// `sig`, 400 with the problems. Workflows mode needs the adaptivecards receiver (tests skip without it).
class TeamsFake : public ChatFake {
 public:
  enum class Mode { kWorkflows, kConnector };
  explicit TeamsFake(Mode mode = Mode::kWorkflows);
  /// The webhook URL, its signature (secret()) in the query as Power Automate's.
  std::string url() const;
  const std::string& secret() const { return secret_; }
  /// A connector's throttling: 200 with "Microsoft Teams endpoint returned HTTP error 429" in the body.
  static FakeAnswer throttled_in_body();
  static FakeAnswer server_error(int status = 502) { return FakeAnswer{status, "upstream error", "text/plain", ""}; }
  /// The problems of a Workflows message (envelope + card) or a MessageCard ("" = none).
  static std::string envelope_problems(const nlohmann::json& message);
  static std::string message_card_problems(const nlohmann::json& card);

 private:
  Verdict judge(const SeenRequest& req) const;
  Mode mode_;
  std::string secret_;
};

}  // namespace peregrine::testing
