#include "outputs/alertmanager/alertmanager_output.h"

#include <future>
#include <map>

#include "common/json_writer.h"
#include "outputs/http/url.h"
#include "outputs/loki/loki_output.h"
#include "outputs/route.h"

namespace peregrine::outputs {
namespace {

void write_alert(JsonWriter& w, const AlertmanagerConfig& c, const Alert& a) {
  std::map<std::string, std::string> labels{{"alertname", a.rule},
                                            {"priority", std::string(priority_name(a.priority))},
                                            {"severity", std::string(alertmanager_severity(a.priority))},
                                            {"source", a.source},
                                            {"hostname", a.hostname}};
  for (const auto& [name, value] : c.labels) labels[name] = value;
  for (const auto& f : c.labels_from_fields)
    if (auto v = field_text(a, f); v && !v->empty()) labels[prometheus_label_name(f)] = *v;
  std::map<std::string, std::string> annotations{{"summary", a.output}, {"description", c.description.render(a)}};
  for (const auto& [name, t] : c.annotations) annotations[name] = t.render(a);
  w.begin_object().key("labels").begin_object();
  for (const auto& [k, v] : labels)
    if (!v.empty()) w.key(k).string(v);  // Alertmanager drops empty labels anyway
  w.end_object().key("annotations").begin_object();
  for (const auto& [k, v] : annotations) w.key(k).string(v);
  w.end_object().key("startsAt").string(format_rfc3339_ns(a.time_ns));
  if (c.resolve_after) {
    const auto ns = static_cast<uint64_t>(std::chrono::nanoseconds(*c.resolve_after).count());
    w.key("endsAt").string(format_rfc3339_ns(a.time_ns + ns));
  }
  if (c.generator_url) {
    const std::string url = c.generator_url->render(a);
    if (check_http_url(url).empty()) w.key("generatorURL").string(url);
  }
  w.end_object();
}

std::string describe(const SendFailure& f) {
  return f.kind == SendFailure::Kind::kHttpStatus ? "HTTP " + std::to_string(f.http_status) + ": " + f.message
                                                  : f.message;
}

}  // namespace

DeliveryOptions alertmanager_delivery_defaults() {
  DeliveryOptions d;
  d.batch_max_alerts = 1000;  // about 1 KB per alert: 1 MiB requests at most (batch_max_bytes)
  return d;
}

std::string prometheus_label_name(const std::string& field) {
  return loki_label_name(field);  // Loki's label names are Prometheus's: [a-zA-Z_][a-zA-Z0-9_]*
}

std::string_view alertmanager_severity(Priority p) {
  switch (p) {
    case Priority::kEmergency:
    case Priority::kAlert:
    case Priority::kCritical: return "critical";
    case Priority::kError:
    case Priority::kWarning: return "warning";
    case Priority::kNotice:
    case Priority::kInformational:
    case Priority::kDebug: return "info";
  }
  return "info";
}

std::string alertmanager_body(const AlertmanagerConfig& c, std::span<const Alert> batch) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const Alert& a : batch) write_alert(w, c, a);
  w.end_array();
  return out;
}

AlertmanagerOutput::AlertmanagerOutput(OutputCommon common, AlertmanagerConfig config)
    : common_(std::move(common)), config_(std::move(config)), http_(config_.http, common_.name) {
  for (const auto& u : config_.urls) {
    endpoints_.push_back(url_join(u, "/api/v2/alerts"));
    target_ += (target_.empty() ? "" : ", ") + redacted_url(endpoints_.back());
  }
}

Result<Formatted> AlertmanagerOutput::format(std::span<const Alert> batch) const {
  Formatted f;
  if (batch.empty()) return f;
  Payload p;
  p.body = alertmanager_body(config_, batch);
  p.url = endpoints_.front();  // send() posts to every endpoint
  p.target = target_;
  for (size_t i = 0; i < batch.size(); ++i) p.items.push_back(i);
  f.payloads.push_back(std::move(p));
  return f;
}

SendResult AlertmanagerOutput::send(const Payload& payload) {
  // Every instance at once: a hung one costs its timeout, not the others' too.
  auto post = [this, &payload](size_t i) {
    HttpRequest req = HttpClient::request_for(payload);
    req.url = endpoints_[i];
    return http_.send(req);
  };
  std::vector<std::future<SendResult>> others;
  for (size_t i = 1; i < endpoints_.size(); ++i) others.push_back(std::async(std::launch::async, post, i));
  std::vector<SendResult> results{post(0)};
  for (auto& f : others) results.push_back(f.get());
  std::optional<SendFailure> answered, unreachable;
  std::string all;
  bool delivered = false;
  for (size_t i = 0; i < results.size(); ++i) {
    const SendResult& r = results[i];
    if (!r.failure) {
      delivered = true;
      continue;
    }
    all += (all.empty() ? "" : "; ") + redacted_url(config_.urls[i]) + ": " + describe(*r.failure);
    auto& slot = r.failure->kind == SendFailure::Kind::kHttpStatus ? answered : unreachable;
    if (!slot) slot = r.failure;
  }
  SendResult out;
  if (delivered) return out;  // one instance has them; the HA set shares them by gossip
  out.failure = answered ? answered : unreachable;
  if (endpoints_.size() > 1) out.failure->message = "no instance accepted the alerts (" + all + ")";
  return out;
}

}  // namespace peregrine::outputs
