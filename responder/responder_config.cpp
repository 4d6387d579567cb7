#include "responder/responder_config.h"

#include <fstream>
#include <sstream>

#include "common/config/yaml_stream.h"
#include "outputs/http/url.h"

namespace peregrine::responder {
namespace {

ListGuard read_list_guard(config::NodeReader& parent, const std::string& key) {
  config::NodeReader r = parent.sub(key);
  ListGuard g;
  g.allow = r.strings("allow");
  g.deny = r.strings("deny");
  r.finish();
  return g;
}

Guardrails read_guardrails(config::NodeReader& parent) {
  config::NodeReader r = parent.sub("guardrails");
  Guardrails g;
  g.namespaces = read_list_guard(r, "namespaces");
  g.containers = read_list_guard(r, "containers");
  g.processes = read_list_guard(r, "processes");
  r.finish();
  return g;
}

JournalConfig read_journal(config::NodeReader& parent) {
  config::NodeReader r = parent.sub("journal");
  JournalConfig j;
  j.path = r.str("path", j.path);
  if (j.path.empty()) r.fail("path", "must name a file (the journal is what makes an action happen once)");
  j.max_entries = r.integer("max_entries", j.max_entries, 1, 100'000'000);
  j.max_age = r.duration("max_age", j.max_age, std::chrono::minutes(1), std::chrono::hours(24 * 365));
  r.finish();
  return j;
}

OutcomesConfig read_outcomes(config::NodeReader& parent) {
  config::NodeReader r = parent.sub("outcomes");
  OutcomesConfig o;
  o.url = r.str("url", o.url);
  if (!o.url.empty())
    if (auto why = outputs::check_http_url(o.url); !why.empty()) r.fail("url", why);
  o.pending_max = r.integer("pending_max", o.pending_max, 1, 10'000'000);
  o.http = outputs::parse_http_client_config(r);
  r.finish();
  return o;
}

ResponderConfig read_section(config::NodeReader r, const std::string& file) {
  ResponderConfig c;
  c.file = file;
  c.log = config::read_log(r);
  c.http = config::read_http(r, c.http);
  c.listen = r.str("listen", c.listen);
  config::check_listen(r, "listen", c.listen);
  c.max_body_bytes = r.bytes("max_body_bytes", c.max_body_bytes, 1024, 64LL << 20);
  c.rules_files = r.strings("rules_files", c.rules_files);
  c.dry_run = r.boolean("dry_run", c.dry_run);
  c.enabled = r.boolean("enabled", c.enabled);
  c.kill_switch_file = r.str("kill_switch_file", "");
  c.queue_capacity = r.integer("queue_capacity", c.queue_capacity, 1, 1'000'000);
  c.hostname = r.str("hostname", "");
  c.journal = read_journal(r);
  c.outcomes = read_outcomes(r);
  c.guardrails = read_guardrails(r);
  r.finish();
  return c;
}

}  // namespace

ResponderConfig parse_responder_config(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = config::load_single_yaml_document(yaml_text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    throw config::ConfigError(file, line, e.mark.is_null() ? 0 : e.mark.column + 1, "invalid YAML: " + e.msg);
  }
  if (root && !root.IsNull() && !root.IsMap()) throw config::error_at(file, root, "expected a map at the top level");
  try {
    return read_section(config::NodeReader(root ? root["responder"] : YAML::Node(), file, "responder"), file);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    throw config::ConfigError(file, line, e.mark.is_null() ? 0 : e.mark.column + 1, e.msg);
  }
}

ResponderConfig load_responder_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config::ConfigError(path, 0, 0, "cannot open configuration file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_responder_config(ss.str(), path);
}

}  // namespace peregrine::responder
