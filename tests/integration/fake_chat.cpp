#include "tests/integration/fake_chat.h"

#include <unistd.h>

#include <atomic>

#include "tests/outputs/teams_card_check.h"

namespace peregrine::testing {
namespace {

using nlohmann::json;

// Characters as Slack and Teams count them: Unicode code points.
size_t chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) == 0x80 ? 0 : 1;
  return n;
}

std::string text_of(const json& j, const std::string& key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool json_content_type(const SeenRequest& req) { return req.header("Content-Type").rfind("application/json", 0) == 0; }

std::string unique_secret(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + std::to_string(::getpid()) + "x" + std::to_string(++n) + "Zq";
}

// A Slack text object: {"type":"plain_text"|"mrkdwn","text":"..."} with 1..max characters.
std::string text_object_problem(const json& t, size_t max, bool plain_only) {
  if (!t.is_object()) return "text object is not an object";
  const std::string type = text_of(t, "type");
  if (type != "plain_text" && (plain_only || type != "mrkdwn")) return "bad text object type '" + type + "'";
  const size_t n = chars(text_of(t, "text"));
  if (n == 0) return "empty text";
  if (n > max) return "text of " + std::to_string(n) + " characters (limit " + std::to_string(max) + ")";
  return "";
}

std::string block_problem(const json& b) {
  const std::string type = text_of(b, "type");
  if (type == "header") return b.contains("text") ? text_object_problem(b["text"], 150, true) : "header without text";
  if (type == "section") {
    if (!b.contains("text") && !b.contains("fields")) return "section without text or fields";
    if (b.contains("text"))
      if (auto p = text_object_problem(b["text"], 3000, false); !p.empty()) return "section " + p;
    if (b.contains("fields")) {
      if (!b["fields"].is_array() || b["fields"].empty() || b["fields"].size() > 10) return "section fields: 1..10";
      for (const auto& f : b["fields"])
        if (auto p = text_object_problem(f, 2000, false); !p.empty()) return "field " + p;
    }
    return "";
  }
  if (type == "context" || type == "divider" || type == "actions" || type == "image") return "";
  return "unknown block type '" + type + "'";
}

}  // namespace

void ChatFake::answer_next(FakeAnswer a) {
  std::lock_guard lk(mu_);
  next_.push_back(std::move(a));
}

void ChatFake::answer_always(std::optional<FakeAnswer> a) {
  std::lock_guard lk(mu_);
  always_ = std::move(a);
}

size_t ChatFake::messages() const {
  std::lock_guard lk(mu_);
  return accepted_.size();
}

std::vector<json> ChatFake::bodies() const {
  std::lock_guard lk(mu_);
  return accepted_;
}

std::vector<std::string> ChatFake::rejections() const {
  std::lock_guard lk(mu_);
  return rejections_;
}

bool ChatFake::wait_messages(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return accepted_.size() >= n; });
}

std::vector<std::chrono::steady_clock::time_point> ChatFake::request_times() const {
  std::lock_guard lk(mu_);
  return times_;
}

void ChatFake::apply(const FakeAnswer& a, httplib::Response& res) {
  res.status = a.status;
  if (!a.retry_after.empty()) res.set_header("Retry-After", a.retry_after);
  res.set_content(a.body, a.content_type);
}

void ChatFake::serve(const SeenRequest& req, httplib::Response& res,
                     const std::function<Verdict(const SeenRequest&)>& judge) {
  {
    std::lock_guard lk(mu_);
    times_.push_back(std::chrono::steady_clock::now());
    if (!next_.empty()) {
      apply(next_.front(), res);
      next_.pop_front();
      return;
    }
  }
  Verdict v = judge(req);  // outside the lock: the Teams card check runs node
  std::lock_guard lk(mu_);
  if (!v.accepted) {
    rejections_.push_back(v.problem);
  } else if (always_) {
    v.answer = *always_;
  } else {
    accepted_.push_back(json::parse(req.body));
    cv_.notify_all();
  }
  apply(v.answer, res);
}

// --- Slack -------------------------------------------------------------------------------------------------

SlackFake::SlackFake(Mode mode, std::string token, std::string channel)
    : mode_(mode), token_(std::move(token)), channel_(std::move(channel)), secret_(unique_secret("slackHookSecret")) {
  const std::string path = mode_ == Mode::kApi ? "/api/chat.postMessage" : "/services/.*";
  server_.handle("POST", path, [this](const SeenRequest& req, httplib::Response& res) {
    serve(req, res, [this](const SeenRequest& r) { return judge(r); });
  });
  server_.start();
}

std::string SlackFake::url() const {
  return mode_ == Mode::kApi ? server_.url("/api/chat.postMessage") : server_.url("/services/T0FAKE/B0FAKE/" + secret_);
}

FakeAnswer SlackFake::rate_limited(int retry_after_seconds) {
  return FakeAnswer{429, "rate_limited", "text/plain", std::to_string(retry_after_seconds)};
}

FakeAnswer SlackFake::server_error(int status) { return FakeAnswer{status, "internal_error", "text/plain", ""}; }

FakeAnswer SlackFake::refusal(int webhook_status, const std::string& error) const {
  if (mode_ == Mode::kApi) return FakeAnswer{200, json{{"ok", false}, {"error", error}}.dump(), "application/json", ""};
  return FakeAnswer{webhook_status, error, "text/plain", ""};
}

std::string SlackFake::shape_problems(const json& m) {
  if (!m.is_object()) return "invalid_payload: not a JSON object";
  const bool has_text = !text_of(m, "text").empty();
  const bool has_blocks = m.contains("blocks") && m["blocks"].is_array() && !m["blocks"].empty();
  const bool has_attachments = m.contains("attachments") && m["attachments"].is_array() && !m["attachments"].empty();
  if (!has_text && !has_blocks && !has_attachments) return "no_text: neither text, blocks nor attachments";
  if (chars(text_of(m, "text")) > 40000) return "msg_too_long: text over 40000 characters";
  if (m.contains("blocks")) {
    if (!m["blocks"].is_array() || m["blocks"].size() > 50) return "invalid_blocks: blocks must be 1..50";
    for (size_t i = 0; i < m["blocks"].size(); ++i)
      if (auto p = block_problem(m["blocks"][i]); !p.empty()) return "invalid_blocks: block " + std::to_string(i) + ": " + p;
  }
  if (has_attachments && m["attachments"].size() > 100) return "too_many_attachments";
  return "";
}

ChatFake::Verdict SlackFake::judge(const SeenRequest& req) const {
  Verdict v;
  if (mode_ == Mode::kWebhook && req.path != "/services/T0FAKE/B0FAKE/" + secret_)
    return Verdict{false, FakeAnswer{404, "no_service", "text/plain", ""}, "no_service: unknown webhook path"};
  if (mode_ == Mode::kApi && req.header("Authorization") != "Bearer " + token_)
    return Verdict{false, refusal(401, "invalid_auth"), "invalid_auth"};
  if (!json_content_type(req))
    return Verdict{false, refusal(400, "invalid_payload"), "invalid_payload: Content-Type " + req.header("Content-Type")};
  const json m = json::parse(req.body, nullptr, false);
  if (auto p = shape_problems(m); !p.empty()) return Verdict{false, refusal(400, p.substr(0, p.find(':'))), p};
  if (mode_ == Mode::kApi && text_of(m, "channel") != channel_)
    return Verdict{false, refusal(404, "channel_not_found"), "channel_not_found: " + text_of(m, "channel")};
  v.accepted = true;
  v.answer = mode_ == Mode::kApi
                 ? FakeAnswer{200, json{{"ok", true}, {"channel", channel_}, {"ts", "1767261600.000100"}}.dump(),
                              "application/json", ""}
                 : FakeAnswer{200, "ok", "text/plain", ""};
  return v;
}

// --- Teams -------------------------------------------------------------------------------------------------

TeamsFake::TeamsFake(Mode mode) : mode_(mode), secret_(unique_secret("teamsSig")) {
  const std::string path = mode_ == Mode::kWorkflows ? "/workflows/.*" : "/webhookb2/.*";
  server_.handle("POST", path, [this](const SeenRequest& req, httplib::Response& res) {
    serve(req, res, [this](const SeenRequest& r) { return judge(r); });
  });
  server_.start();
}

std::string TeamsFake::url() const {
  if (mode_ == Mode::kConnector)
    return server_.url("/webhookb2/0f1e2d3c@4b5a/IncomingWebhook/" + secret_ + "/7c8d");
  return server_.url("/workflows/0abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun"
                     "&sv=1.0&sig=" + secret_);
}

FakeAnswer TeamsFake::throttled_in_body() {
  return FakeAnswer{200,
                    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 "
                    "with ContextId tcid=0,server=msgapi-fake,cv=0",
                    "text/plain", ""};
}

std::string TeamsFake::envelope_problems(const json& m) {
  if (!m.is_object() || text_of(m, "type") != "message") return "type must be \"message\"";
  if (!m.contains("attachments") || !m["attachments"].is_array() || m["attachments"].empty())
    return "attachments must be a non-empty array";
  for (const auto& a : m["attachments"]) {
    if (text_of(a, "contentType") != "application/vnd.microsoft.card.adaptive")
      return "contentType must be application/vnd.microsoft.card.adaptive";
    if (!a.contains("contentUrl") || !a["contentUrl"].is_null()) return "contentUrl must be null";
    if (!a.contains("content") || !a["content"].is_object()) return "content must be the card";
    if (auto p = card_problems(a["content"].dump()); !p.empty()) return "card: " + p;
  }
  return "";
}

std::string TeamsFake::message_card_problems(const json& c) {
  if (!c.is_object() || text_of(c, "@type") != "MessageCard") return "@type must be MessageCard";
  if (text_of(c, "@context") != "http://schema.org/extensions") return "@context must be http://schema.org/extensions";
  if (text_of(c, "summary").empty() && text_of(c, "text").empty()) return "Summary or Text is required.";
  const std::string colour = text_of(c, "themeColor");
  if (!colour.empty() && colour.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return "themeColor must be hex";
  if (c.contains("sections") && !c["sections"].is_array()) return "sections must be an array";
  return "";
}

ChatFake::Verdict TeamsFake::judge(const SeenRequest& req) const {
  const bool workflows = mode_ == Mode::kWorkflows;
  const bool signed_ok = workflows ? (req.params.count("sig") && req.params.find("sig")->second == secret_)
                                   : req.path.find(secret_) != std::string::npos;
  if (!signed_ok)
    return Verdict{false, FakeAnswer{401, R"({"error":{"code":"DirectApiAuthorizationRequired"}})", "application/json", ""},
                   "unauthorized: wrong signature"};
  if (!json_content_type(req))
    return Verdict{false, FakeAnswer{415, "unsupported media type", "text/plain", ""}, "Content-Type " + req.header("Content-Type")};
  const json m = json::parse(req.body, nullptr, false);
  const std::string p = workflows ? envelope_problems(m) : message_card_problems(m);
  if (!p.empty()) return Verdict{false, FakeAnswer{400, p, "text/plain", ""}, p};
  return Verdict{true, workflows ? FakeAnswer{202, "", "text/plain", ""} : FakeAnswer{200, "1", "text/plain", ""}, ""};
}

}  // namespace peregrine::testing
