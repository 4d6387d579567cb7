// Drop-in for Falcosidekick users: `peregrine-router --sidekick-config FILE` (and/or Sidekick's environment
// variables: SLACK_WEBHOOKURL, LOKI_HOSTPORT, ELASTICSEARCH_HOSTPORT, CUSTOMFIELDS, ...) builds the equivalent
// Peregrine outputs for every Sidekick output Peregrine has, and says, one line per key, what it cannot honour.
//
// Sidekick's conventions: every YAML key has an environment twin, upper-cased with '.' → '_'
// (slack.webhookurl → SLACK_WEBHOOKURL), and the environment wins over the file; an output is on when its
// address key is non-empty; `minimumpriority` filters each output. The mapping, key by key, is the table
// "From Falcosidekick" in docs/router.md.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace peregrine::router {

struct SidekickTranslation {
  std::vector<config::OutputConfigNode> outputs;  // one per Sidekick output that is on and that Peregrine has
  std::string listen;                             // listenaddress:listenport, when either is set
  std::vector<std::string> not_honoured;          // "slack.username: not honoured: ..." one line per key
};

using Getenv = std::function<const char*(const char*)>;

/// Reads a Sidekick YAML file ("" = none: the environment only) and its environment twins. Throws
/// config::ConfigError with file:line:col on YAML it cannot read or a value it cannot convert.
SidekickTranslation translate_sidekick(const std::string& file, const Getenv& getenv, char** environ_list);

/// Adds the translation to a router config: the outputs (names must not clash with configured ones) and the
/// intake address. Throws config::ConfigError on a clash.
void apply_sidekick(config::RouterConfig& router, SidekickTranslation t);

}  // namespace peregrine::router
