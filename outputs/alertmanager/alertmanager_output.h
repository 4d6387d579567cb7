// Prometheus Alertmanager: alerts POSTed to /api/v2/alerts, a batch per request, to every instance of an HA set.
//
//   - type: alertmanager
//     url: http://127.0.0.1:9093           # base URL (a path prefix is kept); or, for an HA set:
//     urls: [http://am-0:9093, http://am-1:9093]   # every instance gets every batch
//     labels: {}                           # fixed labels: name → value (team: secops), as Sidekick's extralabels
//     labels_from_fields: [container.name] # output fields added as labels, names made Prometheus label names
//                                          #   ("container.name" → container_name); absent values are left out
//     description: "{{output}}"            # template: the description annotation
//     annotations: {}                      # more annotations: name → template (runbook_url: "https://…/{{rule}}")
//     generator_url: ""                    # template (URL-escaped values): generatorURL when set
//     resolve_after: 0                     # a duration (5m): endsAt = the alert's time + it; 0 = no endsAt
//                                          #   (Alertmanager then resolves it after its own resolve_timeout)
//     ... plus the shared HTTP keys (auth, tls, headers, timeouts: outputs/http/http_client.h)
//
// Each alert: labels {alertname: <rule>, priority: <Falco priority>, severity, source, hostname, + the fixed labels, + the fields},
// annotations {summary: <output>, description, + annotations}, startsAt: the alert's time (RFC 3339), endsAt,
// generatorURL. severity from the priority: emergency, alert, critical → critical; error, warning → warning;
// notice, informational, debug → info.
//
// Answers: 200 = delivered. With several URLs, a batch is delivered when at least one instance answered 200
// (instances of an HA set share alerts by gossip); when all failed, the failure reported is the first HTTP
// answer (an instance that answered speaks for Alertmanager), else the first transport failure, with every
// instance's failure in the message. 400 is permanent, with Alertmanager's message (it stores the valid alerts
// of a request and refuses the others; the labels built here are always valid); 429 and 5xx are retried.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct AlertmanagerConfig {
  std::vector<std::string> urls;  // base URLs; /api/v2/alerts is appended
  std::vector<std::pair<std::string, std::string>> labels;  // fixed name → value
  std::vector<std::string> labels_from_fields;
  Template description = Template::parse("{{output}}");
  std::vector<std::pair<std::string, Template>> annotations;
  std::optional<Template> generator_url;
  std::optional<std::chrono::milliseconds> resolve_after;
  HttpClientConfig http;
};

AlertmanagerConfig parse_alertmanager_config(config::NodeReader& node);
std::unique_ptr<Output> make_alertmanager_output(OutputCommon common, config::NodeReader& node);
/// Alertmanager takes arrays: larger batches than the chat outputs, still without lingering.
DeliveryOptions alertmanager_delivery_defaults();

/// A Prometheus label name for a field name: [a-zA-Z_][a-zA-Z0-9_]* ("container.name" → "container_name").
std::string prometheus_label_name(const std::string& field);
/// critical | warning | info for a Falco priority.
std::string_view alertmanager_severity(Priority p);
/// The JSON array of a batch (pure).
std::string alertmanager_body(const AlertmanagerConfig& c, std::span<const Alert> batch);

class AlertmanagerOutput final : public Output {
 public:
  AlertmanagerOutput(OutputCommon common, AlertmanagerConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }

 private:
  OutputCommon common_;
  AlertmanagerConfig config_;
  std::vector<std::string> endpoints_;  // <url>/api/v2/alerts per instance
  std::string target_;
  HttpClient http_;
};

}  // namespace peregrine::outputs
