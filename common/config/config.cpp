#include "common/config/config.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/config/yaml_stream.h"

namespace peregrine::config {

LogConfig read_log(NodeReader& parent) {
  NodeReader r = parent.sub("log");
  LogConfig c;
  c.level = r.choice("level", c.level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
  c.format = r.choice("format", "text", {"text", "json"}) == "json" ? LogFormat::kJson : LogFormat::kText;
  r.finish();
  return c;
}

void check_listen(NodeReader& r, const std::string& key, const std::string& value) {
  if (auto hp = parse_host_port(value); !hp) r.fail(key, hp.error().message);
}

HttpConfig read_http(NodeReader& parent, HttpConfig c) {
  NodeReader r = parent.sub("http");
  c.enabled = r.boolean("enabled", c.enabled);
  c.listen = r.str("listen", c.listen);
  check_listen(r, "listen", c.listen);
  r.finish();
  return c;
}

namespace {

void check_endpoint(NodeReader& r, const std::string& key, const std::string& value) {
  if (auto ok = validate_endpoint(value); !ok) r.fail(key, ok.error().message);
}

std::string read_endpoint(NodeReader& r, const std::string& key, const std::string& def) {
  std::string v = r.str(key, def);
  check_endpoint(r, key, v);
  return v;
}

// sensor.container_runtimes: a list of runtime names or {type, socket} maps (the Helm chart writes the maps).
void read_container_runtimes(NodeReader& r, SensorConfig& c) {
  YAML::Node list = r.child("container_runtimes");
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) r.fail("container_runtimes", "must be a list of runtime names or {type, socket} maps");
  const std::string section = r.section() + ".container_runtimes";
  for (const auto& entry : list) {
    const YAML::Node& item = entry;
    std::string type, socket;
    if (item.IsScalar()) {
      type = item.Scalar();
    } else if (item.IsMap()) {
      NodeReader e(item, r.file(), section);
      type = e.required_str("type");
      socket = e.str("socket", "");
      if (e.has("socket") && socket.empty()) e.fail("socket", "must not be empty (leave the entry out instead)");
      e.finish();
    } else {
      throw error_at(r.file(), item, "each entry of " + section + " is a runtime name or a {type, socket} map");
    }
    if (type == "docker") {
      if (!socket.empty()) c.docker_socket = socket;
      continue;
    }
    if (type != "containerd" && type != "crio")
      throw error_at(r.file(), item, section + ": unknown runtime '" + type + "' (docker, containerd, crio)");
    for (const auto& prev : c.container_runtimes)
      if (prev.type == type) throw error_at(r.file(), item, section + ": runtime '" + type + "' listed twice");
    if (socket.empty()) socket = type == "containerd" ? "/run/containerd/containerd.sock" : "/run/crio/crio.sock";
    c.container_runtimes.push_back({type, socket});
  }
}

SensorConfig read_sensor(NodeReader r) {
  SensorConfig c;
  c.log = read_log(r);
  c.http = read_http(r, c.http);
  c.events_endpoint = read_endpoint(r, "events_endpoint", c.events_endpoint);
  c.control_endpoint = read_endpoint(r, "control_endpoint", c.control_endpoint);
  c.ring_buffer_mib = r.integer("ring_buffer_mib", c.ring_buffer_mib, 1, 1024);
  if ((c.ring_buffer_mib & (c.ring_buffer_mib - 1)) != 0) r.fail("ring_buffer_mib", "must be a power of two");
  c.cpus_per_buffer = r.integer("cpus_per_buffer", c.cpus_per_buffer, 0, 4096);
  c.queue_capacity = r.integer("queue_capacity", c.queue_capacity, 1, 1 << 20);
  c.send_hwm = r.integer("send_hwm", c.send_hwm, 1, 1000000);
  c.batch_max_bytes = r.bytes("batch_max_bytes", c.batch_max_bytes, 4096, 16LL << 20);
  c.batch_max_delay_us = r.integer("batch_max_delay_us", c.batch_max_delay_us, 1, 10000000);
  c.max_ancestors = r.integer("max_ancestors", c.max_ancestors, 0, 16);
  c.proc_table_max = r.integer("proc_table_max", c.proc_table_max, 1024, 16LL << 20);
  c.fd_table_max_per_proc = r.integer("fd_table_max_per_proc", c.fd_table_max_per_proc, 0, 1 << 20);
  c.docker_socket = r.str("docker_socket", c.docker_socket);
  read_container_runtimes(r, c);
  c.drop_alert_ratio = r.number("drop_alert_ratio", c.drop_alert_ratio, 0.0, 1.0);
  c.drop_stats_interval_s = r.integer("drop_stats_interval_s", c.drop_stats_interval_s, 1, 86400);
  c.capture_buffers = r.boolean("capture_buffers", c.capture_buffers);
  c.toctou_paths = r.boolean("toctou_paths", c.toctou_paths);
  c.curve = read_curve_server(r, "curve");
  c.allow_plaintext = r.boolean("allow_plaintext", c.allow_plaintext);
  check_plaintext_bind(r, "events_endpoint", c.events_endpoint, c.curve, c.allow_plaintext);
  check_plaintext_bind(r, "control_endpoint", c.control_endpoint, c.curve, c.allow_plaintext);
  r.finish();
  return c;
}

RuleSelector read_selector(NodeReader& parent, const std::string& key) {
  NodeReader r = parent.sub(key);
  RuleSelector s;
  s.names = r.strings("names");
  s.tags = r.strings("tags");
  r.finish();
  return s;
}

std::string default_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::vector<AppendOutputConfig> read_append_output(NodeReader& r) {
  YAML::Node list = r.child("append_output");
  std::vector<AppendOutputConfig> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) r.fail("append_output", "must be a list of {match, extra_output, extra_fields} entries");
  for (const auto& entry : list) {
    const YAML::Node& item = entry;
    if (!item.IsMap()) throw error_at(r.file(), item, "each entry of engine.append_output must be a map");
    NodeReader e(item, r.file(), "engine.append_output");
    AppendOutputConfig a;
    NodeReader m = e.sub("match");
    a.source = m.str("source", "");
    a.tags = m.strings("tags");
    a.rule = m.str("rule", "");
    m.finish();
    a.extra_output = e.str("extra_output", "");
    YAML::Node fields = e.child("extra_fields");
    if (fields.IsDefined() && !fields.IsNull()) {
      if (!fields.IsSequence()) e.fail("extra_fields", "must be a list of field names or {name: value} maps");
      for (const auto& fe : fields) {
        const YAML::Node& f = fe;
        if (f.IsScalar()) {
          a.extra_fields.push_back(f.Scalar());
        } else if (f.IsMap() && f.size() == 1) {
          auto kv = f.begin();
          if (!kv->second.IsScalar()) throw error_at(r.file(), kv->second, "extra_fields: a constant must be a scalar");
          try {
            a.static_fields.emplace_back(kv->first.Scalar(), expand_env(kv->second.Scalar()));
          } catch (const std::invalid_argument& ex) {
            throw error_at(r.file(), kv->second, std::string("extra_fields: ") + ex.what());
          }
        } else {
          throw error_at(r.file(), f, "extra_fields: each entry is a field name or a one-key {name: value} map");
        }
      }
    }
    if (a.extra_output.empty() && a.extra_fields.empty() && a.static_fields.empty())
      throw error_at(r.file(), item, "append_output entry has neither extra_output nor extra_fields");
    a.where = r.file() + ":" + std::to_string(item.Mark().line + 1) + ":" + std::to_string(item.Mark().column + 1);
    e.finish();
    out.push_back(std::move(a));
  }
  return out;
}

// "FILE:LINE:COL" of each entry of a list (or of a single scalar) already read with NodeReader::strings.
EntryPositions positions_of(NodeReader& r, const std::string& key) {
  EntryPositions p;
  YAML::Node n = r.child(key);
  auto at = [&](const YAML::Node& item) {
    p.where.push_back(r.file() + ":" + std::to_string(item.Mark().line + 1) + ":" +
                      std::to_string(item.Mark().column + 1));
  };
  if (n.IsScalar()) at(n);
  if (n.IsSequence())
    for (const auto& item : n) at(item);
  return p;
}

TlsServerConfig read_tls_server(NodeReader& parent) {
  NodeReader t = parent.sub("tls");
  TlsServerConfig c;
  c.cert_file = t.str("cert_file", "");
  c.key_file = t.str("key_file", "");
  c.client_ca_file = t.str("client_ca_file", "");
  if (c.cert_file.empty() != c.key_file.empty())
    t.fail(c.cert_file.empty() ? "key_file" : "cert_file", "cert_file and key_file go together");
  if (!c.client_ca_file.empty() && c.cert_file.empty())
    t.fail("client_ca_file", "needs cert_file and key_file (mTLS is TLS with client certificates)");
  t.finish();
  return c;
}

// bearer_token / bearer_token_file of an HTTP intake section: one or the other, an inline token of 16+ characters.
void read_bearer(NodeReader& h, std::string& token, std::string& token_file) {
  token = h.secret("bearer_token", "");
  token_file = h.str("bearer_token_file", "");
  if (!token.empty() && !token_file.empty())
    h.fail("bearer_token_file", "set either bearer_token or bearer_token_file, not both");
  if (!token.empty() && token.size() < 16)
    h.fail("bearer_token", "must be at least 16 characters (e.g. openssl rand -hex 32)");
}

K8sAuditConfig read_k8s_audit(NodeReader& parent) {
  NodeReader h = parent.sub("k8s_audit");
  K8sAuditConfig c;
  c.enabled = h.boolean("enabled", c.enabled);
  c.listen = h.str("listen", c.listen);
  check_listen(h, "listen", c.listen);
  c.path = h.str("path", c.path);
  if (c.path.empty() || c.path[0] != '/' || c.path.find_first_of("?# ") != std::string::npos)
    h.fail("path", "must be a URL path starting with '/' (no query, fragment or spaces)");
  c.max_body_bytes = h.bytes("max_body_bytes", c.max_body_bytes, 1024, 1LL << 30);
  c.queue_capacity = h.integer("queue_capacity", c.queue_capacity, 1, 10000000);
  read_bearer(h, c.bearer_token, c.bearer_token_file);
  c.tls = read_tls_server(h);
  h.finish();
  return c;
}

EngineConfig read_engine(NodeReader r) {
  EngineConfig c;
  c.log = read_log(r);
  c.http = read_http(r, c.http);
  c.events_endpoint = read_endpoint(r, "events_endpoint", c.events_endpoint);
  c.control_endpoint = read_endpoint(r, "control_endpoint", c.control_endpoint);
  c.alerts_endpoint = read_endpoint(r, "alerts_endpoint", c.alerts_endpoint);
  c.rules_files = r.strings("rules_files", c.rules_files);
  c.rules_files_at = positions_of(r, "rules_files");
  c.rule_matching = r.choice("rule_matching", "first", {"first", "all"}) == "all" ? RuleMatching::kAll
                                                                                 : RuleMatching::kFirst;
  c.min_priority = r.choice("min_priority", c.min_priority,
                            {"emergency", "alert", "critical", "error", "warning", "notice", "informational",
                             "info", "debug"});
  c.rules_enable = read_selector(r, "rules_enable");
  c.rules_disable = read_selector(r, "rules_disable");
  c.ack_timeout_ms = r.integer("ack_timeout_ms", c.ack_timeout_ms, 10, 3600000);
  c.pending_max = r.integer("pending_max", c.pending_max, 1, 100000000);
  c.replay_file = r.str("replay_file", c.replay_file);
  c.watch_rules = r.boolean("watch_rules", c.watch_rules);
  c.threads = r.integer("threads", c.threads, 0, kMaxEvalThreads);
  c.hostname = r.str("hostname", c.hostname);
  if (c.hostname.empty()) c.hostname = default_hostname();
  c.append_output = read_append_output(r);
  auto& o = c.output_options;
  o.json_include_output_property = r.boolean("json_include_output_property", o.json_include_output_property);
  o.json_include_output_fields_property =
      r.boolean("json_include_output_fields_property", o.json_include_output_fields_property);
  o.json_include_tags_property = r.boolean("json_include_tags_property", o.json_include_tags_property);
  o.json_include_message_property = r.boolean("json_include_message_property", o.json_include_message_property);
  o.time_format_iso_8601 = r.boolean("time_format_iso_8601", o.time_format_iso_8601);
  c.sensor_curve = read_curve_client(r, "sensor_curve");
  c.alerts_curve = read_curve_client(r, "alerts_curve");
  c.k8s_audit = read_k8s_audit(r);
  r.finish();
  return c;
}

std::vector<OutputConfigNode> read_outputs(NodeReader& r) {
  YAML::Node list = r.child("outputs");
  std::vector<OutputConfigNode> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) r.fail("outputs", "must be a list of outputs");
  std::set<std::string> names;
  for (const auto& entry : list) {
    const YAML::Node& item = entry;  // a sequence element (iterator_value is also a pair)
    NodeReader o(item, r.file(), "router.outputs");
    if (!item.IsMap()) throw error_at(r.file(), item, "each entry of router.outputs must be a map");
    OutputConfigNode n;
    n.type = o.required_str("type");
    n.name = o.str("name", n.type);
    if (n.name.empty()) o.fail("name", "must not be empty");
    if (!names.insert(n.name).second) {
      o.fail("name", "duplicate output name '" + n.name + "' (give each output a unique name)");
    }
    n.raw = item;
    n.file = r.file();
    n.line = item.Mark().line + 1;
    n.column = item.Mark().column + 1;
    out.push_back(std::move(n));
  }
  return out;
}

RouterConfig read_router(NodeReader r) {
  RouterConfig c;
  c.log = read_log(r);
  c.http = read_http(r, c.http);
  c.alerts_endpoint = read_endpoint(r, "alerts_endpoint", c.alerts_endpoint);
  c.alerts_curve = read_curve_server(r, "alerts_curve");
  c.allow_plaintext = r.boolean("allow_plaintext", c.allow_plaintext);
  check_plaintext_bind(r, "alerts_endpoint", c.alerts_endpoint, c.alerts_curve, c.allow_plaintext);
  {
    NodeReader h = r.sub("http_input");
    c.http_input.enabled = h.boolean("enabled", c.http_input.enabled);
    c.http_input.listen = h.str("listen", c.http_input.listen);
    check_listen(h, "listen", c.http_input.listen);
    c.http_input.max_body_bytes = h.bytes("max_body_bytes", c.http_input.max_body_bytes, 1024, 1LL << 30);
    read_bearer(h, c.http_input.bearer_token, c.http_input.bearer_token_file);
    c.http_input.tls = read_tls_server(h);
    h.finish();
  }
  {
    NodeReader q = r.sub("queue");
    c.queue.dir = q.str("dir", c.queue.dir);
    if (c.queue.dir.empty()) q.fail("dir", "must not be empty");
    c.queue.segment_bytes = q.bytes("segment_bytes", c.queue.segment_bytes, 1LL << 20, 4LL << 30);
    c.queue.max_bytes = q.bytes("max_bytes", c.queue.max_bytes, 1LL << 20, 1LL << 50);
    if (c.queue.max_bytes < c.queue.segment_bytes) {  // the budget must hold at least one full segment
      if (q.has("max_bytes"))
        q.fail("max_bytes", "must be at least segment_bytes (" + std::to_string(c.queue.segment_bytes) + " bytes)");
      q.fail("segment_bytes", "must not exceed max_bytes (" + std::to_string(c.queue.max_bytes) + " bytes)");
    }
    std::string fs = q.choice("fsync", "batch", {"batch", "interval", "none"});
    c.queue.fsync = fs == "batch" ? FsyncMode::kBatch : fs == "interval" ? FsyncMode::kInterval : FsyncMode::kNone;
    c.queue.fsync_interval_ms = q.integer("fsync_interval_ms", c.queue.fsync_interval_ms, 1, 60000);
    q.finish();
  }
  c.dedup_window = r.integer("dedup_window", c.dedup_window, 0, 100000000);
  c.drain_timeout_ms = r.integer("drain_timeout_ms", c.drain_timeout_ms, 0, 3600000);
  {
    NodeReader f = r.sub("fault_injection");
    c.fault_drop_acks = f.integer("drop_acks", c.fault_drop_acks, 0, 1000000);
    f.finish();
  }
  c.outputs = read_outputs(r);
  r.finish();
  return c;
}

PeregrineConfig parse_root(const YAML::Node& root, const std::string& file) {
  PeregrineConfig cfg;
  cfg.file = file;
  NodeReader r(root, file, "");
  cfg.sensor = read_sensor(r.sub("sensor"));
  cfg.engine = read_engine(r.sub("engine"));
  cfg.router = read_router(r.sub("router"));
  r.ignore({"responder"});  // read and checked by peregrine-responder (responder/responder_config.h)
  r.finish();
  return cfg;
}

}  // namespace

NodeReader OutputConfigNode::reader() const {
  NodeReader r(raw, file, "router.outputs[" + name + "]");
  r.ignore({"type", "name"});
  return r;
}

PeregrineConfig parse_config(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = load_single_yaml_document(yaml_text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    throw ConfigError(file, line, e.mark.is_null() ? 0 : e.mark.column + 1, "invalid YAML: " + e.msg);
  }
  try {
    return parse_root(root, file);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    // yaml-cpp can still throw on odd documents (e.g. conversions); keep the position.
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    throw ConfigError(file, line, e.mark.is_null() ? 0 : e.mark.column + 1, e.msg);
  }
}

PeregrineConfig load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "cannot open configuration file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

Result<PeregrineConfig> try_load_config(const std::string& path) {
  try {
    return load_config(path);
  } catch (const ConfigError& e) {
    return make_error(e.what());
  }
}

Result<PeregrineConfig> try_parse_config(const std::string& yaml_text, const std::string& file) {
  try {
    return parse_config(yaml_text, file);
  } catch (const ConfigError& e) {
    return make_error(e.what());
  }
}

Result<HostPort> parse_host_port(const std::string& s) {
  HostPort hp;
  std::string port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return make_error("expected \"[ipv6]:port\"");
    }
    hp.host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return make_error("expected \"host:port\"");
    hp.host = s.substr(0, colon);
    if (hp.host.find(':') != std::string::npos) return make_error("IPv6 addresses need brackets: \"[::1]:port\"");
    port = s.substr(colon + 1);
  }
  if (hp.host.empty()) hp.host = "0.0.0.0";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return make_error("port must be a number between 0 and 65535");
  }
  hp.port = std::stoi(port);
  if (hp.port > 65535) return make_error("port must be a number between 0 and 65535");
  return hp;
}

Result<void> validate_endpoint(const std::string& s) {
  if (s.rfind("tcp://", 0) == 0) {
    std::string rest = s.substr(6);
    // ZeroMQ's wildcard port "*" is accepted as well as 0.
    if (rest.size() > 2 && rest.compare(rest.size() - 2, 2, ":*") == 0) return {};
    if (auto hp = parse_host_port(rest); !hp) return make_error("invalid tcp endpoint: " + hp.error().message);
    return {};
  }
  if (s.rfind("ipc://", 0) == 0 && s.size() > 6) return {};
  if (s.rfind("inproc://", 0) == 0 && s.size() > 9) return {};
  return make_error("endpoint must be tcp://host:port, ipc://path or inproc://name");
}

std::string_view to_string(LogFormat f) { return f == LogFormat::kJson ? "json" : "text"; }
std::string_view to_string(RuleMatching m) { return m == RuleMatching::kAll ? "all" : "first"; }
std::string_view to_string(FsyncMode m) {
  return m == FsyncMode::kBatch ? "batch" : m == FsyncMode::kInterval ? "interval" : "none";
}

}  // namespace peregrine::config
