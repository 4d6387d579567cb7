#include "responder/responder_app.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace peregrine::responder {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Response json_reply(int status, const nlohmann::json& j) {
  http::Response r;
  r.status = status;
  r.body = j.dump();
  r.content_type = "application/json";
  return r;
}

}  // namespace

ResponderApp::ResponderApp(const ResponderConfig& cfg)
    : cfg_(cfg),
      journal_(cfg.journal.path, static_cast<size_t>(cfg.journal.max_entries), cfg.journal.max_age),
      outcomes_(cfg.outcomes),
      dispatcher_(cfg, load_rule_files(cfg.rules_files), metrics_, &outcomes_),
      queue_(static_cast<size_t>(cfg.queue_capacity)) {
  const std::string alerts = "peregrine_responder_alerts_total";
  const std::string help = "Alerts received by the intake, by result";
  accepted_ = &metrics_.counter(alerts, help, {{"result", "accepted"}});
  duplicates_ = &metrics_.counter(alerts, help, {{"result", "duplicate"}});
  invalid_ = &metrics_.counter(alerts, help, {{"result", "invalid"}});
  queue_full_ = &metrics_.counter(alerts, help, {{"result", "queue_full"}});
  journal_errors_ = &metrics_.counter(alerts, help, {{"result", "journal_error"}});
  metrics_.gauge_callback("peregrine_responder_queue_depth", "Alerts taken and waiting for their actions", {},
                          [this] { return static_cast<double>(queue_.size()); });
  metrics_.gauge_callback("peregrine_responder_journal_entries", "Alert uuids remembered by the journal", {},
                          [this] { return static_cast<double>(journal_.size()); });
  metrics_.counter_callback("peregrine_responder_outcomes_sent_total", "Outcome alerts accepted by the router", {},
                            [this] { return outcomes_.sent(); });
  metrics_.counter_callback("peregrine_responder_outcomes_dropped_total",
                            "Outcome alerts dropped (pending buffer full, or left at stop)", {},
                            [this] { return outcomes_.dropped(); });
  metrics_.counter_callback("peregrine_responder_outcome_send_failures_total",
                            "Posts of outcome alerts to the router that failed (then retried)", {},
                            [this] { return outcomes_.failures(); });
  metrics_.gauge_callback("peregrine_responder_kill_switch", "1 while the kill switch is engaged", {},
                          [this] { return dispatcher_.kill_switch().engaged() ? 1.0 : 0.0; });

  http::ServerOptions opts;
  opts.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
  intake_ = std::make_unique<http::AdminServer>(config::HttpConfig{true, cfg.listen}, opts);
  auto handler = [this](const http::Request& req) { return take(req.body); };
  intake_->add_post("/alerts", handler);
  intake_->add_post("/", handler);
  admin_ = std::make_unique<http::AdminServer>(cfg.http, metrics_, [this] { return working_.load(); });
  admin_->add_post("/kill-switch/on", [this](const http::Request&) {
    dispatcher_.kill_switch().set(true);
    logger("responder")->warn("kill switch engaged through the admin endpoint: no action will run");
    return json_reply(200, {{"kill_switch", true}});
  });
  admin_->add_post("/kill-switch/off", [this](const http::Request&) {
    dispatcher_.kill_switch().set(false);
    logger("responder")->warn("kill switch released through the admin endpoint");
    return json_reply(200, {{"kill_switch", false}});
  });
  working_.store(true);
  worker_ = std::thread([this] { work(); });
  logger("responder")->info("{} response rule(s), {} action(s); dry_run: {}; journal {} ({} uuids)",
                            dispatcher_.rules().rules.size(), dispatcher_.rules().actions.size(), cfg.dry_run,
                            cfg.journal.path, journal_.size());
}

ResponderApp::~ResponderApp() { stop(std::chrono::milliseconds(0)); }

http::Response ResponderApp::take(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    invalid_->inc();
    return json_reply(400, {{"error", "expected one JSON alert object"}});
  }
  auto alert = alert_from_json(j);
  if (!alert) {
    invalid_->inc();
    return json_reply(400, {{"error", alert.error().message}});
  }
  if (alert->uuid.empty()) {
    invalid_->inc();
    return json_reply(400, {{"error", "the alert has no uuid (it must come through the router)"}, {"field", "uuid"}});
  }
  std::lock_guard lock(take_mu_);  // one taker at a time: the room checked below is still there at the push
  if (journal_.seen(alert->uuid)) {
    duplicates_->inc();
    return json_reply(200, {{"accepted", false}, {"duplicate", true}});
  }
  if (queue_.size() >= queue_.capacity() || queue_.closed()) {
    queue_full_->inc();
    return json_reply(503, {{"error", "queue full"}});
  }
  auto rec = journal_.record(alert->uuid, wall_ms());
  if (!rec && rec.error().code == ErrorCode::kInvalid) {  // a uuid the journal cannot hold: resending cannot help
    invalid_->inc();
    return json_reply(400, {{"error", rec.error().message}, {"field", "uuid"}});
  }
  if (!rec) {
    journal_errors_->inc();
    logger("responder")->error("journal: {}", rec.error().message);
    return json_reply(500, {{"error", "journal append failed"}});
  }
  if (!queue_.try_push(std::move(alert).value())) {
    queue_full_->inc();  // closed meanwhile: journaled, so at most once holds; the router sees 503 and resends
    return json_reply(503, {{"error", "stopping"}});
  }
  accepted_->inc();
  return json_reply(200, {{"accepted", true}});
}

void ResponderApp::work() {
  while (true) {
    auto a = queue_.pop(std::chrono::milliseconds(500));
    if (!a) {
      if (queue_.closed()) return;
      continue;
    }
    (void)dispatcher_.handle(*a);
  }
}

void ResponderApp::stop(std::chrono::milliseconds drain) {
  if (!worker_.joinable()) return;
  intake_.reset();
  queue_.close();
  worker_.join();
  working_.store(false);
  outcomes_.stop(drain);
  admin_.reset();
}

}  // namespace peregrine::responder
