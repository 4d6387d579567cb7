// HTTP intake over a real socket on 127.0.0.1 port 0: Falco http_output POSTs, batches, errors.
#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "router/dedup/dedup_window.h"
#include "router/intake/http_intake.h"
#include "router/queue/durable_queue.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;
using peregrine::testing::TempDir;

namespace {

struct Rig {
  TempDir tmp;
  std::unique_ptr<DurableQueue> queue;
  DedupWindow window{1000};
  std::unique_ptr<IntakePipeline> pipeline;
  std::unique_ptr<HttpIntake> intake;
  std::unique_ptr<httplib::Client> client;

  explicit Rig(uint64_t max_queue_bytes = 1 << 20, int64_t max_body = 64 * 1024) {
    QueueOptions o;
    o.dir = tmp.path() / "queue";
    o.segment_bytes = 4096;
    o.max_bytes = max_queue_bytes;
    auto q = DurableQueue::open(o);
    REQUIRE(q.ok());
    queue = std::move(q).value();
    pipeline = std::make_unique<IntakePipeline>(*queue, window, nullptr);
    config::HttpInputConfig cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.max_body_bytes = max_body;
    intake = std::make_unique<HttpIntake>(cfg, *pipeline);
    REQUIRE(intake->port() > 0);
    client = std::make_unique<httplib::Client>("127.0.0.1", intake->port());
    client->set_connection_timeout(5);
    client->set_read_timeout(10);
  }
  httplib::Result post(const std::string& body) {
    // What Falco's http_output sends.
    httplib::Headers h{{"User-Agent", "falcosecurity/falco"}};
    return client->Post("/", h, body, "application/json");
  }
  size_t queued() const { return queue->read(0, 100000, 1 << 30)->size(); }
};

nlohmann::json falco_alert() {
  auto j = nlohmann::json::parse(test::kFalcoExampleJson);
  j.erase("uuid");  // Falco sends none
  return j;
}

}  // namespace

TEST_CASE("a Falco alert without uuid is accepted with 200 after it is queued, with a uuid assigned") {
  Rig rig;
  auto res = rig.post(falco_alert().dump());
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(nlohmann::json::parse(res->body)["accepted"] == 1);
  REQUIRE(rig.queued() == 1);  // durable before the reply
  auto stored = nlohmann::json::parse(rig.queue->read(0, 1, 1 << 20)->at(0).payload);
  CHECK(stored["uuid"].get<std::string>().size() == 36);
  CHECK(stored["rule"] == "Write below binary dir");
}

TEST_CASE("an invalid field gets a structured 400 naming it, and nothing is queued") {
  Rig rig;
  auto j = falco_alert();
  j["priority"] = "Loud";
  auto res = rig.post(j.dump());
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(res->get_header_value("Content-Type").find("application/json") == 0);
  auto body = nlohmann::json::parse(res->body);
  CHECK(body["field"] == "priority");
  CHECK(body["error"].get<std::string>().find("Loud") != std::string::npos);
  CHECK(rig.queued() == 0);

  auto missing = falco_alert();
  missing.erase("time");
  res = rig.post(missing.dump());
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(nlohmann::json::parse(res->body)["field"] == "time");

  res = rig.post("{\"rule\": ");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(nlohmann::json::parse(res->body)["field"] == "");
}

TEST_CASE("a JSON array is a batch, all-or-nothing, errors carry the index") {
  Rig rig;
  nlohmann::json batch = nlohmann::json::array({falco_alert(), falco_alert(), falco_alert()});
  auto res = rig.post(batch.dump());
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(nlohmann::json::parse(res->body)["accepted"] == 3);
  CHECK(rig.queued() == 3);

  batch[1]["output_fields"] = "not an object";
  res = rig.post(batch.dump());
  REQUIRE(res);
  CHECK(res->status == 400);
  auto body = nlohmann::json::parse(res->body);
  CHECK(body["index"] == 1);
  CHECK(body["field"] == "output_fields");
  CHECK(rig.queued() == 3);

  res = rig.post("[]");
  REQUIRE(res);
  CHECK(res->status == 400);
}

TEST_CASE("a body over max_body_bytes gets a structured 413 and is not queued - Content-Length and chunked") {
  Rig rig(1 << 20, 2048);
  auto j = falco_alert();
  j["output"] = std::string(4096, 'x');  // a valid alert: only its size is wrong
  const std::string big = j.dump();
  auto check_413 = [&](const httplib::Result& res) {
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(res->get_header_value("Content-Type").find("application/json") == 0);
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    REQUIRE_MESSAGE(body.is_object(), res->body);
    CHECK(body["field"] == "");  // the whole body, as for the 400 "not valid JSON"
    CHECK(body["limit_bytes"] == 2048);
    CHECK(body["error"].get<std::string>().find("2048") != std::string::npos);
    CHECK(rig.queued() == 0);
  };
  SUBCASE("Content-Length: refused by the server before the handler runs") { check_413(rig.post(big)); }
  SUBCASE("chunked: no length up front, refused once the body passes the limit") {
    httplib::Headers h{{"User-Agent", "falcosecurity/falco"}};
    auto res = rig.client->Post(
        "/", h,
        [&](size_t offset, httplib::DataSink& sink) {
          const size_t n = std::min<size_t>(512, big.size() - offset);
          sink.write(big.data() + offset, n);
          if (offset + n == big.size()) sink.done();
          return true;
        },
        "application/json");
    check_413(res);
  }
  // At the limit is fine.
  auto small = falco_alert();
  small["output"] = "";
  const std::string fits = small.dump() + std::string(2048 - small.dump().size(), ' ');
  REQUIRE(fits.size() == 2048);
  auto res = rig.post(fits);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(rig.queued() == 1);
}

TEST_CASE("a resent alert with the same uuid is acknowledged but queued once") {
  Rig rig;
  auto j = falco_alert();
  j["uuid"] = "11111111-2222-4333-8444-555555555555";
  REQUIRE(rig.post(j.dump())->status == 200);
  auto res = rig.post(j.dump());
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(nlohmann::json::parse(res->body)["duplicates"] == 1);
  CHECK(rig.queued() == 1);
}

TEST_CASE("when the queue is full the client gets 503 with Retry-After and can resend later") {
  Rig rig(8192);
  int status = 200;
  for (int i = 0; i < 200 && status == 200; ++i) {
    auto res = rig.post(falco_alert().dump());
    REQUIRE(res);
    status = res->status;
    if (status == 503) {
      CHECK(res->get_header_value("Retry-After") == "5");
      CHECK(nlohmann::json::parse(res->body)["error"].get<std::string>().find("queue full") == 0);
    }
  }
  CHECK(status == 503);
}

TEST_CASE("other methods and paths are refused") {
  Rig rig;
  auto res = rig.client->Get("/");
  REQUIRE(res);
  CHECK(res->status == 405);
  res = rig.client->Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = rig.client->Post("/nope", "{}", "application/json");
  REQUIRE(res);
  CHECK(res->status == 404);
}

TEST_CASE("bearer_matches - exact token only, scheme case-insensitive, no prefix or suffix matches") {
  const std::string token = "0123456789abcdef-token";
  CHECK(bearer_matches("Bearer " + token, token));
  CHECK(bearer_matches("bearer " + token, token));
  CHECK_FALSE(bearer_matches("Bearer " + token + "x", token));
  CHECK_FALSE(bearer_matches("Bearer " + token.substr(0, token.size() - 1), token));
  CHECK_FALSE(bearer_matches("Bearer ", token));
  CHECK_FALSE(bearer_matches("Basic " + token, token));
  CHECK_FALSE(bearer_matches(token, token));
  CHECK_FALSE(bearer_matches("", token));
  CHECK_FALSE(bearer_matches("Bearer ", ""));  // no token configured never matches (the check is then off)
  const auto r = unauthorized(true);
  CHECK(r.status == 401);
  CHECK(nlohmann::json::parse(r.body).at("error") == "invalid bearer token");
}

TEST_CASE("load_bearer_token - the file's first line, too short or missing is a load error") {
  TempDir t;
  config::HttpInputConfig c;
  CHECK(load_bearer_token(c).empty());
  testing::write_file((t / "tok").string(), "0123456789abcdef-from-file\r\nsecond line\n");
  c.bearer_token_file = (t / "tok").string();
  CHECK(load_bearer_token(c) == "0123456789abcdef-from-file");
  testing::write_file((t / "short").string(), "abc\n");
  c.bearer_token_file = (t / "short").string();
  CHECK_THROWS_WITH_AS(load_bearer_token(c), doctest::Contains("at least 16"), std::runtime_error);
  c.bearer_token_file = (t / "missing").string();
  CHECK_THROWS_WITH_AS(load_bearer_token(c), doctest::Contains("cannot read"), std::runtime_error);
}
