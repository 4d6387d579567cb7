// parse_http_sms_config and the factory: the keys documented in http_sms_output.h.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <strings.h>

#include "common/secrets.h"
#include "outputs/http/url.h"
#include "outputs/http_sms/http_sms_output.h"

namespace peregrine::outputs {
namespace {

// True when the URL names a path beyond "/" (http://gw:13013 and http://gw:13013/ have none).
bool has_path(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos || url[slash] != '/') return false;
  const size_t end = url.find_first_of("?#", slash);
  return url.substr(slash, end == std::string::npos ? std::string::npos : end - slash) != "/";
}

Escape body_escape(std::string content_type) {
  std::transform(content_type.begin(), content_type.end(), content_type.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (content_type.find("json") != std::string::npos) return Escape::kJson;
  if (content_type.find("x-www-form-urlencoded") != std::string::npos) return Escape::kUrl;
  return Escape::kNone;
}

// A map of name → template, each parsed at its own position (after ${ENV} substitution).
NamedTemplates read_templates(config::NodeReader& node, const std::string& key) {
  NamedTemplates out;
  const YAML::Node m = node.child(key);
  if (!m.IsDefined() || m.IsNull()) return out;
  if (!m.IsMap()) node.fail(key, "expected a map of name to template");
  for (const auto& kv : m) {
    if (!kv.second.IsScalar()) throw config::error_at(node.file(), kv.second, key + ": expected a template");
    std::string text;
    try {
      text = config::expand_env(kv.second.Scalar());
    } catch (const std::invalid_argument& e) {
      throw config::error_at(node.file(), kv.second, key + ": " + e.what());
    }
    out.emplace_back(kv.first.Scalar(), Template::parse(text, Escape::kNone, node.file(), kv.second.Mark().line + 1,
                                                        kv.second.Mark().column + 1));
  }
  return out;
}

// `defaults` with each configured entry replacing the one of the same name, or appended.
NamedTemplates merged(NamedTemplates defaults, NamedTemplates configured, bool ignore_case) {
  for (auto& entry : configured) {
    const std::string& name = entry.first;  // a plain reference: clang 14 cannot capture structured bindings
    auto same = [&](const auto& d) {
      return ignore_case ? strcasecmp(d.first.c_str(), name.c_str()) == 0 : d.first == name;
    };
    auto it = std::find_if(defaults.begin(), defaults.end(), same);
    if (it != defaults.end()) it->second = std::move(entry.second);
    else defaults.emplace_back(name, std::move(entry.second));
  }
  return defaults;
}

NamedTemplates kannel_defaults(const std::vector<std::pair<const char*, const char*>>& entries) {
  NamedTemplates out;
  for (const auto& [name, text] : entries) out.emplace_back(name, Template::parse(text));
  return out;
}

std::vector<int> read_statuses(config::NodeReader& node, std::vector<int> def) {
  if (!node.has("success_status")) return def;
  std::vector<int> out;
  for (const auto& s : node.strings("success_status")) {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 100 || v > 599)
      node.fail("success_status", "expected HTTP status codes (100..599)");
    out.push_back(v);
  }
  if (out.empty()) node.fail("success_status", "needs at least one status");
  return out;
}

}  // namespace

HttpSmsConfig parse_http_sms_config(config::NodeReader& node) {
  HttpSmsConfig c;
  c.url = node.required_str("url");
  if (auto why = check_http_url(c.url); !why.empty()) node.fail("url", why);
  if (!has_path(c.url)) c.url = url_join(c.url, "/cgi-bin/sendsms");
  c.post = node.choice("method", "GET", {"GET", "POST"}) == "POST";
  c.username = node.str("username", "");
  c.password = node.secret("password", "");
  if (url_encode(c.password) != c.password) secrets::add(url_encode(c.password));  // as it appears in a query
  c.from = node.str("from", "");
  c.to = parse_recipients(node);
  if (!c.post && node.has("body")) node.fail("body", "only with method: POST (GET sends no body)");
  if (!c.post && node.has("content_type")) node.fail("content_type", "only with method: POST");
  c.content_type = node.str("content_type", c.post ? "text/plain; charset=UTF-8" : "");
  c.body = read_template(node, "body", "{{sms.text}}", body_escape(c.content_type));
  NamedTemplates query_defaults, header_defaults;
  if (c.post) {
    header_defaults = kannel_defaults({{"X-Kannel-Username", "{{sms.username}}"},
                                       {"X-Kannel-Password", "{{sms.password}}"},
                                       {"X-Kannel-From", "{{sms.from}}"},
                                       {"X-Kannel-To", "{{sms.to}}"},
                                       {"X-Kannel-Coding", "{{sms.coding}}"}});
  } else {
    query_defaults = kannel_defaults({{"username", "{{sms.username}}"}, {"password", "{{sms.password}}"},
                                      {"from", "{{sms.from}}"}, {"to", "{{sms.to}}"}, {"text", "{{sms.text}}"},
                                      {"charset", "UTF-8"}, {"coding", "{{sms.coding}}"}});
  }
  c.query = merged(std::move(query_defaults), read_templates(node, "query"), false);
  c.headers = merged(std::move(header_defaults), read_templates(node, "headers"), true);
  c.success_status = read_statuses(node, c.success_status);
  c.sms = parse_sms_text_config(node);
  // The shared parser checks the header names and registers their values as secrets; here they are templates,
  // rendered per message, so the client must not add them as they are.
  c.http = parse_http_client_config(node);
  c.http.headers.clear();
  return c;
}

std::unique_ptr<Output> make_http_sms_output(OutputCommon common, config::NodeReader& node) {
  return std::make_unique<HttpSmsOutput>(std::move(common), parse_http_sms_config(node));
}

}  // namespace peregrine::outputs
