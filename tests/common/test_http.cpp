#include <doctest/doctest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "common/http/server.h"

using namespace peregrine;
using peregrine::http::AdminServer;

namespace {

config::HttpConfig any_port() { return config::HttpConfig{true, "127.0.0.1:0"}; }

}  // namespace

TEST_CASE("http: /healthz follows the health callback - /metrics serves the registry") {
  metrics::Registry reg;
  reg.counter("peregrine_test_requests_total", "Test counter.").inc(3);
  std::atomic<bool> healthy{true};
  AdminServer srv(any_port(), reg, [&] { return healthy.load(); });
  REQUIRE(srv.port() > 0);
  CHECK(srv.running());
  httplib::Client cli("127.0.0.1", srv.port());
  auto r = cli.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "ok\n");
  healthy = false;
  r = cli.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 503);
  r = cli.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->body.find("peregrine_test_requests_total 3\n") != std::string::npos);
  CHECK(srv.requests() == 3);
}

TEST_CASE("http: unknown paths are 404, wrong methods 405, failing handlers 500") {
  metrics::Registry reg;
  AdminServer srv(any_port(), reg, [] { return true; });
  srv.add_get("/boom", [](const http::Request&) -> http::Response { throw std::runtime_error("boom"); });
  httplib::Client cli("127.0.0.1", srv.port());
  auto r = cli.Get("/nope");
  REQUIRE(r);
  CHECK(r->status == 404);
  r = cli.Post("/healthz", "x", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 405);
  r = cli.Get("/boom");
  REQUIRE(r);
  CHECK(r->status == 500);
  r = cli.Get("/healthz");  // still serving
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("http: a bare server carries extra routes (router intake) with headers, body and a size limit") {
  http::ServerOptions opts;
  opts.max_body_bytes = 1024;
  AdminServer srv(any_port(), opts);
  srv.add_post("/", [](const http::Request& req) {
    http::Response r;
    r.status = req.header("content-type") == "application/json" ? 200 : 415;
    r.body = "got " + std::to_string(req.body.size()) + " " + req.method + " " + req.path;
    r.headers.emplace_back("X-Peregrine", "1");
    return r;
  });
  httplib::Client cli("127.0.0.1", srv.port());
  auto r = cli.Post("/", R"({"rule":"x"})", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "got 12 POST /");
  CHECK(r->get_header_value("X-Peregrine") == "1");
  r = cli.Post("/", "x", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 415);
  r = cli.Post("/", std::string(4096, 'a'), "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body == "request body larger than 1024 bytes\n");
  // Chunked: no length up front; the limit still holds and the route never sees the body.
  r = cli.Post(
      "/",
      [](size_t offset, httplib::DataSink& sink) {
        sink.write(std::string(256, 'c').data(), 256);
        if (offset + 256 >= 4096) sink.done();
        return true;
      },
      "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body.find("got") == std::string::npos);
  r = cli.Post("/", R"({"rule":"y"})", "application/json");  // same connection still serves
  REQUIRE(r);
  CHECK(r->status == 200);
  r = cli.Get("/metrics");  // a bare server has no admin routes
  REQUIRE(r);
  CHECK(r->status == 404);
}

TEST_CASE("http: disabled servers bind nothing") {
  metrics::Registry reg;
  AdminServer srv(config::HttpConfig{false, "127.0.0.1:0"}, reg, [] { return true; });
  CHECK(srv.port() == 0);
  CHECK_FALSE(srv.running());
}

TEST_CASE("http: binding a busy port or a bad address fails at construction") {
  metrics::Registry reg;
  AdminServer first(any_port(), reg, [] { return true; });
  config::HttpConfig same{true, "127.0.0.1:" + std::to_string(first.port())};
  CHECK_THROWS_AS(AdminServer(same, reg, [] { return true; }), std::runtime_error);
  CHECK_THROWS_AS(AdminServer(config::HttpConfig{true, "nonsense"}, reg, [] { return true; }), std::runtime_error);
}

TEST_CASE("http: servers stop cleanly in the destructor, even right after starting") {
  metrics::Registry reg;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    AdminServer srv(any_port(), reg, [] { return true; });
    CHECK(srv.running());
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  int port = 0;
  {
    AdminServer srv(any_port(), reg, [] { return true; });
    port = srv.port();
  }
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(1, 0);
  CHECK_FALSE(cli.Get("/healthz"));  // nothing listens any more
}
