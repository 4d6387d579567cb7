// The router in-process, end to end: a real AlertSender (engine side) over tcp 127.0.0.1 port 0 to the
// router's AlertReceiver, the durable queue, dedup, and delivery to a file output plus a fake output.
#include <doctest/doctest.h>

#include <fstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/config/config.h"
#include "router/router_app.h"
#include "tests/outputs/sample_alerts.h"
#include "tests/router/fake_output.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using namespace peregrine::router;
using peregrine::test::FakeOutput;
using peregrine::testing::TempDir;

namespace {

/// `queue_keys` are appended inside router.queue, `router_keys` (whole lines) to router.
config::RouterConfig router_config(const TempDir& t, const std::string& queue_keys = "",
                                   const std::string& router_keys = "") {
  const std::string yaml =
      "router:\n"
      "  alerts_endpoint: tcp://127.0.0.1:0\n"
      "  http: {listen: \"127.0.0.1:0\"}\n"
      "  http_input: {listen: \"127.0.0.1:0\"}\n"
      "  queue: {dir: \"" + (t.path() / "queue").string() + "\", segment_bytes: 1MiB" + queue_keys + "}\n" +
      router_keys +
      "  outputs:\n"
      "    - type: file\n"
      "      path: \"" + (t.path() / "alerts.jsonl").string() + "\"\n";
  auto cfg = config::try_parse_config(yaml, "e2e.yaml");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  return cfg->router;
}

struct Running {
  FakeOutput* fake = nullptr;
  std::unique_ptr<RouterApp> app;
};

Running start_router(const config::RouterConfig& cfg, std::vector<outputs::SendFailure> script = {}) {
  RouterAppOptions opts;
  auto fake = std::make_unique<FakeOutput>("fake");
  fake->script(std::move(script));
  Running r{fake.get(), nullptr};
  opts.extra_outputs.push_back(std::move(fake));
  auto app = RouterApp::create(cfg, std::move(opts));
  REQUIRE_MESSAGE(app.ok(), (app.ok() ? "" : app.error().message));
  r.app = std::move(app).value();
  REQUIRE(r.app->start().ok());
  return r;
}

transport::AlertEnvelope envelope(const std::string& uuid, size_t pad = 0) {
  auto a = test::small_alert(uuid);
  a.output += std::string(pad, 'p');
  nlohmann::json j = a;
  return {uuid, j.dump()};
}

size_t file_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

}  // namespace

TEST_CASE("engine alerts are acked after the durable append and delivered to every output") {
  TempDir t;
  auto cfg = router_config(t);
  auto r = start_router(cfg);
  zmq::context_t ctx;
  transport::AlertSender sender(ctx, r.app->alerts_endpoint());
  for (int i = 0; i < 20; ++i) REQUIRE(sender.submit(envelope("e2e-" + std::to_string(i))));
  REQUIRE(sender.flush(std::chrono::seconds(10)));
  // Every ack implies an append that already happened.
  CHECK(r.app->queue().stats().appended == 20);
  REQUIRE(r.fake->wait_delivered(20));
  REQUIRE(testing::wait_until([&] { return file_lines(t.path() / "alerts.jsonl") == 20; }));
  CHECK(r.app->stop());
  auto metrics = r.app->metrics().render();
  CHECK(metrics.find("peregrine_router_output_delivered_total{output=\"fake\"} 20") != std::string::npos);
  CHECK(metrics.find("peregrine_router_intake_accepted_total 20") != std::string::npos);
}

TEST_CASE("a resent alert (same uuid) is delivered once, also across a router restart") {
  TempDir t;
  auto cfg = router_config(t);
  {
    auto r = start_router(cfg);
    zmq::context_t ctx;
    transport::AlertSender sender(ctx, r.app->alerts_endpoint());
    REQUIRE(sender.submit(envelope("dup-1")));
    REQUIRE(sender.flush(std::chrono::seconds(10)));
    REQUIRE(sender.submit(envelope("dup-1")));  // e.g. the engine re-sent after a lost ack
    REQUIRE(sender.submit(envelope("dup-2")));
    REQUIRE(sender.flush(std::chrono::seconds(10)));
    REQUIRE(r.fake->wait_delivered(2));
    CHECK(r.app->stop());
    CHECK(r.fake->delivered() == std::vector<std::string>{"dup-1", "dup-2"});
    CHECK(r.app->intake().duplicates() == 1);
  }
  auto r = start_router(cfg);  // same queue dir: dedup window rebuilt from snapshot + queue
  zmq::context_t ctx;
  transport::AlertSender sender(ctx, r.app->alerts_endpoint());
  REQUIRE(sender.submit(envelope("dup-1")));
  REQUIRE(sender.submit(envelope("new-1")));
  REQUIRE(sender.flush(std::chrono::seconds(10)));
  REQUIRE(r.fake->wait_delivered(1));
  CHECK(r.app->stop());
  CHECK(r.fake->delivered() == std::vector<std::string>{"new-1"});
  CHECK(file_lines(t.path() / "alerts.jsonl") == 3);
}

TEST_CASE("when the queue is full the engine batch is not acked - the engine keeps it") {
  TempDir t;
  // Both limits come from the file: a 1 MiB disk budget and a 100 ms drain (the default would wait 10 s).
  auto cfg = router_config(t, ", max_bytes: 1MiB", "  drain_timeout_ms: 100\n");
  // The fake output never succeeds, so nothing is reclaimed and the 1 MiB budget fills up.
  std::vector<outputs::SendFailure> forever(1000000, test::http_failure(503));
  auto r = start_router(cfg, forever);
  CHECK(r.app->queue().options().max_bytes == 1u << 20);
  zmq::context_t ctx;
  transport::AlertSenderOptions so;
  so.ack_timeout = std::chrono::milliseconds(200);
  transport::AlertSender sender(ctx, r.app->alerts_endpoint(), so);
  for (int i = 0; i < 40; ++i) REQUIRE(sender.submit(envelope("big-" + std::to_string(i), 60 * 1024)));
  REQUIRE(testing::wait_until([&] { return r.app->intake().rejected() > 0; }));
  CHECK_FALSE(sender.flush(std::chrono::milliseconds(300)));
  CHECK(sender.unacked() > 0);
  const auto accepted = r.app->intake().accepted();
  CHECK(accepted < 40);
  CHECK(sender.acked() == accepted);  // exactly the appended ones were acknowledged
  CHECK(r.app->queue().stats().bytes_on_disk <= 1u << 20);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(r.app->stop());  // the stuck output cannot drain; its alerts stay queued
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(r.app->queue().stats().next_seq == accepted);
}

TEST_CASE("router.queue.max_bytes and router.drain_timeout_ms reach the app - command-line overrides win") {
  TempDir t;
  const auto cfg = router_config(t, ", max_bytes: 3MiB", "  drain_timeout_ms: 250\n");
  {
    auto app = RouterApp::create(cfg);
    REQUIRE_MESSAGE(app.ok(), (app.ok() ? "" : app.error().message));
    CHECK((*app)->queue().options().max_bytes == 3u << 20);
    CHECK((*app)->config().drain_timeout_ms == 250);
    CHECK((*app)->metrics().render().find("peregrine_router_queue_budget_bytes 3145728\n") != std::string::npos);
  }
  {
    RouterAppOptions flags;  // what --queue-max-mib 5 --drain-timeout-ms 40 set
    flags.queue_max_bytes = 5ull << 20;
    flags.drain_timeout = std::chrono::milliseconds(40);
    auto app = RouterApp::create(cfg, std::move(flags));
    REQUIRE_MESSAGE(app.ok(), (app.ok() ? "" : app.error().message));
    CHECK((*app)->queue().options().max_bytes == 5u << 20);
    CHECK((*app)->config().queue.max_bytes == 5LL << 20);
    CHECK((*app)->config().drain_timeout_ms == 40);
  }
  // A flag below one segment is not checked at load like the file's value; it is raised to one segment.
  RouterAppOptions tiny;
  tiny.queue_max_bytes = 1024;
  auto small = RouterApp::create(cfg, std::move(tiny));
  REQUIRE_MESSAGE(small.ok(), (small.ok() ? "" : small.error().message));
  CHECK((*small)->queue().options().max_bytes == 1u << 20);
}

TEST_CASE("Falco http_output POSTs flow through the same queue - admin server answers /healthz and /metrics") {
  TempDir t;
  auto cfg = router_config(t);
  auto r = start_router(cfg);
  httplib::Client falco("127.0.0.1", r.app->http_intake_port());
  auto j = nlohmann::json::parse(test::kFalcoExampleJson);
  j.erase("uuid");
  auto res = falco.Post("/", j.dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(r.fake->wait_delivered(1));
  httplib::Client admin("127.0.0.1", r.app->admin_port());
  auto h = admin.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  auto m = admin.Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("peregrine_router_output_lag{output=\"file\"}") != std::string::npos);
  CHECK(r.app->stop());
}
