#include "router/sidekick/sidekick_config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/config/yaml_stream.h"
#include "outputs/alertmanager/alertmanager_output.h"

namespace peregrine::router {
namespace {

std::string upper_env(const std::string& path) {
  std::string e;
  for (char c : path) e += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return e;
}

// A Go duration as Sidekick's config holds it ("1s", "500ms", "2m30s"), in milliseconds.
std::optional<int64_t> go_duration_ms(const std::string& s) {
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return std::nullopt;
    const int64_t n = std::stoll(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    const std::string unit = s.substr(j, k - j);
    if (unit == "ms") total += n;
    else if (unit == "s") total += n * 1000;
    else if (unit == "m") total += n * 60'000;
    else if (unit == "h") total += n * 3'600'000;
    else return std::nullopt;
    i = k;
  }
  return total;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One Sidekick configuration: the YAML file's scalars by dotted path, with the environment twins on top.
class Source {
 public:
  Source(const std::string& file, const Getenv& getenv) : file_(file), getenv_(getenv) {
    if (file.empty()) return;
    std::ifstream in(file);
    if (!in) throw config::ConfigError(file, 0, 0, "cannot open the Falcosidekick configuration");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      root_ = config::load_single_yaml_document(ss.str());
    } catch (const YAML::Exception& e) {
      throw config::ConfigError(file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                                "invalid YAML: " + e.msg);
    }
  }
  YAML::Node node(const std::string& path) const {
    // reset() rebinds a handle; operator= would write into the document.
    YAML::Node n;
    n.reset(root_);
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '.');) {
      if (!n.IsMap()) return YAML::Node();
      YAML::Node next;
      for (const auto& kv : n)
        if (lower(kv.first.Scalar()) == part) next.reset(kv.second);
      if (!next.IsDefined()) return YAML::Node();
      n.reset(next);
    }
    return n;
  }
  /// The value of `path` (environment twin first), "" when unset.
  std::string get(const std::string& path) const {
    if (const char* v = getenv_(upper_env(path).c_str()); v != nullptr && *v != '\0') return v;
    YAML::Node n = node(path);
    return n.IsDefined() && n.IsScalar() ? n.Scalar() : "";
  }
  /// A map key (customfields, customheaders): YAML map, or the environment's "k:v,k2:v2" (split at the first
  /// ':', so a value may contain ':'; Sidekick drops such entries).
  std::vector<std::pair<std::string, std::string>> map(const std::string& path) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (const char* v = getenv_(upper_env(path).c_str()); v != nullptr && *v != '\0') {
      std::stringstream ss(v);
      for (std::string item; std::getline(ss, item, ',');) {
        const auto colon = item.find(':');
        if (colon != std::string::npos) out.emplace_back(item.substr(0, colon), item.substr(colon + 1));
      }
      return out;
    }
    YAML::Node n = node(path);
    if (n.IsMap())
      for (const auto& kv : n) out.emplace_back(kv.first.Scalar(), kv.second.IsScalar() ? kv.second.Scalar() : "");
    return out;
  }
  std::pair<int, int> mark(const std::string& section) const {
    YAML::Node n = node(section);
    if (!n.IsDefined()) return {0, 0};
    return {n.Mark().line + 1, n.Mark().column + 1};
  }
  /// Keys present under `section` in the YAML file or the environment.
  std::set<std::string> keys(const std::string& section, char** environ_list) const {
    std::set<std::string> out;
    YAML::Node n = node(section);
    if (n.IsMap())
      for (const auto& kv : n) out.insert(lower(kv.first.Scalar()));
    const std::string prefix = upper_env(section) + "_";
    for (char** e = environ_list; e && *e; ++e) {
      const std::string kv = *e;
      const auto eq = kv.find('=');
      if (kv.rfind(prefix, 0) == 0 && eq != std::string::npos && eq + 1 < kv.size())
        out.insert(lower(kv.substr(prefix.size(), eq - prefix.size())));
    }
    return out;
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  Getenv getenv_;
  YAML::Node root_;
};

// One Sidekick output being turned into a Peregrine one: keys used are remembered, the rest reported.
struct Builder {
  const Source& src;
  std::string section;
  YAML::Node out{YAML::NodeType::Map};
  std::set<std::string> used;
  std::vector<std::string>& not_honoured;

  std::string get(const std::string& key) {
    used.insert(key);
    return src.get(section + "." + key);
  }
  void set(const std::string& key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  }
  void skip(const std::string& key, const std::string& why) {
    used.insert(key);
    if (!src.get(section + "." + key).empty()) not_honoured.push_back(section + "." + key + ": not honoured: " + why);
  }
  // minimumpriority, checkcert, mutualtls, maxconcurrentrequests, customheaders: shared by every HTTP output.
  void common_http(const std::string& headers_key = "customheaders") {
    const std::string prio = lower(get("minimumpriority"));
    if (!prio.empty()) out["min_priority"] = prio;
    if (lower(get("checkcert")) == "false") out["tls"]["insecure_skip_verify"] = true;
    if (lower(get("mutualtls")) == "true") {
      const std::string dir = src.get("mutualtlsfilespath").empty() ? "/etc/certs" : src.get("mutualtlsfilespath");
      const std::string cert = src.get("mutualtlsclient.certfile"), key = src.get("mutualtlsclient.keyfile"),
                        ca = src.get("mutualtlsclient.cacertfile");
      out["tls"]["cert_file"] = cert.empty() ? dir + "/client.crt" : cert;
      out["tls"]["key_file"] = key.empty() ? dir + "/client.key" : key;
      out["tls"]["ca_file"] = ca.empty() ? dir + "/ca.crt" : ca;
    } else if (!src.get("tlsclient.cacertfile").empty()) {
      out["tls"]["ca_file"] = src.get("tlsclient.cacertfile");
    }
    const std::string conc = get("maxconcurrentrequests");
    if (!conc.empty()) out["concurrency"] = conc == "0" ? "64" : conc;
    for (const auto& [k, v] : src.map(section + "." + headers_key)) out["headers"][k] = v;
    used.insert(headers_key);
  }
  void report_unused(char** environ_list) {
    for (const auto& k : src.keys(section, environ_list))
      if (!used.count(k)) not_honoured.push_back(section + "." + k + ": not honoured: no Peregrine equivalent");
  }
};

void add_output(SidekickTranslation& t, const Source& src, Builder& b, const std::string& type, char** env) {
  b.out["type"] = type;
  b.out["name"] = "sidekick-" + b.section;
  // Sidekick's global customfields go to every output (its templatedfields are Go templates: reported).
  for (const auto& [k, v] : src.map("customfields")) b.out["custom_fields"][k] = v;
  b.report_unused(env);
  const auto [line, col] = src.mark(b.section);
  config::OutputConfigNode n{type, "sidekick-" + b.section, b.out, src.file().empty() ? "<environment>" : src.file(),
                             line, col};
  t.outputs.push_back(std::move(n));
}

void slack_like(SidekickTranslation& t, const Source& src, const std::string& section, char** env) {
  Builder b{src, section, YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string url = b.get("webhookurl");
  if (url.empty()) return;
  b.set("webhook_url", url);
  const std::string format = lower(b.get("outputformat"));
  b.out["format"] = format == "text" ? "text" : "attachments";  // Sidekick sends attachments
  b.skip("messageformat", "a Go template; use `text:` with a Peregrine template ({{rule}}, {{proc.name}})");
  b.skip("username", "ignored by Slack app webhooks");
  b.skip("icon", "ignored by Slack app webhooks");
  b.skip("footer", "not part of Peregrine's message");
  b.skip("channel", "incoming webhooks post to their own channel; use bot_token + channel for chat.postMessage");
  b.common_http();
  add_output(t, src, b, "slack", env);
}

}  // namespace

namespace {

void teams(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "teams", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string url = b.get("webhookurl");
  if (url.empty()) return;
  b.set("webhook_url", url);
  // An O365 connector URL gets the MessageCard it always got; a Workflows URL an Adaptive Card.
  if (url.find(".webhook.office.com") != std::string::npos) b.out["format"] = "messagecard";
  b.skip("activityimage", "not part of Peregrine's card");
  b.skip("outputformat", "Peregrine's card always has the facts and the text");
  b.common_http();
  add_output(t, src, b, "teams", env);
}

void elasticsearch(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "elasticsearch", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string url = b.get("hostport");
  if (url.empty()) return;
  b.set("url", url);
  const std::string index = b.get("index").empty() ? "falco" : b.get("index");
  const std::string suffix = lower(b.get("suffix"));
  // Sidekick dates indexes by its own clock; Peregrine by the alert's time (a delayed alert lands in its day).
  b.out["index"] = index + (suffix == "none" ? "" : suffix == "monthly" ? "-%Y.%m" : suffix == "annually" ? "-%Y"
                                                                                                          : "-%Y.%m.%d");
  b.skip("type", "typeless _bulk API (mapping types are gone since Elasticsearch 7)");
  const std::string user = b.get("username"), pass = b.get("password"), key = b.get("apikey");
  if (!key.empty()) b.out["auth"]["api_key"] = key;
  else if (!user.empty()) b.out["auth"]["username"] = user, b.out["auth"]["password"] = pass;
  b.out["template"]["install"] = lower(b.get("createindextemplate")) == "true";
  if (const auto s = b.get("numberofshards"); !s.empty()) b.out["template"]["shards"] = s;
  if (const auto r = b.get("numberofreplicas"); !r.empty()) b.out["template"]["replicas"] = r;
  // Sidekick keeps dotted field names unless flattenfields (or createindextemplate) is on.
  const bool flatten = lower(b.get("flattenfields")) == "true" || lower(src.get("elasticsearch.createindextemplate")) == "true";
  b.out["output_fields"] = flatten ? "flatten" : "object";
  b.set("pipeline", b.get("pipeline"));
  if (lower(b.get("enablecompression")) == "true") b.out["compression"] = "gzip";
  b.used.insert("batching");
  if (const auto size = src.get("elasticsearch.batching.batchsize"); !size.empty())
    b.out["delivery"]["batch_max_bytes"] = size;
  if (const auto iv = src.get("elasticsearch.batching.flushinterval"); !iv.empty()) {
    if (const auto ms = go_duration_ms(iv)) b.out["delivery"]["linger_ms"] = std::to_string(*ms);
    else t.not_honoured.push_back("elasticsearch.batching.flushinterval: not honoured: cannot read '" + iv + "'");
  }
  b.common_http();
  add_output(t, src, b, "elasticsearch", env);
}

void loki(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "loki", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string url = b.get("hostport");
  if (url.empty()) return;
  b.set("url", url);
  b.set("path", b.get("endpoint"));
  b.set("tenant", b.get("tenant"));
  const std::string user = b.get("user"), key = b.get("apikey");
  if (!user.empty()) b.out["auth"]["username"] = user, b.out["auth"]["password"] = key;
  b.out["line"] = lower(b.get("format")) == "json" ? "json" : "text";
  const std::string extra = b.get("extralabels");
  std::stringstream ss(extra);
  for (std::string l; std::getline(ss, l, ',');)
    if (!l.empty()) b.out["extra_labels"].push_back(l);
  b.out["labels"].push_back("rule");
  b.out["labels"].push_back("source");
  b.out["labels"].push_back("priority");
  b.out["labels"].push_back("hostname");
  b.out["labels"].push_back("tags");
  b.common_http();
  add_output(t, src, b, "loki", env);
}

void webhook(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "webhook", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string url = b.get("address");
  if (url.empty()) return;
  b.set("url", url);
  b.set("method", b.get("method"));
  b.common_http();
  add_output(t, src, b, "webhook", env);
}

void alertmanager(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "alertmanager", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string hosts = b.get("hostport");
  if (hosts.empty()) return;
  std::stringstream ss(hosts);
  for (std::string h; std::getline(ss, h, ',');)
    if (!h.empty()) b.out["urls"].push_back(h);
  const std::string endpoint = b.get("endpoint");
  if (!endpoint.empty() && endpoint != "/api/v2/alerts")
    t.not_honoured.push_back("alertmanager.endpoint: not honoured: Peregrine posts to /api/v2/alerts");
  if (const auto e = b.get("expiresafter"); !e.empty()) b.out["resolve_after"] = e + "s";
  // Sidekick's extralabels / extraannotations: "name:value, name2:value2", fixed values on every alert.
  const auto pairs = [&](const char* key, const char* to) {
    std::stringstream ls(b.get(key));
    for (std::string l; std::getline(ls, l, ',');) {
      l = trim(l);
      if (l.empty()) continue;
      const auto colon = l.find(':');
      if (colon == std::string::npos || trim(l.substr(0, colon)).empty() || trim(l.substr(colon + 1)).empty()) {
        t.not_honoured.push_back(std::string("alertmanager.") + key + ": '" + l + "' is not name:value, left out");
        continue;
      }
      const std::string name = trim(l.substr(0, colon));
      if (outputs::prometheus_label_name(name) != name || name.rfind("__", 0) == 0) {
        t.not_honoured.push_back(std::string("alertmanager.") + key + ": '" + name +
                                 "' is not a Prometheus label name, left out");
        continue;
      }
      b.out[to][name] = trim(l.substr(colon + 1));
    }
  };
  pairs("extralabels", "labels");
  pairs("extraannotations", "annotations");
  b.skip("customseveritymap", "Peregrine's priority-to-severity mapping is fixed (docs/router.md)");
  b.skip("dropeventdefaultpriority", "drop alerts are ordinary alerts in Peregrine");
  b.skip("dropeventthresholds", "drop alerts are ordinary alerts in Peregrine");
  b.common_http();
  add_output(t, src, b, "alertmanager", env);
}

void syslog(SidekickTranslation& t, const Source& src, char** env) {
  Builder b{src, "syslog", YAML::Node(YAML::NodeType::Map), {}, t.not_honoured};
  const std::string host = b.get("host");
  if (host.empty()) return;
  b.set("host", host);
  b.set("port", b.get("port"));
  b.set("protocol", lower(b.get("protocol")));
  const std::string format = lower(b.get("format"));
  if (format == "cef") t.not_honoured.push_back("syslog.format: not honoured: CEF; sending RFC 5424 with JSON");
  b.out["format"] = "json";
  const std::string prio = lower(b.get("minimumpriority"));
  if (!prio.empty()) b.out["min_priority"] = prio;
  add_output(t, src, b, "syslog", env);
}

// Sidekick outputs Peregrine has no equivalent for, by their section (reported when configured at all).
constexpr const char* kOthers[] = {
    "webex", "discord", "googlechat", "cliq", "telegram", "datadog", "datadoglogs", "influxdb", "statsd", "dogstatsd",
    "prometheus", "wavefront", "spyderbat", "timescaledb", "dynatrace", "otlp", "opsgenie", "pagerduty",
    "grafanaoncall", "aws", "grafana", "zincsearch", "openobserve", "sumologic", "quickwit", "logstash", "splunk",
    "gcp", "yandex", "fission", "cloudevents", "kubeless", "openfaas", "tekton", "nats", "stan", "kafka", "kafkarest",
    "rabbitmq", "azure", "mqtt", "gotify", "smtp", "redis", "nodered", "n8n", "webui", "policyreport", "talon"};

}  // namespace

SidekickTranslation translate_sidekick(const std::string& file, const Getenv& getenv, char** environ_list) {
  Source src(file, getenv);
  SidekickTranslation t;
  const std::string addr = src.get("listenaddress"), port = src.get("listenport");
  if (!addr.empty() || !port.empty()) t.listen = (addr.empty() ? "0.0.0.0" : addr) + ":" + (port.empty() ? "2801" : port);
  for (const char* k : {"debug", "customtags", "bracketreplacer", "outputfieldformat"})
    if (!src.get(k).empty()) t.not_honoured.push_back(std::string(k) + ": not honoured: no Peregrine equivalent");
  if (!src.map("templatedfields").empty())
    t.not_honoured.push_back("templatedfields: not honoured: Go templates; give the output templated_fields with "
                             "Peregrine templates ({{k8s.ns.name}})");
  if (!src.get("tlsserver.deploy").empty() && lower(src.get("tlsserver.deploy")) == "true")
    t.not_honoured.push_back("tlsserver: not honoured: the HTTP intake has no TLS of its own yet; put it behind a proxy");
  for (const char* s : {"slack", "rocketchat", "mattermost"}) slack_like(t, src, s, environ_list);
  teams(t, src, environ_list);
  elasticsearch(t, src, environ_list);
  loki(t, src, environ_list);
  webhook(t, src, environ_list);
  alertmanager(t, src, environ_list);
  syslog(t, src, environ_list);
  for (const char* s : kOthers)
    if (!src.keys(s, environ_list).empty())
      t.not_honoured.push_back(std::string(s) + ": not honoured: Peregrine has no " + s + " output");
  return t;
}

void apply_sidekick(config::RouterConfig& router, SidekickTranslation t) {
  for (auto& o : t.outputs) {
    for (const auto& existing : router.outputs)
      if (existing.name == o.name)
        throw config::ConfigError(o.file, o.line, o.column, "output name '" + o.name + "' is already configured");
    router.outputs.push_back(std::move(o));
  }
  if (!t.listen.empty()) router.http_input.listen = t.listen;
}

}  // namespace peregrine::router
