// --sidekick-config: a Falcosidekick config.yaml and its environment twins become Peregrine outputs; every key
// that cannot be honoured is said, once, by name.
#include <doctest/doctest.h>

#include <map>

#include "outputs/registry.h"
#include "router/sidekick/sidekick_config.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;

namespace {

const char* kSidekick = R"(listenaddress: 127.0.0.1
listenport: 2899
debug: true
customfields:
  cluster: prod-eu
templatedfields:
  ns: '{{ or (index . "k8s.ns.name") "none" }}'
slack:
  webhookurl: https://hooks.slack.com/services/T0/B0/XXXX
  minimumpriority: warning
  username: Falco
  outputformat: all
  messageformat: 'Alert : rule *{{ .Rule }}*'
elasticsearch:
  hostport: https://es.internal:9200
  index: falco
  suffix: monthly
  username: elastic
  password: secret-es
  type: _doc
  createindextemplate: true
  numberofreplicas: 0
  batching:
    enabled: true
    batchsize: 1048576
    flushinterval: 2s
  enablecompression: true
  checkcert: false
loki:
  hostport: http://loki:3100
  tenant: team-a
  extralabels: container.name,k8s.ns.name
  format: json
webhook:
  address: http://hooks.internal/falco
  method: PUT
  customheaders:
    Authorization: Bearer abc:def
alertmanager:
  hostport: http://am-1:9093,http://am-2:9093
  expiresafter: 300
  extralabels: "team:secops, env: prod, broken"
  extraannotations: "runbook:https://wiki/falco"
  customseveritymap: "critical:page"
syslog:
  host: 127.0.0.1
  port: 5514
  protocol: tcp
  format: cef
datadog:
  apikey: dd-key
)";

struct Env {
  std::map<std::string, std::string> vars;
  Getenv get() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

const config::OutputConfigNode* find(const SidekickTranslation& t, const std::string& name) {
  for (const auto& o : t.outputs)
    if (o.name == name) return &o;
  return nullptr;
}

bool said(const SidekickTranslation& t, const std::string& start) {
  for (const auto& l : t.not_honoured)
    if (l.rfind(start, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("sidekick: a Falcosidekick config becomes Peregrine outputs with the same destinations") {
  testing::TempDir dir;
  testing::write_file(dir / "config.yaml", kSidekick);
  Env env;
  env.vars["SLACK_MINIMUMPRIORITY"] = "error";  // the environment wins over the file, as in Sidekick
  env.vars["LOKI_HOSTPORT"] = "http://loki-from-env:3100";
  char* no_environ[] = {nullptr};
  const auto t = translate_sidekick((dir / "config.yaml").string(), env.get(), no_environ);
  CHECK(t.listen == "127.0.0.1:2899");

  const auto* slack = find(t, "sidekick-slack");
  REQUIRE(slack);
  CHECK(slack->type == "slack");
  CHECK(slack->raw["webhook_url"].as<std::string>() == "https://hooks.slack.com/services/T0/B0/XXXX");
  CHECK(slack->raw["min_priority"].as<std::string>() == "error");
  CHECK(slack->raw["format"].as<std::string>() == "attachments");
  CHECK(slack->raw["custom_fields"]["cluster"].as<std::string>() == "prod-eu");
  CHECK(slack->file == (dir / "config.yaml").string());
  CHECK(slack->line == 9);  // the slack section's first key

  const auto* es = find(t, "sidekick-elasticsearch");
  REQUIRE(es);
  CHECK(es->raw["url"].as<std::string>() == "https://es.internal:9200");
  CHECK(es->raw["index"].as<std::string>() == "falco-%Y.%m");
  CHECK(es->raw["auth"]["username"].as<std::string>() == "elastic");
  CHECK(es->raw["template"]["install"].as<bool>());
  CHECK(es->raw["template"]["replicas"].as<int>() == 0);
  CHECK(es->raw["output_fields"].as<std::string>() == "flatten");  // createindextemplate forces it in Sidekick
  CHECK(es->raw["delivery"]["batch_max_bytes"].as<int>() == 1048576);
  CHECK(es->raw["delivery"]["linger_ms"].as<int>() == 2000);
  CHECK(es->raw["compression"].as<std::string>() == "gzip");
  CHECK(es->raw["tls"]["insecure_skip_verify"].as<bool>());

  const auto* loki = find(t, "sidekick-loki");
  REQUIRE(loki);
  CHECK(loki->raw["url"].as<std::string>() == "http://loki-from-env:3100");
  CHECK(loki->raw["tenant"].as<std::string>() == "team-a");
  CHECK(loki->raw["line"].as<std::string>() == "json");
  CHECK(loki->raw["extra_labels"].size() == 2);

  const auto* hook = find(t, "sidekick-webhook");
  REQUIRE(hook);
  CHECK(hook->raw["method"].as<std::string>() == "PUT");
  CHECK(hook->raw["headers"]["Authorization"].as<std::string>() == "Bearer abc:def");  // a ':' in the value kept

  const auto* am = find(t, "sidekick-alertmanager");
  REQUIRE(am);
  CHECK(am->raw["urls"].size() == 2);
  CHECK(am->raw["resolve_after"].as<std::string>() == "300s");
  CHECK(am->raw["labels"]["team"].as<std::string>() == "secops");  // fixed name:value labels, as Sidekick
  CHECK(am->raw["labels"]["env"].as<std::string>() == "prod");
  CHECK(am->raw["labels"].size() == 2);
  CHECK(am->raw["annotations"]["runbook"].as<std::string>() == "https://wiki/falco");  // the ':' in the URL kept
  CHECK(said(t, "alertmanager.extralabels: 'broken' is not name:value"));
  const auto* sys = find(t, "sidekick-syslog");
  REQUIRE(sys);
  CHECK(sys->raw["protocol"].as<std::string>() == "tcp");

  for (const char* line : {"debug:", "templatedfields:", "slack.username:", "slack.messageformat:",
                           "elasticsearch.type:", "alertmanager.customseveritymap:", "syslog.format:", "datadog:"})
    CHECK_MESSAGE(said(t, line), line);
  CHECK_FALSE(said(t, "slack.webhookurl"));
  CHECK_FALSE(said(t, "elasticsearch.hostport"));
}

TEST_CASE("sidekick: the environment alone, with Sidekick's k:v,k2:v2 lists and an unknown key reported") {
  Env env;
  env.vars["WEBHOOK_ADDRESS"] = "http://127.0.0.1:9999/hook";
  env.vars["WEBHOOK_CUSTOMHEADERS"] = "X-A:1,X-B:http://x:2";
  env.vars["CUSTOMFIELDS"] = "team:sec,env:prod";
  std::string unknown = "WEBHOOK_RETRIES=3", known = "WEBHOOK_ADDRESS=http://127.0.0.1:9999/hook";
  char* environ_list[] = {unknown.data(), known.data(), nullptr};
  const auto t = translate_sidekick("", env.get(), environ_list);
  REQUIRE(t.outputs.size() == 1);
  const auto& o = t.outputs[0];
  CHECK(o.file == "<environment>");
  CHECK(o.raw["headers"]["X-B"].as<std::string>() == "http://x:2");
  CHECK(o.raw["custom_fields"]["env"].as<std::string>() == "prod");
  CHECK(said(t, "webhook.retries: not honoured"));
  CHECK(t.listen.empty());
}

TEST_CASE("sidekick: a name clash with a configured output is an error with the Sidekick file's position") {
  Env env;
  env.vars["WEBHOOK_ADDRESS"] = "http://127.0.0.1:9999/hook";
  char* no_environ[] = {nullptr};
  auto t = translate_sidekick("", env.get(), no_environ);
  config::RouterConfig router;
  config::OutputConfigNode clash{"file", "sidekick-webhook", YAML::Node(), "peregrine.yaml", 3, 5};
  router.outputs.push_back(clash);
  CHECK_THROWS_AS(apply_sidekick(router, std::move(t)), config::ConfigError);
}

TEST_CASE("sidekick: every translated output loads through the output registry (the keys are Peregrine's own)") {
  testing::TempDir dir;
  // Sidekick's mutualtls reads client.crt, client.key and ca.crt from mutualtlsfilespath; the client loads them.
  const auto pki = testing::make_test_pki(dir / "certs");
  for (const auto& [from, to] : {std::pair{pki.client_cert, "client.crt"}, {pki.client_key, "client.key"},
                                 {pki.ca_cert, "ca.crt"}}) {
    if (from.filename() != to) std::filesystem::copy_file(from, dir / "certs" / to);
  }
  testing::write_file(dir / "config.yaml", "mutualtlsfilespath: " + (dir / "certs").string() + "\n" + kSidekick + R"(teams:
  webhookurl: https://example.webhook.office.com/webhookb2/x
  minimumpriority: error
mattermost:
  webhookurl: http://mattermost.internal/hooks/abc
  outputformat: text
rocketchat:
  webhookurl: http://rocket.internal/hooks/abc
  mutualtls: true
)");
  Env env;
  env.vars["ALERTMANAGER_EXTRALABELS"] = "team:x,proc.name:y";  // proc.name is no label name: left out
  char* no_environ[] = {nullptr};
  auto t = translate_sidekick((dir / "config.yaml").string(), env.get(), no_environ);
  CHECK(said(t, "alertmanager.extralabels: 'proc.name' is not a Prometheus label name"));
  std::vector<std::string> types;
  for (const auto& o : t.outputs) types.push_back(o.name);
  CHECK(types == std::vector<std::string>{"sidekick-slack", "sidekick-rocketchat", "sidekick-mattermost", "sidekick-teams",
                                          "sidekick-elasticsearch", "sidekick-loki", "sidekick-webhook",
                                          "sidekick-alertmanager", "sidekick-syslog"});
  config::RouterConfig router;
  apply_sidekick(router, std::move(t));
  outputs::Registry reg;
  outputs::register_builtin_outputs(reg);
  auto built = reg.create_all(router.outputs);
  REQUIRE_MESSAGE(built.ok(), (built.ok() ? "" : built.error().message));
  CHECK(built->size() == 9);
}
