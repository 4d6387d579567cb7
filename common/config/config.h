// Peregrine's configuration: one YAML file, one section per process, parsed once into these structs.
//
// Every key is documented beside its field and in docs/configuration.md. Loading is strict: unknown keys,
// wrong types and out-of-range values are errors with "FILE:LINE:COL: message". Scalars may use ${VAR} and
// ${VAR:-default}. Relative paths are kept as written and resolve against the current working directory.
//
// Grammar of the top level (EBNF, YAML structure):
//   file    = { "sensor" ":" sensor | "engine" ":" engine | "router" ":" router | "responder" ":" map } ;
//             (each optional; "responder" is read by peregrine-responder alone: responder/responder_config.h)
//   router.outputs = "[" { output } "]" ;  output = map with "type" (required) and "name" (default = type).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/config/append_output.h"
#include "common/config/link_config.h"
#include "common/config/node_reader.h"
#include "common/result.h"

namespace peregrine::config {

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";             // level: trace|debug|info|warn|error|critical|off
  LogFormat format = LogFormat::kText;    // format: text|json (JSON lines on stderr)
  bool operator==(const LogConfig&) const = default;
};

struct HttpConfig {
  bool enabled = true;                    // enabled: serve /healthz and /metrics
  std::string listen = "127.0.0.1:9101";  // listen: "host:port" or "[v6]:port"; port 0 = any free port
  bool operator==(const HttpConfig&) const = default;
};

/// One CRI runtime the sensor asks for container metadata (sensor.container_runtimes).
struct CriRuntimeConfig {
  std::string type;    // type: containerd | crio
  std::string socket;  // socket: unix socket path; default /run/containerd/containerd.sock, /run/crio/crio.sock
  bool operator==(const CriRuntimeConfig&) const = default;
};

struct SensorConfig {
  LogConfig log;                                       // log: {level, format}
  HttpConfig http{true, "127.0.0.1:9101"};             // http: admin server
  std::string events_endpoint = "tcp://127.0.0.1:7701";   // events_endpoint: PUSH binds here (event batches)
  std::string control_endpoint = "tcp://127.0.0.1:7702";  // control_endpoint: PULL binds here (engine's selection)
  int64_t ring_buffer_mib = 8;           // ring_buffer_mib: size of each BPF ring buffer, power of two, 1..1024
  int64_t cpus_per_buffer = 0;           // cpus_per_buffer: CPUs sharing one ring; 0 = one ring for all CPUs
  int64_t queue_capacity = 1024;         // queue_capacity: batches queued between ring consumer and publisher
  int64_t send_hwm = 1000;               // send_hwm: ZeroMQ send high-water mark (batches) on the events link
  int64_t batch_max_bytes = 65536;       // batch_max_bytes: a batch is sent when it reaches this size ...
  int64_t batch_max_delay_us = 1000;     // batch_max_delay_us: ... or when its oldest event is this old
  int64_t max_ancestors = 5;             // max_ancestors: parent-chain length carried in each event (0..16)
  int64_t proc_table_max = 65536;        // proc_table_max: processes tracked; oldest exited evicted first
  int64_t fd_table_max_per_proc = 1024;  // fd_table_max_per_proc: fds remembered per process
  std::string docker_socket = "/var/run/docker.sock";  // docker_socket: "" disables the Docker lookups
  // container_runtimes: CRI runtimes asked (in order, after Docker) for the containers Docker does not know;
  // entries `containerd`, `crio` or `{type: containerd|crio, socket: PATH}`; a `docker` entry (or
  // `{type: docker, socket: PATH}`, which sets docker_socket) is accepted; Docker is always asked first.
  std::vector<CriRuntimeConfig> container_runtimes;
  double drop_alert_ratio = 0.1;         // drop_alert_ratio: emit a drop alert when drops/events exceeds this
  int64_t drop_stats_interval_s = 10;    // drop_stats_interval_s: window for the drop ratio and drop logging
  bool capture_buffers = false;          // capture_buffers: copy read/write payloads into events (evt.buffer)
  bool toctou_paths = true;              // toctou_paths: copy open* paths at syscall entry (sys_enter hook)
  CurveServerConfig curve;               // curve: {secret_key_file, allowed_client_keys} on both binds (engines)
  bool allow_plaintext = false;          // allow_plaintext: permit a non-loopback bind without curve
  bool operator==(const SensorConfig&) const = default;
};

struct RuleSelector {
  std::vector<std::string> names;  // names: rule names
  std::vector<std::string> tags;   // tags: rules having any of these tags
  bool operator==(const RuleSelector&) const = default;
};

enum class RuleMatching { kFirst, kAll };

/// Where each entry of a list was written ("FILE:LINE:COL"; empty when the list is the default), for errors
/// found after parsing, such as a rules_files entry that cannot be read. Positions are not part of the value:
/// two configs that differ only here compare equal.
struct EntryPositions {
  std::vector<std::string> where;
  bool operator==(const EntryPositions&) const { return true; }
};

/// falco.yaml's JSON output switches and text time format, as flat engine keys (docs/configuration.md, "Alert
/// JSON switches", says where each applies on the way to the router's outputs).
struct FalcoOutputOptions {
  bool json_include_output_property = true;         // json_include_output_property: keep the "output" text
  bool json_include_output_fields_property = true;  // json_include_output_fields_property: send output_fields
  bool json_include_tags_property = true;           // json_include_tags_property: send the rule's tags
  bool json_include_message_property = false;       // json_include_message_property: add "message" (no prefix)
  bool time_format_iso_8601 = false;                // time_format_iso_8601: text prefix 2024-05-01T12:00:00.n+0000
  bool operator==(const FalcoOutputOptions&) const = default;
};

/// TLS on an HTTP server (the router's intake, the engine's k8s audit webhook). Empty cert_file = plain HTTP.
struct TlsServerConfig {
  std::string cert_file;       // cert_file: PEM server certificate (chain first); "" = plain HTTP
  std::string key_file;        // key_file: PEM private key of cert_file; required with it
  std::string client_ca_file;  // client_ca_file: PEM CA bundle; set = mTLS: clients must present a certificate
                               // it signed, others fail the TLS handshake
  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const TlsServerConfig&) const = default;
};

/// The engine's Kubernetes audit webhook (docs/k8s-audit.md): kube-apiserver's webhook backend POSTs
/// audit.k8s.io/v1 EventLists (or single Events) here; they are evaluated by the source k8s_audit rules.
struct K8sAuditConfig {
  bool enabled = false;                    // enabled: serve the webhook
  std::string listen = "127.0.0.1:9765";   // listen: host:port; port 0 = any free port
  std::string path = "/k8s-audit";         // path: URL path the apiserver POSTs to (starts with '/')
  int64_t max_body_bytes = 32LL << 20;     // max_body_bytes: larger bodies (after gzip decoding) get 413
  int64_t queue_capacity = 10000;          // queue_capacity: audit events waiting for evaluation; a batch that
                                           // does not fit whole gets 503 + Retry-After (nothing of it queued)
  std::string bearer_token;                // bearer_token: require "Authorization: Bearer <it>" (use ${ENV}); a
                                           // secret, never logged. Empty = no token (the token file is read)
  std::string bearer_token_file;           // bearer_token_file: the token in a file (one line; not with bearer_token)
  TlsServerConfig tls;                     // tls: {cert_file, key_file, client_ca_file} HTTPS / mTLS
  bool operator==(const K8sAuditConfig&) const = default;
};

inline constexpr int64_t kMaxEvalThreads = 64;  // engine.threads' upper bound (and the cap of threads: 0)

struct EngineConfig {
  LogConfig log;
  HttpConfig http{true, "127.0.0.1:9102"};
  std::string events_endpoint = "tcp://127.0.0.1:7701";   // events_endpoint: PULL connects here
  std::string control_endpoint = "tcp://127.0.0.1:7702";  // control_endpoint: PUSH connects here
  std::string alerts_endpoint = "tcp://127.0.0.1:7703";   // alerts_endpoint: DEALER connects here
  std::vector<std::string> rules_files{"rules/peregrine_rules.yaml"};  // rules_files: files or directories
                                                                       // (*.yaml/*.yml in name order), in order
  EntryPositions rules_files_at;         // where each rules_files entry was written
  RuleMatching rule_matching = RuleMatching::kFirst;  // rule_matching: first|all (Falco's rule_matching)
  std::string min_priority = "debug";    // min_priority: rules below this priority are not loaded
  RuleSelector rules_enable;             // rules_enable: {names, tags} force-enabled (applied after disable)
  RuleSelector rules_disable;            // rules_disable: {names, tags} disabled
  int64_t ack_timeout_ms = 2000;         // ack_timeout_ms: resend an alert not acked by the router in this time
  int64_t pending_max = 100000;          // pending_max: unacknowledged alerts kept; beyond, new alerts drop
  std::string replay_file;               // replay_file: JSONL events read instead of the sensor when set
  bool watch_rules = false;              // watch_rules: reload when a rules file or directory changes
  int64_t threads = 0;                   // threads: evaluating threads; 0 = one per core, at most kMaxEvalThreads
  std::string hostname;                  // hostname: alert "hostname"; empty in the file = gethostname()
  std::vector<AppendOutputConfig> append_output;  // append_output: extra output for matching rules
  FalcoOutputOptions output_options;     // json_include_*_property, time_format_iso_8601 (flat keys)
  CurveClientConfig sensor_curve;        // sensor_curve: {secret_key_file, server_public_key} events + control
  CurveClientConfig alerts_curve;        // alerts_curve: {secret_key_file, server_public_key} towards the router
  K8sAuditConfig k8s_audit;              // k8s_audit: Kubernetes audit webhook intake (off by default)
  bool operator==(const EngineConfig&) const = default;
};

struct HttpInputConfig {
  bool enabled = true;                     // enabled: accept Falco http_output POSTs
  std::string listen = "127.0.0.1:2801";   // listen: host:port of the intake server
  int64_t max_body_bytes = 1 << 20;        // max_body_bytes: larger requests get 413
  std::string bearer_token;                // bearer_token: require "Authorization: Bearer <it>" (use ${ENV}); a
                                           // secret, never logged. Empty = no token (the token file is read)
  std::string bearer_token_file;           // bearer_token_file: the token in a file (one line; not with bearer_token)
  TlsServerConfig tls;                     // tls: {cert_file, key_file, client_ca_file} HTTPS / mTLS
  bool operator==(const HttpInputConfig&) const = default;
};

enum class FsyncMode { kBatch, kInterval, kNone };

struct QueueConfig {
  std::string dir = "/var/lib/peregrine/router";  // dir: segment files and cursors
  int64_t segment_bytes = 64LL << 20;              // segment_bytes: segment roll-over size (1 MiB..4 GiB)
  int64_t max_bytes = 1LL << 30;                   // max_bytes: disk budget over all segments; appends beyond
                                                   // it are refused (>= segment_bytes; --queue-max-mib wins)
  FsyncMode fsync = FsyncMode::kBatch;             // fsync: batch|interval|none
  int64_t fsync_interval_ms = 100;                 // fsync_interval_ms: period when fsync = interval
  bool operator==(const QueueConfig&) const = default;
};

/// One entry of router.outputs, carried raw: the output registry validates it with NodeReader.
struct OutputConfigNode {
  std::string type;  // type: output kind ("stdout", "file", "webhook", ...)
  std::string name;  // name: instance name, unique; default = type
  YAML::Node raw;    // the whole map (including type and name)
  std::string file;  // config file it came from
  int line = 0;      // 1-based line of the entry
  int column = 0;    // 1-based column of the entry
  /// A strict reader over `raw` with "type" and "name" already consumed; section "router.outputs[name]".
  NodeReader reader() const;
  /// Same entry of the same file (the raw YAML is not compared).
  bool operator==(const OutputConfigNode& o) const {
    return type == o.type && name == o.name && file == o.file && line == o.line && column == o.column;
  }
};

struct RouterConfig {
  LogConfig log;
  HttpConfig http{true, "127.0.0.1:9103"};
  std::string alerts_endpoint = "tcp://127.0.0.1:7703";  // alerts_endpoint: ROUTER binds here
  CurveServerConfig alerts_curve;  // alerts_curve: {secret_key_file, allowed_client_keys} (engines' public keys)
  bool allow_plaintext = false;    // allow_plaintext: permit a non-loopback alerts_endpoint without alerts_curve
  HttpInputConfig http_input;                             // http_input: Falco-compatible HTTP intake
  QueueConfig queue;                                      // queue: durable queue
  int64_t dedup_window = 100000;                          // dedup_window: recent uuids remembered
  int64_t drain_timeout_ms = 10000;  // drain_timeout_ms: on SIGTERM, time outputs get to deliver what is
                                     // queued (0..3600000; --drain-timeout-ms wins)
  int64_t fault_drop_acks = 0;  // fault_injection.drop_acks: TESTING ONLY — the first N acks to engines are
                                // not sent, which forces the engines to resend (at-least-once tests)
  std::vector<OutputConfigNode> outputs;                  // outputs: destinations
  bool operator==(const RouterConfig&) const = default;
};

struct PeregrineConfig {
  std::string file;  // path it was loaded from ("<string>" for parse_config)
  SensorConfig sensor;
  EngineConfig engine;
  RouterConfig router;
};

/// Reads and parses `path`. Throws ConfigError.
PeregrineConfig load_config(const std::string& path);
/// Parses YAML text; `file` is used in messages. Throws ConfigError.
PeregrineConfig parse_config(const std::string& yaml_text, const std::string& file = "<string>");
/// Non-throwing wrappers (the error message is the ConfigError's what()).
Result<PeregrineConfig> try_load_config(const std::string& path);
Result<PeregrineConfig> try_parse_config(const std::string& yaml_text, const std::string& file = "<string>");

struct HostPort {
  std::string host;
  int port = 0;
};
/// "127.0.0.1:9101", "[::1]:9101", ":9101" (host = 0.0.0.0). Port 0..65535.
Result<HostPort> parse_host_port(const std::string& s);
/// tcp://host:port, ipc://path or inproc://name.
Result<void> validate_endpoint(const std::string& s);

/// The `log` and `http` sub-sections of `parent`, shared by every process's section (the responder's too).
LogConfig read_log(NodeReader& parent);
HttpConfig read_http(NodeReader& parent, HttpConfig defaults);
/// Fails at `key` unless `value` is a valid "host:port".
void check_listen(NodeReader& r, const std::string& key, const std::string& value);

std::string_view to_string(LogFormat f);
std::string_view to_string(RuleMatching m);
std::string_view to_string(FsyncMode m);

}  // namespace peregrine::config
