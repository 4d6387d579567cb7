#include "outputs/loki/loki_output.h"

#include <algorithm>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/json_writer.h"
#include "outputs/http/url.h"
#include "outputs/json_lines.h"
#include "outputs/route.h"

namespace peregrine::outputs {
namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::string joined_tags(const Alert& a) {
  std::string s;
  for (const auto& t : a.tags) s += (s.empty() ? "" : ",") + t;
  return s;
}

// The value of an alert key named in `labels` / `structured_metadata`, or of an output field.
std::optional<std::string> alert_value(const Alert& a, const std::string& key) {
  if (key == "source") return a.source;
  if (key == "priority") return std::string(priority_name(a.priority));
  if (key == "rule") return a.rule;
  if (key == "hostname") return a.hostname;
  if (key == "tags") return joined_tags(a);
  if (key == "uuid") return a.uuid;
  return field_text(a, key);
}

struct Entry {
  uint64_t ts = 0;
  size_t item = 0;
  std::string line;
  json metadata;
};

}  // namespace

std::string loki_label_name(const std::string& field) {
  std::string out;
  for (char c : field) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

std::string LabelValueCap::admit(const std::string& label, const std::string& value) {
  std::lock_guard lk(mu_);
  auto& seen = seen_[label];
  if (seen.count(value) || seen.size() < max_) {
    seen.insert(value);
    return value;
  }
  ++capped_;
  return "other";
}

uint64_t LabelValueCap::capped() const {
  std::lock_guard lk(mu_);
  return capped_;
}

LokiOutput::LokiOutput(OutputCommon common, LokiConfig config)
    : common_(std::move(common)),
      config_(std::move(config)),
      push_url_(url_join(config_.url, config_.path)),
      http_(config_.http, common_.name),
      cap_(config_.max_label_values) {}

void LokiOutput::register_metrics(metrics::Registry& registry) {
  registry.counter_callback("peregrine_router_loki_label_values_capped_total",
                            "Label values replaced by \"other\" because the label had max_label_values values",
                            {{"output", common_.name}}, [this] { return cap_.capped(); });
}

Labels LokiOutput::labels_of(const Alert& a) const {
  Labels l;
  auto add = [&](const std::string& name, const std::optional<std::string>& v) {
    if (v && !v->empty()) l.emplace_back(name, cap_.admit(name, *v));
  };
  for (const auto& k : config_.labels) add(k, alert_value(a, k));
  if (config_.k8s_labels) {
    add("k8s_ns_name", field_text(a, "k8s.ns.name"));
    add("k8s_pod_name", field_text(a, "k8s.pod.name"));
  }
  for (const auto& f : config_.extra_labels) add(loki_label_name(f), field_text(a, f));
  std::sort(l.begin(), l.end());
  l.erase(std::unique(l.begin(), l.end(), [](auto& x, auto& y) { return x.first == y.first; }), l.end());
  return l;
}

namespace {

// One stream's share of a push.
struct Part {
  const Labels* labels;
  std::vector<const Entry*> entries;
};

std::string render_push(const std::vector<Part>& parts) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("streams").begin_array();
  for (const auto& part : parts) {
    if (part.entries.empty()) continue;
    w.begin_object().key("stream").begin_object();
    for (const auto& [k, v] : *part.labels) w.key(k).string(v);
    w.end_object().key("values").begin_array();
    for (const Entry* e : part.entries) {
      w.begin_array().string(std::to_string(e->ts)).string(e->line);
      if (!e->metadata.is_null()) w.raw(e->metadata.dump(-1, ' ', false, json::error_handler_t::replace));
      w.end_array();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return out;
}

}  // namespace

Result<Formatted> LokiOutput::format(std::span<const Alert> batch) const {
  std::map<Labels, std::vector<Entry>> streams;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Alert& a = batch[i];
    Entry e{a.time_ns, i, config_.line_json ? alert_json_text(a) : alert_text_line(a), json()};
    if (!config_.line_json) e.line.pop_back();  // the text line's newline
    for (const auto& k : config_.structured_metadata)
      if (auto v = alert_value(a, k); v && !v->empty()) e.metadata[loki_label_name(k)] = *v;
    streams[labels_of(a)].push_back(std::move(e));
  }
  Formatted f;
  std::vector<Part> parts;
  Payload p;
  size_t bytes = 0;
  auto flush_payload = [&] {
    if (p.items.empty()) return;
    p.body = render_push(parts);
    f.payloads.push_back(std::move(p));
    p = Payload{};
    parts.clear();
    bytes = 0;
  };
  for (auto& [labels, entries] : streams) {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) { return x.ts < y.ts; });
    parts.push_back(Part{&labels, {}});
    for (const Entry& e : entries) {
      const size_t size = e.line.size() + 64;
      if (bytes + size > config_.max_push_bytes && !p.items.empty()) {
        flush_payload();
        parts.push_back(Part{&labels, {}});
      }
      if (p.items.empty()) {
        p.url = push_url_;
        p.target = redacted_url(push_url_);
        p.content_type = "application/json";
        if (!config_.tenant.empty()) p.headers.emplace_back("X-Scope-OrgID", config_.tenant);
      }
      parts.back().entries.push_back(&e);
      p.items.push_back(e.item);
      p.item_ids.push_back(std::to_string(e.ts));
      bytes += size;
    }
  }
  flush_payload();
  return f;
}

uint64_t parse_go_time(const std::string& s) {
  // "2006-01-02 15:04:05[.fraction] -0700 MST"
  static const std::regex re(R"((\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-])(\d{2})(\d{2}))");
  std::smatch m;
  if (!std::regex_search(s, m, re)) return 0;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  int64_t secs = static_cast<int64_t>(timegm(&tm));
  const int64_t offset = (std::stoi(m[9]) * 3600 + std::stoi(m[10]) * 60) * (m[8] == "-" ? -1 : 1);
  secs -= offset;
  std::string frac = m[7].matched ? m[7].str() : "";
  frac.resize(9, '0');
  if (secs < 0) return 0;
  return static_cast<uint64_t>(secs) * 1'000'000'000ull + std::stoull(frac);
}

std::vector<std::pair<size_t, SendFailure>> loki_rejected_entries(const std::string& body, const Payload& payload) {
  std::vector<std::pair<size_t, SendFailure>> out;
  static const std::regex entry(R"(entry with timestamp ([^,]*?) ignored, reason: '([^']*)')");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), entry); it != std::sregex_iterator(); ++it) {
    const uint64_t ts = parse_go_time((*it)[1]);
    if (ts == 0) continue;
    const std::string id = std::to_string(ts);
    for (size_t k = 0; k < payload.items.size() && k < payload.item_ids.size(); ++k) {
      if (payload.item_ids[k] != id) continue;
      if (std::any_of(out.begin(), out.end(), [&](auto& f) { return f.first == payload.items[k]; })) continue;
      out.emplace_back(payload.items[k],
                       SendFailure{SendFailure::Kind::kHttpStatus, 400, std::nullopt, "Loki: " + (*it)[2].str()});
    }
  }
  return out;
}

SendResult LokiOutput::send(const Payload& payload) {
  auto o = http_.perform(HttpClient::request_for(payload));
  SendResult r;
  if (o.failure) {
    r.failure = o.failure;
  } else if (o.response.status == 400) {
    // Loki stores the valid entries of a push and names the others: fail exactly those.
    r.item_failures = loki_rejected_entries(o.response.body, payload);
    if (r.item_failures.empty())
      r.failure = SendFailure{SendFailure::Kind::kHttpStatus, 400, std::nullopt, response_snippet(o.response)};
  } else if (!o.ok()) {
    r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                            response_snippet(o.response)};
  }
  return r;
}

}  // namespace peregrine::outputs
