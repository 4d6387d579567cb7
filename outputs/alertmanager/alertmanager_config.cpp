// parse_alertmanager_config and the factory: the keys documented in alertmanager_output.h.
#include <set>

#include "outputs/alertmanager/alertmanager_output.h"
#include "outputs/http/url.h"

namespace peregrine::outputs {
namespace {

std::vector<std::string> read_urls(config::NodeReader& node) {
  if (node.has("url") == node.has("urls")) node.fail(node.has("urls") ? "urls" : "url", "give either url or urls");
  std::vector<std::string> urls = node.has("url") ? std::vector<std::string>{node.str("url", "")} : node.strings("urls");
  const std::string key = node.has("url") ? "url" : "urls";
  if (urls.empty()) node.fail(key, "needs at least one URL");
  for (const auto& u : urls)
    if (auto why = check_http_url(u); !why.empty()) node.fail(key, why);
  if (std::set<std::string>(urls.begin(), urls.end()).size() != urls.size()) node.fail(key, "a URL is listed twice");
  return urls;
}

void read_annotations(config::NodeReader& node, AlertmanagerConfig& c) {
  YAML::Node a = node.child("annotations");
  if (!a.IsDefined() || a.IsNull()) return;
  if (!a.IsMap()) node.fail("annotations", "expected a map of annotation name to template");
  for (const auto& kv : a) {
    const std::string name = kv.first.Scalar();
    if (name.empty() || prometheus_label_name(name) != name || name == "summary" || name == "description")
      throw config::error_at(node.file(), kv.first,
                             "annotations: '" + name + "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*), or is "
                             "summary/description (set by the output; use the description key)");
    if (!kv.second.IsScalar()) throw config::error_at(node.file(), kv.second, "annotations: expected a template");
    c.annotations.emplace_back(name, Template::parse(kv.second.Scalar(), Escape::kNone, node.file(),
                                                     kv.second.Mark().line + 1, kv.second.Mark().column + 1));
  }
}

// Fixed labels: a map of label name to value; names must be Prometheus label names, not reserved, not set twice.
void read_labels(config::NodeReader& node, AlertmanagerConfig& c, std::set<std::string>& names) {
  YAML::Node l = node.child("labels");
  if (!l.IsDefined() || l.IsNull()) return;
  if (!l.IsMap()) node.fail("labels", "expected a map of label name to value");
  for (const auto& kv : l) {
    const std::string name = kv.first.Scalar();
    if (name.empty() || prometheus_label_name(name) != name || name.rfind("__", 0) == 0)
      throw config::error_at(node.file(), kv.first,
                             "labels: '" + name + "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting __)");
    if (!names.insert(name).second)
      throw config::error_at(node.file(), kv.first, "labels: '" + name + "' is already set by the output");
    if (!kv.second.IsScalar() || kv.second.Scalar().empty())
      throw config::error_at(node.file(), kv.second, "labels: '" + name + "' needs a non-empty value");
    c.labels.emplace_back(name, kv.second.Scalar());
  }
}

}  // namespace

AlertmanagerConfig parse_alertmanager_config(config::NodeReader& node) {
  AlertmanagerConfig c;
  c.urls = read_urls(node);
  c.labels_from_fields = node.strings("labels_from_fields");
  std::set<std::string> names{"alertname", "priority", "severity", "source", "hostname"};
  read_labels(node, c, names);
  for (const auto& f : c.labels_from_fields) {
    const std::string name = prometheus_label_name(f);
    if (name.rfind("__", 0) == 0) node.fail("labels_from_fields", "'" + f + "' makes a reserved label name (__)");
    if (!names.insert(name).second)
      node.fail("labels_from_fields", "'" + f + "' makes the label '" + name + "', which is already set");
  }
  c.description = read_template(node, "description", "{{output}}", Escape::kNone);
  read_annotations(node, c);
  if (node.has("generator_url")) c.generator_url = read_template(node, "generator_url", "", Escape::kUrl);
  // 0 = no endsAt, as Sidekick's expiresafter: 0.
  const auto resolve = node.duration("resolve_after", std::chrono::milliseconds(0), std::chrono::milliseconds(0),
                                     std::chrono::hours(24 * 365));
  if (resolve.count() > 0) c.resolve_after = resolve;
  c.http = parse_http_client_config(node);
  return c;
}

std::unique_ptr<Output> make_alertmanager_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<AlertmanagerOutput>(std::move(common), parse_alertmanager_config(node));
}

}  // namespace peregrine::outputs
