// parse_loki_config and the factory: the keys documented in loki_output.h.
#include "outputs/http/url.h"
#include "outputs/loki/loki_output.h"

namespace peregrine::outputs {

LokiConfig parse_loki_config(config::NodeReader& node) {
  LokiConfig c;
  c.url = node.required_str("url");
  if (auto why = check_http_url(c.url); !why.empty()) node.fail("url", why);
  c.path = node.str("path", c.path);
  if (c.path.empty() || c.path[0] != '/') node.fail("path", "must start with /");
  c.tenant = node.str("tenant", "");
  c.labels = node.strings("labels", c.labels);
  for (const auto& l : c.labels)
    if (l != "source" && l != "priority" && l != "rule" && l != "hostname" && l != "tags")
      node.fail("labels", "unknown label '" + l + "' (source, priority, rule, hostname, tags; output fields go in "
                                                  "extra_labels)");
  c.k8s_labels = node.boolean("k8s_labels", c.k8s_labels);
  c.extra_labels = node.strings("extra_labels");
  if (c.labels.size() + c.extra_labels.size() + (c.k8s_labels ? 2 : 0) > 15)
    node.fail("extra_labels", "more than 15 labels (Loki's default limit per stream)");
  c.max_label_values = static_cast<size_t>(node.integer("max_label_values", 1000, 1, 1'000'000));
  c.line_json = node.choice("line", "json", {"json", "text"}) == "json";
  c.structured_metadata = node.strings("structured_metadata");
  c.max_push_bytes = static_cast<size_t>(node.bytes("max_push_bytes", 3 << 20, 4096, 100LL << 20));
  c.http = parse_http_client_config(node);
  return c;
}

std::unique_ptr<Output> make_loki_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<LokiOutput>(std::move(common), parse_loki_config(node));
}

}  // namespace peregrine::outputs
