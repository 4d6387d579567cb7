#include "outputs/http/http_client.h"

#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>

#include "common/log.h"

namespace peregrine::outputs {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Where one transfer's response goes: status line headers of interest and a bounded body.
struct Sink {
  size_t limit = 0;
  HttpResponse* resp = nullptr;
  std::string retry_after;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  const size_t room = s->limit > s->resp->body.size() ? s->limit - s->resp->body.size() : 0;
  s->resp->body.append(data, std::min(room, len));
  if (len > room) s->resp->body_truncated = true;
  return len;  // read the rest and drop it: the connection stays reusable
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    const std::string name = lower(line.substr(0, colon));
    if (name == "retry-after") s->retry_after = std::string(trim(line.substr(colon + 1)));
    if (name == "content-type") s->resp->content_type = std::string(trim(line.substr(colon + 1)));
  }
  return size * n;
}

SendFailure transport_failure(CURLcode rc, const char* errbuf) {
  SendFailure f;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      f.kind = SendFailure::Kind::kTimeout;
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      f.kind = SendFailure::Kind::kConnect;
      break;
    default:
      f.kind = SendFailure::Kind::kIo;
  }
  f.message = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  return f;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(HttpClientConfig cfg, const std::string& name) : cfg_(std::move(cfg)) {
  global_init();
  if (cfg_.tls.insecure_skip_verify)
    logger("router")->warn("output {}: tls.insecure_skip_verify is on: certificates and host names are NOT checked",
                           name);
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void HttpClient::release(std::unique_ptr<Handle> h) {
  std::lock_guard lk(mu_);
  idle_.push_back(std::move(h));
}

HttpRequest HttpClient::request_for(const Payload& p) {
  HttpRequest r;
  r.method = p.method;
  r.url = p.url;
  r.body = p.body;
  r.content_type = p.content_type;
  r.headers = p.headers;
  return r;
}

HttpOutcome HttpClient::perform(const HttpRequest& req) {
  HttpOutcome out;
  auto h = acquire();
  CURL* c = h->curl;
  if (c == nullptr) {
    out.failure = SendFailure{SendFailure::Kind::kIo, 0, std::nullopt, "curl_easy_init failed"};
    return out;
  }
  curl_easy_reset(c);  // options of the previous request go; the connection cache stays
  char errbuf[CURL_ERROR_SIZE] = {};
  Sink sink{cfg_.max_response_bytes, &out.response, {}};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  if (!cfg_.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, cfg_.proxy == "none" ? "" : cfg_.proxy.c_str());
  if (!cfg_.tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg_.tls.ca_file.c_str());
  if (!cfg_.tls.cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, cfg_.tls.cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, cfg_.tls.key_file.c_str());
  }
  if (cfg_.tls.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  const std::string body = cfg_.compression == Compression::kGzip && !req.body.empty() ? gzip_compress(req.body)
                                                                                       : std::string();
  const std::string& sent = body.empty() ? req.body : body;
  curl_slist* headers = nullptr;
  auto add = [&](const std::string& h) { headers = curl_slist_append(headers, h.c_str()); };
  if (!req.content_type.empty()) add("Content-Type: " + req.content_type);
  if (!body.empty()) add("Content-Encoding: gzip");
  add("Expect:");  // no 100-continue round trip for large bodies
  for (const auto& [k, v] : cfg_.headers) add(k + ": " + v);
  for (const auto& [k, v] : req.headers) add(k + ": " + v);
  const auto& a = cfg_.auth;
  if (!a.bearer_token.empty()) add("Authorization: Bearer " + a.bearer_token);
  if (!a.api_key.empty()) add(a.api_key_header + ": " + a.api_key_prefix + a.api_key);
  if (!a.username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, a.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, a.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  // Handles are reused across requests of any method: the socket path and custom verb are set (or cleared) on
  // every request, never left over from the previous one.
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cfg_.unix_socket.empty() ? nullptr : cfg_.unix_socket.c_str());
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS with an explicit size: Content-Length, never chunked; PUT/DELETE keep the body.
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sent.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, sent.data());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method != "POST" ? req.method.c_str() : nullptr);
  }
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    out.failure = transport_failure(rc, errbuf);
  } else {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    out.response.status = static_cast<int>(status);
    if (!sink.retry_after.empty()) out.response.retry_after = parse_retry_after(sink.retry_after, std::time(nullptr));
  }
  release(std::move(h));
  return out;
}

SendResult HttpClient::send(const HttpRequest& req) {
  SendResult r;
  auto o = perform(req);
  if (o.failure) {
    r.failure = o.failure;
  } else if (!o.ok()) {
    r.failure = SendFailure{SendFailure::Kind::kHttpStatus, o.response.status, o.response.retry_after,
                            response_snippet(o.response)};
  }
  return r;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v, std::time_t now) {
  v = trim(v);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    int64_t secs = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
    return std::chrono::milliseconds(std::min<int64_t>(secs, 86'400) * 1000);
  }
  const std::string date(v);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return std::chrono::milliseconds(when > now ? static_cast<int64_t>(when - now) * 1000 : 0);
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::optional<std::string> gzip_decompress(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string response_snippet(const HttpResponse& r) {
  std::string body = r.body.substr(0, 512);
  for (char& ch : body)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (body.empty()) return "(empty response)";
  return r.body.size() > 512 ? body + "..." : body;
}

}  // namespace peregrine::outputs
