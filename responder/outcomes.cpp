#include "responder/outcomes.h"

#include <algorithm>

#include "common/alert_text.h"
#include "common/log.h"
#include "outputs/http/url.h"

namespace peregrine::responder {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Priority priority_of(Outcome o) {
  switch (o) {
    case Outcome::kDone: return Priority::kNotice;
    case Outcome::kFailed: return Priority::kError;
    default: return Priority::kInformational;
  }
}

}  // namespace

Alert outcome_alert(const Alert& original, const OutcomeFacts& f) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = f.now_ns;
  a.source = "response";
  a.hostname = f.hostname.empty() ? original.hostname : f.hostname;
  const std::string outcome(outcome_name(f.result.outcome));
  a.rule = "Peregrine response " + outcome;
  a.priority = priority_of(f.result.outcome);
  a.tags = {"response", f.actionner};
  std::sort(a.tags.begin(), a.tags.end());
  a.output = "Response " + outcome + ": action " + f.action + " (" + f.actionner + ") of response rule " + f.rule +
             " on alert " + original.uuid + " (" + original.rule + "): " + f.result.reason;
  auto& of = a.output_fields;
  of["response.outcome"] = outcome;
  of["response.action"] = f.action;
  of["response.actionner"] = f.actionner;
  of["response.rule"] = f.rule;
  of["response.reason"] = f.result.reason;
  of["response.alert.uuid"] = original.uuid;
  of["response.alert.rule"] = original.rule;
  of["response.alert.priority"] = std::string(priority_name(original.priority));
  if (f.now_ns >= original.time_ns && original.time_ns)
    of["response.latency_ms"] = static_cast<int64_t>((f.now_ns - original.time_ns) / 1000000);
  for (const char* k : {"container.id", "container.name", "k8s.ns.name", "k8s.pod.name", "proc.name", "proc.pid"})
    if (auto it = original.output_fields.find(k); it != original.output_fields.end()) of[k] = it->second;
  for (const auto& kv : f.result.fields) of[kv.first] = kv.second;
  return a;
}

OutcomeSender::OutcomeSender(const OutcomesConfig& cfg)
    : cfg_(cfg), queue_(static_cast<size_t>(cfg.pending_max)) {
  if (!cfg_.url.empty()) client_ = std::make_unique<outputs::HttpClient>(cfg_.http, "responder.outcomes");
  thread_ = std::thread([this] { loop(); });
}

OutcomeSender::~OutcomeSender() { stop(std::chrono::milliseconds(0)); }

bool OutcomeSender::submit(Alert a) { return queue_.try_push(std::move(a)); }

void OutcomeSender::stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  drain_deadline_ms_.store(steady_ms() + drain.count());
  stopping_.store(true);
  queue_.close();
  thread_.join();
}

void OutcomeSender::loop() {
  auto log = logger("responder.outcomes");
  std::chrono::milliseconds backoff(200);
  std::vector<Alert> batch;
  while (true) {
    if (batch.empty() && queue_.pop_many(batch, 100, std::chrono::milliseconds(200)) == 0) {
      if (queue_.closed() && queue_.size() == 0) return;
      continue;
    }
    if (!client_) {  // no router: the outcome is only logged
      for (const auto& a : batch) log->info("{}", a.output);
      sent_ += batch.size();
      batch.clear();
      continue;
    }
    std::string body = "[";
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i) body += ',';
      append_alert_json(body, batch[i]);
    }
    body += ']';
    outputs::HttpRequest req{"POST", cfg_.url, std::move(body), "application/json", {}};
    auto o = client_->perform(req);
    if (o.ok()) {
      sent_ += batch.size();
      batch.clear();
      backoff = std::chrono::milliseconds(200);
      continue;
    }
    if (failures_++ == 0)
      log->warn("outcome alerts not accepted by {}: {} (retrying with backoff; counted in "
                "peregrine_responder_outcome_send_failures_total)",
                outputs::redacted_url(cfg_.url), o.failure ? o.failure->message : std::to_string(o.response.status));
    if (stopping_.load() && steady_ms() >= drain_deadline_ms_.load()) {
      dropped_at_stop_ += batch.size() + queue_.size();
      return;
    }
    const int64_t until = steady_ms() + backoff.count();
    while (steady_ms() < until && !(stopping_.load() && steady_ms() >= drain_deadline_ms_.load())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // backoff pacing, not synchronisation
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace peregrine::responder
