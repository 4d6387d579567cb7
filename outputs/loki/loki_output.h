// Loki push API (JSON, optionally gzip): alerts as log lines in streams labelled by a few bounded labels.
//
//   - type: loki
//     url: http://127.0.0.1:3100
//     path: /loki/api/v1/push              # VictoriaLogs: /insert/loki/api/v1/push
//     tenant: ""                           # X-Scope-OrgID, when set
//     labels: [source, priority, rule, hostname]   # from the alert; also: tags (comma-joined)
//     k8s_labels: true                     # k8s_ns_name / k8s_pod_name when the alert has them (as Sidekick)
//     extra_labels: [container.name]       # output_fields keys; label name with '.' and other invalid
//                                          #   characters as '_' (container_name)
//     max_label_values: 1000               # distinct values kept per label; beyond, the value is "other"
//                                          #   (counted in peregrine_router_loki_label_values_capped_total)
//     line: json                           # json: the Falco JSON alert | text: "<time>: <Priority> <output>"
//     structured_metadata: []              # uuid, tags, or output field names, sent as structured metadata
//                                          #   (Loki 3 / schema v13; older Loki refuses it)
//     max_push_bytes: 3MiB                 # a batch is split into pushes of at most this size
//     ... plus the shared HTTP keys (auth, tls, compression: gzip, timeouts: outputs/http/http_client.h)
//
// Streams group the batch by label set; entries are sorted by time within a stream. Timestamps are the alerts'
// times in nanoseconds. Loki answers 204. A 400 listing entries ("entry with timestamp ... ignored, reason:
// 'entry too far behind ...'") fails exactly those entries, permanently (dead letter with Loki's reason); Loki
// stored the others. 429 and 5xx are retried.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct LokiConfig {
  std::string url;
  std::string path = "/loki/api/v1/push";
  std::string tenant;
  std::vector<std::string> labels{"source", "priority", "rule", "hostname"};
  bool k8s_labels = true;
  std::vector<std::string> extra_labels;
  size_t max_label_values = 1000;
  bool line_json = true;
  std::vector<std::string> structured_metadata;
  size_t max_push_bytes = 3u << 20;
  HttpClientConfig http;
  bool operator==(const LokiConfig&) const = default;
};

LokiConfig parse_loki_config(config::NodeReader& node);
std::unique_ptr<Output> make_loki_output(OutputCommon common, config::NodeReader& node);

/// A Loki label name for a field name: [a-zA-Z_][a-zA-Z0-9_]* ("container.name" → "container_name").
std::string loki_label_name(const std::string& field);

/// Per label, the distinct values let through so far; past the cap a new value becomes "other".
class LabelValueCap {
 public:
  explicit LabelValueCap(size_t max_values) : max_(max_values) {}
  /// `value`, or "other" when `label` already has max_values other values. Counts each capped value.
  std::string admit(const std::string& label, const std::string& value);
  uint64_t capped() const;

 private:
  size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> seen_;
  uint64_t capped_ = 0;
};

/// Items of a push that Loki's 400 body names ("entry with timestamp <Go time> ignored, reason: '<why>'"),
/// by their timestamps in `payload.item_ids`. Empty when the body names none.
std::vector<std::pair<size_t, SendFailure>> loki_rejected_entries(const std::string& body, const Payload& payload);
/// Nanoseconds since the epoch of a Go time.Time String() ("2026-12-04 10:00:00.5 +0000 UTC"); 0 if unparsable.
uint64_t parse_go_time(const std::string& s);

class LokiOutput final : public Output {
 public:
  LokiOutput(OutputCommon common, LokiConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  size_t concurrency() const override { return config_.http.concurrency; }
  void register_metrics(metrics::Registry& registry) override;

 private:
  std::vector<std::pair<std::string, std::string>> labels_of(const Alert& a) const;
  OutputCommon common_;
  LokiConfig config_;
  std::string push_url_;
  HttpClient http_;
  mutable LabelValueCap cap_;
};

}  // namespace peregrine::outputs
