#include "outputs/registry.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "outputs/alertmanager/alertmanager_output.h"
#include "outputs/file/file_output.h"
#include "outputs/http_sms/http_sms_output.h"
#include "outputs/loki/loki_output.h"
#include "outputs/opensearch/opensearch_output.h"
#include "outputs/responder/responder_output.h"
#include "outputs/slack/slack_output.h"
#include "outputs/stdout/stdout_output.h"
#include "outputs/syslog/syslog_output.h"
#include "outputs/teams/teams_output.h"
#include "outputs/twilio/twilio_output.h"
#include "outputs/webhook/webhook_output.h"

namespace peregrine::outputs {
namespace {

void parse_delivery(config::NodeReader& parent, DeliveryOptions& d) {
  config::NodeReader node = parent.sub("delivery");
  constexpr int64_t kDay = 86'400'000;
  // `d` holds the output type's defaults (Registry::add); the keys override them.
  d.batch_max_alerts = static_cast<size_t>(
      node.integer("batch_max_alerts", static_cast<int64_t>(d.batch_max_alerts), 1, 100'000));
  d.batch_max_bytes = static_cast<size_t>(
      node.bytes("batch_max_bytes", static_cast<int64_t>(d.batch_max_bytes), 1024, 1LL << 30));
  d.linger = std::chrono::milliseconds(node.integer("linger_ms", d.linger.count(), 0, 60'000));
  d.initial_backoff = std::chrono::milliseconds(node.integer("initial_backoff_ms", d.initial_backoff.count(), 1, kDay));
  d.max_backoff = std::chrono::milliseconds(node.integer("max_backoff_ms", d.max_backoff.count(), 1, kDay));
  d.max_attempts = static_cast<uint32_t>(node.integer("max_attempts", d.max_attempts, 0, 1'000'000));
  if (d.max_backoff < d.initial_backoff) node.fail("max_backoff_ms", "must be >= initial_backoff_ms");
  node.finish();
}

void parse_throttle(config::NodeReader& parent, ThrottleConfig& t) {
  if (!parent.has("throttle")) return;
  config::NodeReader node = parent.sub("throttle");
  t.enabled = node.boolean("enabled", true);
  t.key = node.strings("key", t.key);
  if (t.key.empty()) node.fail("key", "must name at least one variable (rule, hostname, container.id, ...)");
  for (const auto& k : t.key) {
    try {
      (void)Template::parse("{{" + k + "}}");
    } catch (const std::invalid_argument&) {
      node.fail("key", "'" + k + "' is neither an alert key nor a Falco field name");
    }
  }
  t.window = node.duration("window", t.window, std::chrono::seconds(1), std::chrono::hours(24 * 7));
  t.max = static_cast<uint32_t>(node.integer("max", t.max, 0, 1'000'000));
  t.summary = node.boolean("summary", t.summary);
  t.max_keys = static_cast<size_t>(node.integer("max_keys", static_cast<int64_t>(t.max_keys), 1, 10'000'000));
  node.finish();
}

void parse_fields(config::NodeReader& node, OutputCommon& c) {
  c.custom_fields = node.string_map("custom_fields");
  YAML::Node t = node.child("templated_fields");
  if (!t.IsDefined() || t.IsNull()) return;
  if (!t.IsMap()) node.fail("templated_fields", "expected a map of field name to template");
  for (const auto& kv : t) {
    if (!kv.second.IsScalar()) throw config::error_at(node.file(), kv.second, "templated_fields: expected a template");
    c.templated_fields.emplace_back(kv.first.Scalar(),
                                    Template::parse(kv.second.Scalar(), Escape::kNone, node.file(),
                                                    kv.second.Mark().line + 1, kv.second.Mark().column + 1));
  }
}

std::string position(const OutputSpec& spec) {
  return spec.file + ":" + std::to_string(spec.line) + ":" + std::to_string(spec.column);
}

}  // namespace

void Registry::add(const std::string& type, OutputFactory factory, DeliveryOptions delivery_defaults) {
  if (!types_.emplace(type, Type{std::move(factory), delivery_defaults}).second)
    throw std::logic_error("output type registered twice: " + type);
}

std::vector<std::string> Registry::types() const {
  std::vector<std::string> v;
  for (const auto& [t, f] : types_) v.push_back(t);
  return v;
}

Result<std::unique_ptr<Output>> Registry::create(const OutputSpec& spec) const {
  const std::string name = spec.name.empty() ? spec.type : spec.name;
  try {
    config::NodeReader node = spec.reader();
    auto it = types_.find(spec.type);
    if (it == types_.end()) {
      std::string known;
      for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
      node.fail("type", "unknown output type '" + spec.type + "' (known: " + known + ")");
    }
    OutputCommon common;
    common.type = spec.type;
    common.name = name;
    common.route = parse_route(node);
    parse_throttle(node, common.throttle);
    parse_fields(node, common);
    common.delivery = it->second.delivery_defaults;
    parse_delivery(node, common.delivery);
    std::unique_ptr<Output> out = it->second.factory(std::move(common), node);
    node.finish();
    return out;
  } catch (const config::ConfigError& e) {
    return make_error(e.what());
  } catch (const YAML::Exception& e) {
    return make_error(position(spec) + ": output '" + name + "': " + e.what());
  }
}

Result<std::vector<std::unique_ptr<Output>>> Registry::create_all(const std::vector<OutputSpec>& specs) const {
  std::vector<std::unique_ptr<Output>> outs;
  std::set<std::string> names;
  for (const auto& spec : specs) {
    auto o = create(spec);
    if (!o) return o.error();
    if (!names.insert((*o)->common().name).second) {
      return make_error(position(spec) + ": duplicate output name '" + (*o)->common().name +
                        "' (give each output a distinct 'name')");
    }
    outs.push_back(std::move(o).value());
  }
  return outs;
}

void register_builtin_outputs(Registry& registry) {
  registry.add("file", make_file_output);
  registry.add("stdout", make_stdout_output);
  // Bulk APIs: large batches, gathered for up to 200 ms under load; an isolated alert leaves after 200 ms.
  DeliveryOptions bulk;
  bulk.batch_max_alerts = 1000;
  bulk.batch_max_bytes = 5u << 20;
  bulk.linger = std::chrono::milliseconds(200);
  registry.add("opensearch", make_opensearch_output, bulk);
  registry.add("elasticsearch", make_opensearch_output, bulk);
  registry.add("loki", make_loki_output, bulk);
  registry.add("twilio", make_twilio_output);
  registry.add("http_sms", make_http_sms_output);
  registry.add("syslog", make_syslog_output);
  registry.add("slack", make_slack_output);
  registry.add("teams", make_teams_output);
  registry.add("webhook", make_webhook_output);
  registry.add("responder", make_responder_output);
  registry.add("alertmanager", make_alertmanager_output, alertmanager_delivery_defaults());
}

}  // namespace peregrine::outputs
