// The k8s audit webhook: body parsing, the whole-batch queue, and every reply through a real server on port 0.
#include <doctest/doctest.h>
#include <httplib.h>

#include <string>
#include <variant>

#include "common/metrics.h"
#include "engine/runtime/audit_intake.h"
#include "tests/engine/runtime/audit_samples.h"
#include "tests/support/http.h"

using namespace peregrine;
using namespace peregrine::engine;
using peregrine::testing::audit_event;
using peregrine::testing::event_list;
using peregrine::testing::gzip;
using nlohmann::json;

namespace {

std::vector<Event> events_of(const std::string& body) {
  auto r = parse_audit_body(body, 42);
  if (auto* e = std::get_if<AuditBodyError>(&r)) FAIL_CHECK("unexpected error: " << e->message << " at " << e->field);
  return std::get_if<std::vector<Event>>(&r) ? std::get<std::vector<Event>>(r) : std::vector<Event>{};
}

AuditBodyError error_of(const std::string& body) {
  auto r = parse_audit_body(body, 42);
  REQUIRE(std::holds_alternative<AuditBodyError>(r));
  return std::get<AuditBodyError>(r);
}

config::K8sAuditConfig intake_config(int64_t queue_capacity = 100, const std::string& token = "") {
  config::K8sAuditConfig c;
  c.enabled = true;
  c.listen = "127.0.0.1:0";
  c.max_body_bytes = 4096;
  c.queue_capacity = queue_capacity;
  c.bearer_token = token;
  return c;
}

double metric(metrics::Registry& reg, const std::string& series) {
  return peregrine::testing::metric_value(reg.render(), series);
}

}  // namespace

TEST_CASE("parse_audit_body - an EventList becomes one k8s_audit event per item, timed by stageTimestamp") {
  auto evs = events_of(event_list({audit_event("a1", "create", "pods", "p1"), audit_event("a2", "delete", "pods", "p2")})
                           .dump());
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].source == EventSource::kK8sAudit);
  CHECK(evs[0].type == EventType::kK8sAudit);
  CHECK(json::parse(evs[0].payload)["auditID"] == "a1");
  CHECK(json::parse(evs[1].payload)["verb"] == "delete");
  CHECK(evs[0].ts_ns == 1796514600123456000ull);  // 2026-12-05T23:50:00.123456Z
}

TEST_CASE("parse_audit_body - a single Event, an empty list, and a missing stageTimestamp") {
  json one = audit_event("s1", "get", "secrets", "db");
  one["kind"] = "Event";
  one["apiVersion"] = "audit.k8s.io/v1";
  CHECK(events_of(one.dump()).size() == 1);
  CHECK(events_of(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{}})").empty());
  json no_time = audit_event("s2", "get", "pods", "x");
  no_time.erase("stageTimestamp");
  no_time.erase("requestReceivedTimestamp");
  auto evs = events_of(event_list({no_time}).dump());
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].ts_ns == 42);  // now
}

TEST_CASE("parse_audit_body - errors name the field and the item index") {
  CHECK(error_of("{nope").message == "body is not valid JSON");
  CHECK(error_of(R"({"kind":"EventList","apiVersion":"v1","items":[]})").field == "apiVersion");
  CHECK(error_of(R"({"kind":"PodList","apiVersion":"audit.k8s.io/v1","items":[]})").field == "kind");
  CHECK(error_of(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":{}})").field == "items");
  json bad = audit_event("b", "get", "pods", "x");
  bad.erase("verb");
  auto e = error_of(event_list({audit_event("ok", "get", "pods", "y"), bad}).dump());
  CHECK(e.field == "items[1].verb");
  REQUIRE(e.index.has_value());
  CHECK(*e.index == 1);
  json bad_time = audit_event("t", "get", "pods", "x");
  bad_time["stageTimestamp"] = "yesterday";
  CHECK(error_of(event_list({bad_time}).dump()).field == "items[0].stageTimestamp");
  CHECK(error_of(event_list({42}).dump()).field == "items[0].");
  // Deep nesting is refused before parsing (serialising it would recurse once per level).
  json deep = audit_event("d", "get", "pods", "x");
  deep["requestObject"] = json::parse(std::string(300, '[') + std::string(300, ']'));
  CHECK(error_of(event_list({deep}).dump()).message.find("nested deeper") != std::string::npos);
  json braces_in_strings = audit_event("s", "get", "pods", std::string(1000, '{'));
  CHECK(events_of(event_list({braces_in_strings}).dump()).size() == 1);
}

TEST_CASE("AuditQueue - a batch goes in whole or not at all") {
  AuditQueue q(3);
  std::vector<Event> two(2), another_two(2), one(1);
  CHECK(q.try_push_all(two));
  CHECK(two.empty());
  CHECK_FALSE(q.try_push_all(another_two));
  CHECK(another_two.size() == 2);  // left to the caller: nothing of it queued
  CHECK(q.depth() == 2);
  CHECK(q.try_push_all(one));
  std::vector<Event> out;
  CHECK(q.pop_some(out, 2) == 2);
  CHECK(q.pop_some(out, 10) == 1);
  CHECK(q.depth() == 0);
}

TEST_CASE("K8sAuditIntake - EventList and gzip EventList accepted, counted and queued") {
  metrics::Registry reg;
  AuditQueue q(100);
  K8sAuditIntake intake(intake_config(), q, reg);
  httplib::Client cli("127.0.0.1", intake.port());
  auto r = cli.Post("/k8s-audit", event_list({audit_event("1", "get", "pods", "a")}).dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["accepted"] == 1);
  // gzip: kube-apiserver's webhook client may compress; the size limit applies to the decoded body.
  const std::string list = event_list({audit_event("2", "get", "pods", "b"), audit_event("3", "get", "pods", "c")}).dump();
  r = cli.Post("/k8s-audit", {{"Content-Encoding", "gzip"}}, gzip(list), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["accepted"] == 2);
  CHECK(q.depth() == 3);
  CHECK(metric(reg, "peregrine_engine_k8s_audit_events_total") == 3);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="200"})") == 2);
  CHECK(metric(reg, "peregrine_engine_k8s_audit_queue_depth") == 3);
}

TEST_CASE("K8sAuditIntake - 400 names the field and index, 405 on GET, 413 on a large (or inflating) body") {
  metrics::Registry reg;
  AuditQueue q(100);
  K8sAuditIntake intake(intake_config(), q, reg);
  httplib::Client cli("127.0.0.1", intake.port());
  json bad = audit_event("b", "get", "pods", "x");
  bad["requestURI"] = 7;
  auto r = cli.Post("/k8s-audit", event_list({audit_event("ok", "get", "pods", "y"), bad}).dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  auto j = json::parse(r->body);
  CHECK(j["field"] == "items[1].requestURI");
  CHECK(j["index"] == 1);
  CHECK(q.depth() == 0);  // the valid item of a refused body is not queued either

  r = cli.Get("/k8s-audit");
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->get_header_value("Allow") == "POST");

  r = cli.Post("/k8s-audit", std::string(5000, ' '), "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(json::parse(r->body)["limit_bytes"] == 4096);
  // 100 KiB of spaces gzip to a few hundred bytes: still 413, the limit bounds what is decoded.
  const std::string bomb = gzip(std::string(100 * 1024, ' '));
  REQUIRE(bomb.size() < 4096);
  r = cli.Post("/k8s-audit", {{"Content-Encoding", "gzip"}}, bomb, "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  // An encoding the server does not decode is refused rather than parsed still encoded.
  r = cli.Post("/k8s-audit", {{"Content-Encoding", "zstd"}}, event_list({audit_event("z", "get", "pods", "a")}).dump(),
               "application/json");
  REQUIRE(r);
  CHECK(r->status == 415);
  CHECK(json::parse(r->body)["field"] == "Content-Encoding");
  CHECK(q.depth() == 0);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="400"})") == 1);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="405"})") == 1);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="413"})") == 2);
}

TEST_CASE("K8sAuditIntake - 401 without the bearer token, 200 with it") {
  metrics::Registry reg;
  AuditQueue q(100);
  const std::string token = "0123456789abcdef0123";
  K8sAuditIntake intake(intake_config(100, token), q, reg);
  httplib::Client cli("127.0.0.1", intake.port());
  const std::string body = event_list({audit_event("1", "get", "pods", "a")}).dump();
  auto r = cli.Post("/k8s-audit", body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->get_header_value("WWW-Authenticate").find("Bearer") == 0);
  r = cli.Post("/k8s-audit", {{"Authorization", "Bearer wrong-token-0000000000"}}, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(q.depth() == 0);
  r = cli.Post("/k8s-audit", {{"Authorization", "Bearer " + token}}, body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(q.depth() == 1);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="401"})") == 2);
}

TEST_CASE("K8sAuditIntake - a batch that does not fit whole gets 503 and Retry-After, nothing of it queued") {
  metrics::Registry reg;
  AuditQueue q(3);
  K8sAuditIntake intake(intake_config(3), q, reg);
  httplib::Client cli("127.0.0.1", intake.port());
  const std::string two = event_list({audit_event("1", "get", "pods", "a"), audit_event("2", "get", "pods", "b")}).dump();
  auto r = cli.Post("/k8s-audit", two, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  r = cli.Post("/k8s-audit", two, "application/json");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->get_header_value("Retry-After") == "1");
  CHECK(q.depth() == 2);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_rejected_total{reason="queue_full"})") == 2);
  CHECK(metric(reg, R"(peregrine_engine_k8s_audit_requests_total{code="503"})") == 1);
  std::vector<Event> out;
  q.pop_some(out, 10);  // evaluated: room again, the retry is accepted
  r = cli.Post("/k8s-audit", two, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
}
