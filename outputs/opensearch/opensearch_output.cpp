#include "outputs/opensearch/opensearch_output.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/json_writer.h"

#include "outputs/http/url.h"

namespace peregrine::outputs {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool failed_status(int s) { return s < 200 || s >= 300; }

// Item failure with OpenSearch's reason: "HTTP 400 mapper_parsing_exception: failed to parse field [...]".
SendFailure item_failure(int status, const json& error) {
  std::string msg = "item rejected";
  if (error.is_object()) {
    msg = error.value("type", std::string("error"));
    if (error.contains("reason") && error["reason"].is_string()) msg += ": " + error["reason"].get<std::string>();
    if (error.contains("caused_by") && error["caused_by"].is_object())
      msg += " (caused by " + error["caused_by"].value("type", std::string()) + ": " +
             error["caused_by"].value("reason", std::string()) + ")";
  }
  return SendFailure{SendFailure::Kind::kHttpStatus, status, std::nullopt, msg};
}

}  // namespace

std::string index_for(const std::string& pattern, uint64_t time_ns) {
  const std::time_t secs = static_cast<std::time_t>(time_ns / 1'000'000'000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  auto two = [](int v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); };
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    switch (pattern[++i]) {
      case 'Y': out += std::to_string(tm.tm_year + 1900); break;
      case 'm': out += two(tm.tm_mon + 1); break;
      case 'd': out += two(tm.tm_mday); break;
      case 'H': out += two(tm.tm_hour); break;
      case '%': out += '%'; break;
      default: out += '%'; out += pattern[i];
    }
  }
  return out;
}

std::string index_glob(const std::string& pattern) {
  const size_t pct = pattern.find('%');
  if (pct == std::string::npos) return pattern;
  return pattern.substr(0, pct) + "*";
}

std::string index_template_json(const OpenSearchConfig& c) {
  const json keyword = {{"type", "keyword"}};
  json mappings = {
      {"dynamic_templates",
       json::array({{{"output_fields_as_keywords",
                      {{"path_match", "output_fields.*"}, {"mapping", {{"type", "keyword"}, {"ignore_above", 8191}}}}}}})},
      {"properties",
       {{"@timestamp", {{"type", "date_nanos"}}},
        {"time", {{"type", "date_nanos"}}},
        {"uuid", keyword},
        {"rule", keyword},
        {"priority", keyword},
        {"source", keyword},
        {"hostname", keyword},
        {"tags", keyword},
        {"output", {{"type", "text"}, {"fields", {{"keyword", {{"type", "keyword"}, {"ignore_above", 8191}}}}}}},
        {"output_fields", {{"type", "object"}}}}}};
  json t = {{"index_patterns", json::array({c.data_stream.empty() ? index_glob(c.index) : c.data_stream})},
            {"priority", 200},
            {"template",
             {{"settings", {{"number_of_shards", c.template_shards}, {"number_of_replicas", c.template_replicas}}},
              {"mappings", mappings}}},
            {"_meta", {{"managed_by", "peregrine-router"}}}};
  if (!c.data_stream.empty()) t["data_stream"] = json::object();
  return dump(t);
}

OpenSearchOutput::OpenSearchOutput(OutputCommon common, OpenSearchConfig config)
    : common_(std::move(common)),
      config_(std::move(config)),
      bulk_url_(url_with_query(url_join(config_.url, "/_bulk"),
                               {{"filter_path", "errors,items.*.status,items.*.error"},
                                {"pipeline", config_.pipeline},
                                {"refresh", config_.refresh == "false" ? "" : config_.refresh}})),
      http_(config_.http, common_.name) {}

Result<Formatted> OpenSearchOutput::format(std::span<const Alert> batch) const {
  Formatted f;
  Payload p;
  auto flush_payload = [&] {
    if (p.items.empty()) return;
    f.payloads.push_back(std::move(p));
    p = Payload{};
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    const Alert& a = batch[i];
    const std::string index = config_.data_stream.empty() ? index_for(config_.index, a.time_ns) : config_.data_stream;
    const bool create = config_.op_create || !config_.data_stream.empty();
    std::string lines;
    JsonWriter(lines).begin_object().key(create ? "create" : "index").begin_object().key("_id").string(a.uuid)
        .key("_index").string(index).end_object().end_object();
    lines += '\n';
    // The document: Falco's keys plus uuid and @timestamp; output_fields flattened unless configured otherwise
    // ("container.image" beside "container.image.repository" would need one field to be a keyword and an
    // object; values as strings so that a field never changes type between rules: docs/router.md).
    append_alert_json(lines, a, AlertJsonStyle{true, config_.flatten_fields});
    lines += '\n';
    if (!p.items.empty() && p.body.size() + lines.size() > config_.max_bulk_bytes) flush_payload();
    if (p.items.empty()) {
      p.content_type = "application/x-ndjson";
      p.url = bulk_url_;
      p.target = redacted_url(config_.url) + "/_bulk";
    }
    p.body += lines;
    p.items.push_back(i);
  }
  flush_payload();
  return f;
}

Result<SendResult> bulk_item_results(const std::string& body, const std::vector<size_t>& items, bool op_create) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("not a JSON _bulk response");
  SendResult r;
  if (!j.value("errors", false)) return r;  // every item succeeded
  if (!j.contains("items") || !j["items"].is_array() || j["items"].size() != items.size())
    return make_error("_bulk response has errors but not one item per document");
  for (size_t k = 0; k < items.size(); ++k) {
    const json& it = j["items"][k];
    if (!it.is_object() || it.empty()) return make_error("_bulk response item " + std::to_string(k) + " is empty");
    const json& res = it.begin().value();
    const int status = res.value("status", 0);
    if (!failed_status(status) || (status == 409 && op_create)) continue;  // 409 on create: already indexed
    r.item_failures.emplace_back(items[k], item_failure(status, res.value("error", json())));
  }
  return r;
}

SendResult OpenSearchOutput::send(const Payload& payload) {
  auto o = http_.perform(HttpClient::request_for(payload));
  SendResult r;
  if (o.failure) {
    r.failure = o.failure;
    return r;
  }
  if (!o.ok()) {
    r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                            response_snippet(o.response)};
    return r;
  }
  if (o.response.body_truncated) {
    // Per-item results cut off: resending is safe (_id = uuid), reading half a response is not.
    r.failure = SendFailure{SendFailure::Kind::kIo, 0, std::nullopt,
                            "_bulk response larger than max_response_bytes; resending the batch"};
    return r;
  }
  auto items = bulk_item_results(o.response.body, payload.items, config_.op_create || !config_.data_stream.empty());
  if (!items) {
    r.failure = SendFailure{SendFailure::Kind::kIo, 0, std::nullopt, items.error().message};
    return r;
  }
  return std::move(items).value();
}

SendResult OpenSearchOutput::prepare() {
  if (!config_.template_install) return {};
  HttpRequest req;
  req.method = "PUT";
  req.url = url_join(config_.url, "/_index_template/" + url_encode(config_.template_name));
  req.content_type = "application/json";
  req.body = index_template_json(config_);
  return http_.send(req);
}

}  // namespace peregrine::outputs
