#include <doctest/doctest.h>

#include "responder/responder_config.h"
#include "responder/rules.h"

using namespace peregrine;
using namespace peregrine::responder;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    (void)parse_responder_config(yaml, "p.yaml");
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("responder config: defaults, keys, and the other sections left alone") {
  auto c = parse_responder_config("router: {whatever: 1}\n", "p.yaml");
  CHECK(c.dry_run);
  CHECK(c.enabled);
  CHECK(c.listen == "127.0.0.1:2803");
  CHECK(c.http.listen == "127.0.0.1:9104");
  CHECK(c.outcomes.url == "http://127.0.0.1:2801/");
  c = parse_responder_config(
      "responder:\n  dry_run: false\n  listen: 127.0.0.1:0\n  journal: {path: /tmp/j, max_entries: 10, max_age: 1h}\n"
      "  guardrails: {namespaces: {deny: [kube-system]}, processes: {allow: [sleep]}}\n  outcomes: {url: ''}\n",
      "p.yaml");
  CHECK_FALSE(c.dry_run);
  CHECK(c.journal.max_entries == 10);
  CHECK(c.journal.max_age == std::chrono::hours(1));
  CHECK(c.guardrails.namespaces.deny == std::vector<std::string>{"kube-system"});
  CHECK(c.guardrails.processes.allow == std::vector<std::string>{"sleep"});
  CHECK(c.outcomes.url.empty());
}

TEST_CASE("responder config: errors carry file, line and column") {
  CHECK(error_of("responder:\n  colour: red\n").find("p.yaml:2:") == 0);
  CHECK(error_of("responder:\n  listen: nowhere\n").find("p.yaml:2:") == 0);
  CHECK(error_of("responder:\n  journal: {path: ''}\n").find("p.yaml:2:") == 0);
  CHECK(error_of("responder:\n  outcomes: {url: 'ftp://x'}\n").find("p.yaml:2:") == 0);
  CHECK(error_of("responder: [\n").find("p.yaml:") == 0);
}

TEST_CASE("responder config: the shipped peregrine.yaml section and responses.yaml load") {
  const std::string dir = PEREGRINE_SOURCE_DIR;
  auto c = load_responder_config(dir + "/config/peregrine.yaml");
  CHECK(c.dry_run);
  CHECK(c.rules_files == std::vector<std::string>{"config/responses.yaml"});
  RuleSet s = load_rule_files({dir + "/config/responses.yaml"});
  CHECK(s.rules.size() >= 2);
}
