// parse_http_client_config: the HTTP keys every HTTP output shares (documented in http_client.h).
#include <unistd.h>

#include "common/base64.h"
#include "common/secrets.h"
#include "outputs/http/http_client.h"

namespace peregrine::outputs {
namespace {

std::string readable_file(config::NodeReader& r, const std::string& key) {
  std::string path = r.str(key, "");
  if (!path.empty() && ::access(path.c_str(), R_OK) != 0) r.fail(key, "cannot read " + path);
  return path;
}

}  // namespace

HttpClientConfig parse_http_client_config(config::NodeReader& node, HttpClientConfig d) {
  HttpClientConfig c = d;
  c.timeout = std::chrono::milliseconds(node.integer("timeout_ms", d.timeout.count(), 100, 3'600'000));
  c.connect_timeout =
      std::chrono::milliseconds(node.integer("connect_timeout_ms", d.connect_timeout.count(), 100, 600'000));
  if (c.connect_timeout > c.timeout) node.fail("connect_timeout_ms", "must not exceed timeout_ms");
  c.concurrency = static_cast<size_t>(node.integer("concurrency", static_cast<int64_t>(d.concurrency), 1, 64));
  c.compression = node.choice("compression", d.compression == Compression::kGzip ? "gzip" : "none",
                              {"none", "gzip"}) == "gzip"
                      ? Compression::kGzip
                      : Compression::kNone;
  if (node.has("headers")) c.headers = node.string_map("headers");
  for (const auto& [k, v] : c.headers) {
    if (k.empty() || k.find_first_of(":\r\n ") != std::string::npos) node.fail("headers", "invalid header name");
    if (v.find_first_of("\r\n") != std::string::npos) node.fail("headers", "header values must be one line");
    // A header is as likely as not a credential (X-Api-Key, Authorization): never print values.
    secrets::add(v);
  }
  c.proxy = node.str("proxy", d.proxy);
  c.max_response_bytes =
      static_cast<size_t>(node.bytes("max_response_bytes", static_cast<int64_t>(d.max_response_bytes), 256, 16 << 20));

  config::NodeReader a = node.sub("auth");
  c.auth.username = a.str("username", "");
  c.auth.password = a.secret("password", "");
  c.auth.bearer_token = a.secret("bearer_token", "");
  c.auth.api_key = a.secret("api_key", "");
  c.auth.api_key_header = a.str("api_key_header", d.auth.api_key_header);
  c.auth.api_key_prefix = a.str("api_key_prefix", d.auth.api_key_prefix);
  const int kinds = (!c.auth.username.empty() || !c.auth.password.empty()) + !c.auth.bearer_token.empty() +
                    !c.auth.api_key.empty();
  if (kinds > 1)
    a.fail(c.auth.api_key.empty() ? "bearer_token" : "api_key",
           "give one kind of auth: username/password, bearer_token or api_key");
  if (!c.auth.password.empty() && c.auth.username.empty()) a.fail("password", "needs username");
  // A receiver may echo the Authorization header into an error body: its encoded form is as secret as the password.
  if (!c.auth.password.empty()) secrets::add(base64_encode(c.auth.username + ":" + c.auth.password));
  a.finish();

  config::NodeReader t = node.sub("tls");
  c.tls.ca_file = readable_file(t, "ca_file");
  c.tls.cert_file = readable_file(t, "cert_file");
  c.tls.key_file = readable_file(t, "key_file");
  if (c.tls.cert_file.empty() != c.tls.key_file.empty())
    t.fail(c.tls.cert_file.empty() ? "key_file" : "cert_file", "cert_file and key_file go together (mutual TLS)");
  c.tls.insecure_skip_verify = t.boolean("insecure_skip_verify", false);
  t.finish();
  return c;
}

}  // namespace peregrine::outputs
