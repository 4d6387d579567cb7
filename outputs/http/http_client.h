// The one HTTP client of every HTTP output (libcurl). Each output owns one HttpClient, built from the keys every
// HTTP output shares (parse_http_client_config):
//
//   timeout_ms: 10000            # whole request, connect included; a receiver that never answers costs this
//   connect_timeout_ms: 3000
//   concurrency: 1               # payloads (batches) of this output in flight at once (1..64)
//   compression: none            # none | gzip (request bodies, Content-Encoding: gzip)
//   headers: {X-Env: prod}       # added to every request
//   auth:                        # at most one kind
//     username: elastic          # basic auth, with password
//     password: ${ES_PASSWORD}
//     bearer_token: ${TOKEN}     # Authorization: Bearer <token>
//     api_key: ${KEY}            # <api_key_header>: <api_key_prefix><key>
//     api_key_header: Authorization
//     api_key_prefix: "ApiKey "
//   tls:
//     ca_file: /etc/ssl/my-ca.pem     # trust these CAs instead of the system's
//     cert_file: client.pem           # client certificate (mutual TLS), with key_file
//     key_file: client.key
//     insecure_skip_verify: false     # true: no certificate or host name check (warned about at start)
//   proxy: ""                    # http://proxy:3128; "" = libcurl's environment (http_proxy, https_proxy,
//                                #  HTTPS_PROXY, no_proxy), "none" = never use a proxy
//   max_response_bytes: 64KiB    # response bytes kept for error messages; the rest is read and dropped
//
// Connections are reused (keep-alive): one libcurl handle per concurrent sender, kept between requests.
// Requests never use chunked encoding (Content-Length is always set). Secrets (password, token, key) are
// registered with common/secrets.h so that no log line or dead letter prints them.
#pragma once

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/node_reader.h"
#include "outputs/output.h"

namespace peregrine::outputs {

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
  bool operator==(const TlsConfig&) const = default;
};

struct AuthConfig {
  std::string username;
  std::string password;
  std::string bearer_token;
  std::string api_key;
  std::string api_key_header = "Authorization";
  std::string api_key_prefix = "ApiKey ";
  bool operator==(const AuthConfig&) const = default;
};

enum class Compression { kNone, kGzip };

struct HttpClientConfig {
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  size_t concurrency = 1;
  Compression compression = Compression::kNone;
  std::vector<std::pair<std::string, std::string>> headers;
  AuthConfig auth;
  TlsConfig tls;
  std::string proxy;
  size_t max_response_bytes = 64 * 1024;
  /// Not a YAML key of the outputs: a Unix socket to connect to instead of the URL's host (the responder's
  /// container actions talk to the Docker Engine API on /var/run/docker.sock this way). "" = TCP.
  std::string unix_socket;
  bool operator==(const HttpClientConfig&) const = default;
};

/// Reads the shared HTTP keys above from an output's mapping. `defaults` are the output type's (e.g. a longer
/// timeout for bulk APIs). Throws config::ConfigError (file:line:col) on bad values or unreadable TLS files.
HttpClientConfig parse_http_client_config(config::NodeReader& node, HttpClientConfig defaults = {});

struct HttpRequest {
  std::string method = "POST";  // GET, POST, PUT, DELETE
  std::string url;
  std::string body;
  std::string content_type;     // "" = none
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::string body;                                    // at most max_response_bytes
  bool body_truncated = false;
  std::optional<std::chrono::milliseconds> retry_after;
  std::string content_type;
};

/// A transport failure (connect, TLS, timeout, I/O) or the destination's answer (any status).
struct HttpOutcome {
  std::optional<SendFailure> failure;
  HttpResponse response;
  bool ok() const { return !failure && response.status >= 200 && response.status < 300; }
};

class HttpClient {
 public:
  /// `name` names the output in the start-up warning about insecure_skip_verify.
  HttpClient(HttpClientConfig cfg, const std::string& name);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// One request with the configured auth, headers, compression, TLS, proxy and timeouts. Thread-safe: up to
  /// `concurrency` callers at once each get their own kept-alive connection.
  HttpOutcome perform(const HttpRequest& req);
  /// perform() as delivery facts: 2xx = success; another status = kHttpStatus with Retry-After and the start of
  /// the response body; transport failures as they are.
  SendResult send(const HttpRequest& req);
  /// The request a payload describes (url, method, content type, headers, body).
  static HttpRequest request_for(const Payload& p);

  const HttpClientConfig& config() const { return cfg_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);

  HttpClientConfig cfg_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

/// Retry-After as seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`);
/// nullopt when unparsable. A date in the past is 0.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::time_t now);

/// gzip (RFC 1952) of `data`.
std::string gzip_compress(std::string_view data);
/// Inverse of gzip_compress (tests, fakes); nullopt on bad input.
std::optional<std::string> gzip_decompress(std::string_view data);

/// The start of an error answer for messages: its first 512 bytes on one line (the status goes in SendFailure).
std::string response_snippet(const HttpResponse& r);

}  // namespace peregrine::outputs
