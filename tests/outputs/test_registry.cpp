// Output config parsing through the registry: good configs, unknown keys and bad values with file:line:col.
#include <doctest/doctest.h>

#include <string>

#include "common/config/config.h"
#include "outputs/file/file_output.h"
#include "outputs/registry.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

Result<std::vector<std::unique_ptr<Output>>> load(const std::string& outputs_yaml) {
  std::string text = "router:\n  outputs:\n";
  text.append(outputs_yaml);  // not operator+: g++ 12 raises a false -Wrestrict on it
  auto cfg = config::try_parse_config(text, "test.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  Registry reg;
  register_builtin_outputs(reg);
  return reg.create_all(cfg->router.outputs);
}

std::string error_of(const std::string& outputs_yaml) {
  auto r = load(outputs_yaml);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("builtin types are registered explicitly") {
  Registry reg;
  CHECK(reg.types().empty());
  register_builtin_outputs(reg);
  CHECK(reg.types() == std::vector<std::string>{"alertmanager", "elasticsearch", "file", "http_sms", "loki", "opensearch",
                                                "responder", "slack", "stdout", "syslog", "teams", "twilio",
                                                "webhook"});
  CHECK_THROWS_AS(register_builtin_outputs(reg), std::logic_error);
}

TEST_CASE("good config: common keys and file keys are parsed into typed settings") {
  auto r = load(
      "    - type: file\n"
      "      name: audit\n"
      "      path: /tmp/a.jsonl\n"
      "      rotate_bytes: 1MiB\n"
      "      keep_files: 3\n"
      "      fsync: none\n"
      "      min_priority: warning\n"
      "      rules: [\"Write below binary dir\"]\n"
      "      tags: [filesystem]\n"
      "      delivery:\n"
      "        batch_max_alerts: 10\n"
      "        initial_backoff_ms: 50\n"
      "        max_backoff_ms: 1000\n"
      "        max_attempts: 4\n"
      "    - type: stdout\n"
      "      format: text\n");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE(r->size() == 2);
  const Output& f = *(*r)[0];
  CHECK(f.common().name == "audit");
  CHECK(f.common().type == "file");
  CHECK(f.common().route.match.min_priority == Priority::kWarning);
  CHECK(f.common().route.match.rules == std::vector<std::string>{"Write below binary dir"});
  CHECK(f.common().delivery.batch_max_alerts == 10);
  CHECK(f.common().delivery.initial_backoff == std::chrono::milliseconds(50));
  CHECK(f.common().delivery.max_attempts == 4);
  const auto& fc = dynamic_cast<const FileOutput&>(f).config();
  CHECK(fc.path == "/tmp/a.jsonl");
  CHECK(fc.rotate_bytes == 1u << 20);
  CHECK(fc.keep_files == 3);
  CHECK_FALSE(fc.fsync);
  CHECK((*r)[1]->common().name == "stdout");
}

TEST_CASE("unknown key in an output is an error at its line and column") {
  const auto e = error_of(
      "    - type: stdout\n"
      "      formt: text\n");
  CHECK(e.find("test.yaml:4:7:") == 0);
  CHECK(e.find("formt") != std::string::npos);
}

TEST_CASE("unknown key inside delivery is reported at its position") {
  const auto e = error_of(
      "    - type: stdout\n"
      "      delivery:\n"
      "        batch_max: 3\n");
  CHECK(e.find("test.yaml:5:9:") == 0);
  CHECK(e.find("batch_max") != std::string::npos);
}

TEST_CASE("bad values name the key and position") {
  SUBCASE("bad enum") {
    const auto e = error_of("    - type: stdout\n      format: xml\n");
    CHECK(e.find("test.yaml:4:15:") == 0);
    CHECK(e.find("json") != std::string::npos);
  }
  SUBCASE("bad priority") {
    const auto e = error_of("    - type: stdout\n      min_priority: loud\n");
    CHECK(e.find("test.yaml:4:") == 0);
    CHECK(e.find("min_priority") != std::string::npos);
  }
  SUBCASE("missing file path") {
    const auto e = error_of("    - type: file\n      name: f\n");
    CHECK(e.find("test.yaml:3:") == 0);
    CHECK(e.find("path") != std::string::npos);
  }
  SUBCASE("rotate_bytes too small") {
    const auto e = error_of("    - type: file\n      path: /tmp/x\n      rotate_bytes: 10\n");
    CHECK(e.find("test.yaml:5:") == 0);
  }
  SUBCASE("max_backoff below initial") {
    const auto e = error_of("    - type: stdout\n      delivery: {initial_backoff_ms: 100, max_backoff_ms: 10}\n");
    CHECK(e.find("max_backoff_ms") != std::string::npos);
  }
}

TEST_CASE("unknown output type lists the known ones") {
  const auto e = error_of("    - type: pagerduty\n");
  CHECK(e.find("test.yaml:3:") == 0);
  CHECK(e.find("alertmanager, elasticsearch, file, http_sms, loki, opensearch, responder, slack, stdout, syslog, teams, "
               "twilio, webhook") != std::string::npos);
}

TEST_CASE("two outputs with the same name are rejected by the registry too") {
  // The config loader already rejects this; the registry must not rely on it (its specs can come from elsewhere).
  auto cfg = config::try_parse_config("router:\n  outputs:\n    - type: stdout\n", "test.yaml");
  REQUIRE(cfg.ok());
  auto specs = cfg->router.outputs;
  specs.push_back(specs.front());
  Registry reg;
  register_builtin_outputs(reg);
  auto r = reg.create_all(specs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("duplicate output name 'stdout'") != std::string::npos);
}
