#include "outputs/http/url.h"

#include <curl/curl.h>

#include <memory>

namespace peregrine::outputs {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

UrlPtr parse(const std::string& url) {
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return nullptr;
  return u;
}

std::string get(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, flags) != CURLUE_OK || s == nullptr) return "";
  std::string out(s);
  curl_free(s);
  return out;
}

}  // namespace

std::string check_http_url(const std::string& url) {
  auto u = parse(url);
  if (!u) return "not a valid URL";
  const std::string scheme = get(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") return "scheme must be http or https";
  if (get(u.get(), CURLUPART_HOST).empty()) return "has no host";
  return "";
}

std::string url_join(const std::string& base, const std::string& path) {
  auto u = parse(base);
  if (!u) return base + path;
  std::string p = get(u.get(), CURLUPART_PATH);
  while (!p.empty() && p.back() == '/') p.pop_back();
  p += path.empty() || path.front() == '/' ? path : "/" + path;
  curl_url_set(u.get(), CURLUPART_PATH, p.c_str(), 0);
  return get(u.get(), CURLUPART_URL);
}

std::string url_with_query(const std::string& url, const std::vector<std::pair<std::string, std::string>>& params) {
  auto u = parse(url);
  if (!u) return url;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    const std::string kv = k + "=" + v;
    curl_url_set(u.get(), CURLUPART_QUERY, kv.c_str(), CURLU_APPENDQUERY | CURLU_URLENCODE);
  }
  return get(u.get(), CURLUPART_URL);
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string redacted_url(const std::string& url) {
  auto u = parse(url);
  if (!u) return "<invalid URL>";
  std::string p = get(u.get(), CURLUPART_PATH);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return url_origin(url) + p;
}

std::string url_origin(const std::string& url) {
  auto u = parse(url);
  if (!u) return "<invalid URL>";
  std::string out = get(u.get(), CURLUPART_SCHEME) + "://" + get(u.get(), CURLUPART_HOST);
  const std::string port = get(u.get(), CURLUPART_PORT);
  if (!port.empty()) out += ":" + port;
  return out;
}

}  // namespace peregrine::outputs
