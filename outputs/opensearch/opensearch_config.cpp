// parse_opensearch_config and the factory: the keys documented in opensearch_output.h.
#include "outputs/http/url.h"
#include "outputs/opensearch/opensearch_output.h"

namespace peregrine::outputs {
namespace {

// Index names: lower case, no spaces or characters OpenSearch refuses, not starting with -, _ or +.
std::string index_name_problem(const std::string& pattern) {
  if (pattern.empty()) return "must not be empty";
  if (pattern[0] == '-' || pattern[0] == '_' || pattern[0] == '+') return "must not start with -, _ or +";
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c >= 'A' && c <= 'Z') return "must be lower case";
    if (std::string_view(" \"*\\<|,>/?#:").find(c) != std::string_view::npos)
      return std::string("must not contain '") + c + "'";
    if (c == '%' && (i + 1 == pattern.size() || std::string_view("YmdH%").find(pattern[i + 1]) == std::string_view::npos))
      return "only %Y, %m, %d, %H and %% may follow %";
    if (c == '%') ++i;
  }
  return "";
}

}  // namespace

OpenSearchConfig parse_opensearch_config(config::NodeReader& node) {
  OpenSearchConfig c;
  c.url = node.required_str("url");
  if (auto why = check_http_url(c.url); !why.empty()) node.fail("url", why);
  if (node.has("index") && node.has("data_stream")) node.fail("data_stream", "give either index or data_stream");
  c.index = node.str("index", c.index);
  if (auto why = index_name_problem(c.index); !why.empty()) node.fail("index", why);
  c.data_stream = node.str("data_stream", "");
  if (!c.data_stream.empty()) {
    if (c.data_stream.find('%') != std::string::npos) node.fail("data_stream", "a data stream name has no date");
    if (auto why = index_name_problem(c.data_stream); !why.empty()) node.fail("data_stream", why);
  }
  c.op_create = node.choice("op_type", "create", {"create", "index"}) == "create";
  if (!c.data_stream.empty() && !c.op_create) node.fail("op_type", "data streams only accept create");
  c.flatten_fields = node.choice("output_fields", "flatten", {"flatten", "object"}) == "flatten";
  c.pipeline = node.str("pipeline", "");
  c.refresh = node.choice("refresh", "false", {"false", "true", "wait_for"});
  c.max_bulk_bytes = static_cast<size_t>(node.bytes("max_bulk_bytes", static_cast<int64_t>(c.max_bulk_bytes), 4096,
                                                    100LL << 20));
  config::NodeReader t = node.sub("template");
  c.template_install = t.boolean("install", c.template_install);
  c.template_name = t.str("name", c.template_name);
  if (c.template_name.empty()) t.fail("name", "must not be empty");
  c.template_shards = static_cast<int>(t.integer("shards", c.template_shards, 1, 1024));
  c.template_replicas = static_cast<int>(t.integer("replicas", c.template_replicas, 0, 16));
  t.finish();
  HttpClientConfig http;
  http.timeout = std::chrono::seconds(30);    // a 5 MiB bulk on a busy node takes a while
  http.max_response_bytes = 8u << 20;         // per-item results of large batches (filter_path keeps them small)
  c.http = parse_http_client_config(node, http);
  return c;
}

std::unique_ptr<Output> make_opensearch_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<OpenSearchOutput>(std::move(common), parse_opensearch_config(node));
}

}  // namespace peregrine::outputs
