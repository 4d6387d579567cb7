// peregrine-responder's configuration: the `responder:` section of the shared peregrine.yaml (the other
// processes skip it), parsed once into ResponderConfig. Response rules live in their own files (rules.h).
//
//   responder:
//     log: {level: info, format: text}
//     http: {enabled: true, listen: 127.0.0.1:9104}   # admin: /healthz, /metrics, POST /kill-switch/{on,off}
//     listen: 127.0.0.1:2803         # alert intake: POST /alerts (the router's `responder` output) and POST /
//     max_body_bytes: 1MiB           # larger requests get 413
//     rules_files: [config/responses.yaml]   # response rules (Talon-like), in order
//     dry_run: true                  # every action only says what it would do (a rule's dry_run can add, not lift)
//     enabled: true                  # false = kill switch on: every action is skipped (reason kill_switch)
//     kill_switch_file: ""           # while this file exists, every action is skipped (reason kill_switch)
//     queue_capacity: 1024           # accepted alerts waiting for their actions; beyond, 503 (router retries)
//     hostname: ""                   # "hostname" of outcome alerts; "" = gethostname()
//     journal:                       # idempotence: alert uuids already taken, fsynced before the 200
//       path: /var/lib/peregrine/responder/journal
//       max_entries: 100000          # uuids remembered (oldest forgotten first)
//       max_age: 7d                  # uuids older than this are forgotten at start and compaction
//     outcomes:                      # every action result as a `source: response` alert
//       url: http://127.0.0.1:2801/  # the router's HTTP intake; "" = outcomes are only logged
//       pending_max: 10000           # outcome alerts waiting for the router; beyond, dropped and counted
//       ... plus the shared HTTP client keys (outputs/http/http_client.h)
//     guardrails:                    # globs (fnmatch) over output_fields; deny wins; a non-empty allow list
//       namespaces: {allow: [], deny: [kube-system]}     #   admits only matching values (absent = no match)
//       containers: {allow: [], deny: []}                #   container.id or container.name
//       processes:  {allow: [], deny: []}                #   proc.name or proc.exepath
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "outputs/http/http_client.h"

namespace peregrine::responder {

struct ListGuard {
  std::vector<std::string> allow;  // allow: globs; empty = everything not denied
  std::vector<std::string> deny;   // deny: globs; wins over allow
  bool operator==(const ListGuard&) const = default;
};

struct Guardrails {
  ListGuard namespaces;  // k8s.ns.name
  ListGuard containers;  // container.id, container.name
  ListGuard processes;   // proc.name, proc.exepath
  bool operator==(const Guardrails&) const = default;
};

struct JournalConfig {
  std::string path = "/var/lib/peregrine/responder/journal";
  int64_t max_entries = 100000;
  std::chrono::milliseconds max_age{7LL * 24 * 3600 * 1000};
};

struct OutcomesConfig {
  std::string url = "http://127.0.0.1:2801/";
  int64_t pending_max = 10000;
  outputs::HttpClientConfig http;
};

struct ResponderConfig {
  std::string file;  // the config file (for messages)
  config::LogConfig log;
  config::HttpConfig http{true, "127.0.0.1:9104"};
  std::string listen = "127.0.0.1:2803";
  int64_t max_body_bytes = 1 << 20;
  std::vector<std::string> rules_files{"config/responses.yaml"};
  bool dry_run = true;
  bool enabled = true;
  std::string kill_switch_file;
  int64_t queue_capacity = 1024;
  std::string hostname;
  JournalConfig journal;
  OutcomesConfig outcomes;
  Guardrails guardrails;
};

/// Reads the `responder` section of the YAML text (other sections are ignored). Throws config::ConfigError.
ResponderConfig parse_responder_config(const std::string& yaml_text, const std::string& file = "<string>");
/// Reads `path`, then parse_responder_config. Throws config::ConfigError.
ResponderConfig load_responder_config(const std::string& path);

}  // namespace peregrine::responder
