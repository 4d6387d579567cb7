// Routing per output: the match / exclude keys (and their shorthands), parsed strictly with positions, and
// evaluated against alerts.
#include <doctest/doctest.h>

#include <string>

#include "common/config/config.h"
#include "outputs/route.h"
#include "tests/outputs/sample_alerts.h"

using namespace peregrine;
using namespace peregrine::outputs;

namespace {

// Parses the keys of one output entry (indented under "- type: stdout") as the registry does.
Route parse(const std::string& keys) {
  std::string text = "router:\n  outputs:\n    - type: stdout\n";
  text.append(keys);
  auto cfg = config::try_parse_config(text, "route.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  auto reader = cfg->router.outputs.at(0).reader();
  Route r = parse_route(reader);
  reader.finish();
  return r;
}

std::string error_of(const std::string& keys) {
  try {
    parse(keys);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  FAIL("no error for: " << keys);
  return "";
}

Alert alert(Priority p, const std::string& rule, std::vector<std::string> tags = {"t1"}) {
  Alert a = test::small_alert("u", p, rule);
  a.tags = std::move(tags);
  a.output_fields["proc.name"] = std::string("bash");
  a.output_fields["k8s.ns.name"] = std::string("payments");
  a.output_fields["container.image.repository"] = std::string("registry.internal/shop/api");
  a.output_fields["proc.pid"] = int64_t{4242};
  a.output_fields["container.id"] = std::monostate{};
  return a;
}

}  // namespace

TEST_CASE("route: no keys matches every alert") {
  const Route r = parse("");
  CHECK(r.match.empty());
  CHECK(r.exclude.empty());
  CHECK(route_matches(r, alert(Priority::kDebug, "anything")));
}

TEST_CASE("route: the shorthands min_priority, rules and tags") {
  const Route r = parse("      min_priority: warning\n      rules: [Other, R]\n      tags: [nope, t1]\n");
  CHECK(route_matches(r, alert(Priority::kWarning, "R")));
  CHECK(route_matches(r, alert(Priority::kCritical, "Other")));
  CHECK_FALSE(route_matches(r, alert(Priority::kNotice, "R")));      // less severe than warning
  CHECK_FALSE(route_matches(r, alert(Priority::kError, "Third")));   // rule not listed
  CHECK_FALSE(route_matches(r, alert(Priority::kError, "R", {"x"})));  // no listed tag
}

TEST_CASE("route: priority min and max bound both sides") {
  // min: at least this severe; max: at most this severe.
  const Route band = parse("      match: {priority: {min: warning, max: error}}\n");
  CHECK(route_matches(band, alert(Priority::kError, "R")));
  CHECK(route_matches(band, alert(Priority::kWarning, "R")));
  CHECK_FALSE(route_matches(band, alert(Priority::kCritical, "R")));
  CHECK_FALSE(route_matches(band, alert(Priority::kNotice, "R")));
  CHECK(error_of("      match: {priority: {min: error, max: warning}}\n").find("no priority can match") !=
        std::string::npos);
  const Route quiet = parse("      match: {priority: {max: notice}}\n");  // notice and below only
  CHECK(route_matches(quiet, alert(Priority::kDebug, "R")));
  CHECK_FALSE(route_matches(quiet, alert(Priority::kWarning, "R")));
}

TEST_CASE("route: rule globs, tags any/all, sources") {
  const Route r = parse(
      "      match:\n"
      "        rules: [\"Terminal shell*\", \"Write below etc\"]\n"
      "        tags: {any: [container, host], all: [mitre_execution]}\n"
      "        source: [syscall, k8s_audit]\n");
  CHECK(route_matches(r, alert(Priority::kError, "Terminal shell in container", {"container", "mitre_execution"})));
  CHECK(route_matches(r, alert(Priority::kError, "Write below etc", {"host", "mitre_execution"})));
  CHECK_FALSE(route_matches(r, alert(Priority::kError, "Write below etc2", {"host", "mitre_execution"})));
  CHECK_FALSE(route_matches(r, alert(Priority::kError, "Terminal shell", {"container"})));  // all: missing
  auto a = alert(Priority::kError, "Terminal shell", {"container", "mitre_execution"});
  a.source = "aws_cloudtrail";
  CHECK_FALSE(route_matches(r, a));
}

TEST_CASE("route: output_fields equals, in, prefix, exists") {
  const auto a = alert(Priority::kError, "R");
  CHECK(route_matches(parse("      match: {fields: {proc.name: bash}}\n"), a));
  CHECK_FALSE(route_matches(parse("      match: {fields: {proc.name: {equals: sh}}}\n"), a));
  CHECK(route_matches(parse("      match: {fields: {k8s.ns.name: [prod, payments]}}\n"), a));
  CHECK(route_matches(parse("      match: {fields: {k8s.ns.name: {in: [payments]}}}\n"), a));
  CHECK(route_matches(parse("      match: {fields: {proc.pid: 4242}}\n"), a));  // numbers compare as text
  CHECK(route_matches(parse("      match: {fields: {container.image.repository: {prefix: registry.internal/}}}\n"), a));
  CHECK_FALSE(route_matches(parse("      match: {fields: {container.image.repository: {prefix: [docker.io/]}}}\n"), a));
  CHECK(route_matches(parse("      match: {fields: {proc.name: {exists: true}}}\n"), a));
  CHECK_FALSE(route_matches(parse("      match: {fields: {container.id: {exists: true}}}\n"), a));  // null
  CHECK(route_matches(parse("      match: {fields: {fd.name: {exists: false}}}\n"), a));     // absent
  CHECK_FALSE(route_matches(parse("      match: {fields: {fd.name: x}}\n"), a));             // absent ≠ anything
}

TEST_CASE("route: exclude leaves out what matches all its keys") {
  const Route r = parse(
      "      min_priority: notice\n"
      "      exclude: {fields: {k8s.ns.name: [kube-system, payments]}, rules: [\"R\"]}\n");
  CHECK_FALSE(route_matches(r, alert(Priority::kError, "R")));
  CHECK(route_matches(r, alert(Priority::kError, "Other")));  // exclude needs every key to hold
  CHECK_FALSE(route_matches(r, alert(Priority::kDebug, "Other")));
}

TEST_CASE("route: bad keys and values fail with file:line:col") {
  CHECK(error_of("      match: {priority: {min: loud}}\n").find("route.yaml:4:") != std::string::npos);
  CHECK(error_of("      match: {colour: red}\n").find("unknown key 'colour'") != std::string::npos);
  CHECK(error_of("      match: {fields: {proc.name: {like: b*}}}\n").find("unknown condition 'like'") !=
        std::string::npos);
  CHECK(error_of("      match: {fields: {proc.name: {exists: maybe}}}\n").find("expected true or false") !=
        std::string::npos);
  CHECK(error_of("      match: {fields: [proc.name]}\n").find("fields") != std::string::npos);
  CHECK(error_of("      min_priority: error\n      match: {priority: {min: warning}}\n").find("given twice") !=
        std::string::npos);
  CHECK(error_of("      exclude: {tags: {some: [x]}}\n").find("unknown key 'some'") != std::string::npos);
}
