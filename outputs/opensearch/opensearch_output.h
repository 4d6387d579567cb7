// OpenSearch / Elasticsearch: alerts indexed through the _bulk API (registered as "opensearch" and
// "elasticsearch"; the API differences that matter are in docs/router.md).
//
//   - type: opensearch
//     url: https://127.0.0.1:9200         # base URL (a path prefix is kept: https://proxy/os → /os/_bulk)
//     index: peregrine-%Y.%m.%d            # %Y %m %d %H from the alert's time (UTC): daily, monthly (%Y.%m),
//                                          #   yearly (%Y) or none (no %); or:
//     data_stream: ""                      # a data stream name instead of index (op_type is then create)
//     op_type: create                      # create: a resent alert (same uuid) answers 409 = already there;
//                                          #   index: a resent alert overwrites the document (version 2)
//     output_fields: flatten               # flatten: "proc.name" stored as output_fields.proc_name (no mapping
//                                          #   conflicts); object: as sent (dots become object paths)
//     pipeline: ""                         # ingest pipeline (?pipeline=)
//     refresh: "false"                     # false | true | wait_for (?refresh=)
//     max_bulk_bytes: 5MiB                 # a batch is split into _bulk requests of at most this size
//     template:                            # composable index template installed before the first delivery
//       install: true
//       name: peregrine
//       shards: 1
//       replicas: 1
//     ... plus the shared HTTP keys (auth, tls, compression, timeouts, concurrency: outputs/http/http_client.h)
//
// Every document's _id is the alert's uuid, so a re-sent batch never duplicates. Per-item results: a 409 on
// create counts as delivered; 429 and 5xx items are retried alone; other items are dead-lettered with
// OpenSearch's error type and reason while their batch neighbours are indexed.
#pragma once

#include <memory>
#include <string>

#include "outputs/http/http_client.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct OpenSearchConfig {
  std::string url;
  std::string index = "peregrine-%Y.%m.%d";
  std::string data_stream;
  bool op_create = true;
  bool flatten_fields = true;
  std::string pipeline;
  std::string refresh = "false";
  size_t max_bulk_bytes = 5u << 20;
  bool template_install = true;
  std::string template_name = "peregrine";
  int template_shards = 1;
  int template_replicas = 1;
  HttpClientConfig http;
  bool operator==(const OpenSearchConfig&) const = default;
};

OpenSearchConfig parse_opensearch_config(config::NodeReader& node);
std::unique_ptr<Output> make_opensearch_output(OutputCommon common, config::NodeReader& node);

/// The index an alert goes to: the pattern with %Y %m %d %H (and %%) from `time_ns` (UTC).
std::string index_for(const std::string& pattern, uint64_t time_ns);
/// The template's index_patterns for an index pattern: each date directive becomes "*" ("peregrine-*").
std::string index_glob(const std::string& pattern);
/// The composable index template document (PUT _index_template/<name>).
std::string index_template_json(const OpenSearchConfig& c);

class OpenSearchOutput final : public Output {
 public:
  OpenSearchOutput(OutputCommon common, OpenSearchConfig config);
  const OutputCommon& common() const override { return common_; }
  Result<Formatted> format(std::span<const Alert> batch) const override;
  SendResult send(const Payload& payload) override;
  SendResult flush() override { return {}; }
  SendResult prepare() override;
  size_t concurrency() const override { return config_.http.concurrency; }
  const OpenSearchConfig& config() const { return config_; }

 private:
  OutputCommon common_;
  OpenSearchConfig config_;
  std::string bulk_url_;
  HttpClient http_;
};

/// Per-item outcome of a _bulk response: item k of the request (in order) → failure, for `payload.items`.
/// A 409 on create is success. Returns an error when the body is not a bulk response.
Result<SendResult> bulk_item_results(const std::string& body, const std::vector<size_t>& items, bool op_create);

}  // namespace peregrine::outputs
