// The real peregrine-router binary: start on port 0 with a temp queue, accept a Falco POST, deliver it to a
// file output, then SIGTERM: it must drain, persist the cursor and exit 0.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/outputs/sample_alerts.h"
#include "tests/router/fake_output.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace peregrine;
using peregrine::testing::TempDir;

namespace {

const std::string kBinary = std::string(PEREGRINE_BINARY_DIR) + "/router/peregrine-router";

/// The router on `config` with --ready-file; stderr in `<log>.err`.
struct Router {
  testing::Child child;
  std::filesystem::path ready;
  Router(const std::string& config, const std::filesystem::path& log, std::vector<std::string> flags = {})
      : child(kBinary, args(config, log, flags), log), ready(log.string() + ".ready") {}
  static std::vector<std::string> args(const std::string& config, const std::filesystem::path& log,
                                       std::vector<std::string> flags) {
    std::vector<std::string> a{"--config", config, "--ready-file", log.string() + ".ready"};
    a.insert(a.end(), flags.begin(), flags.end());
    return a;
  }
  /// {intake port, admin port} from the ready file.
  std::pair<int, int> ports() {
    auto info = testing::wait_ready(child, ready);
    return {info.at("intake_port").get<int>(), info.at("admin_port").get<int>()};
  }
  std::string log() const { return child.stderr_text(); }
};

/// A router section on loopback, every port 0, its queue in `t`; `queue_keys` go inside router.queue.
std::string loopback_router(const TempDir& t, const std::string& queue_keys = "") {
  return "router:\n"
         "  alerts_endpoint: tcp://127.0.0.1:0\n"
         "  http: {listen: \"127.0.0.1:0\"}\n"
         "  http_input: {listen: \"127.0.0.1:0\"}\n"
         "  queue: {dir: \"" + (t.path() / "queue").string() + "\"" + queue_keys + "}\n";
}

}  // namespace

TEST_CASE("peregrine-router delivers a Falco POST and exits 0 on SIGTERM after draining") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  const auto out = t.path() / "alerts.jsonl";
  {
    std::ofstream c(config);
    c << loopback_router(t) << "  outputs:\n    - {type: file, name: alerts, path: \"" << out.string() << "\"}\n";
  }
  Router router(config.string(), t.path() / "router", {"--drain-timeout-ms", "5000"});
  const auto [intake_port, admin_port] = router.ports();

  auto alert = nlohmann::json::parse(test::kFalcoExampleJson);
  alert.erase("uuid");
  httplib::Client cli("127.0.0.1", intake_port);
  auto res = cli.Post("/", alert.dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(testing::wait_until([&] { return testing::slurp(out).find("Write below binary dir") != std::string::npos; }));
  httplib::Client admin("127.0.0.1", admin_port);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("peregrine_router_intake_accepted_total 1") != std::string::npos);

  CHECK(router.child.stop(SIGTERM, std::chrono::seconds(15)) == 0);
  CHECK(testing::slurp(t.path() / "queue" / "cursors" / "alerts.cursor") == "1\n");
  CHECK(std::filesystem::exists(t.path() / "queue" / "dedup.snapshot"));
  CHECK(router.log().find("all outputs drained") != std::string::npos);
}

TEST_CASE("peregrine-router refuses a config with an unknown output key, with its position, exit 2") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  const auto config = t.path() / "bad.yaml";
  {
    std::ofstream c(config);
    c << "router:\n"
         "  queue: {dir: \"" << (t.path() / "queue").string() << "\"}\n"
         "  outputs:\n"
         "    - type: stdout\n"
         "      colour: blue\n";
  }
  Router router(config.string(), t.path() / "router");
  CHECK(router.child.wait_exit(std::chrono::seconds(15)) == 2);
  const auto text = router.log();
  CHECK_MESSAGE(text.find("bad.yaml:5:7") != std::string::npos, text);
  CHECK(text.find("colour") != std::string::npos);
}

TEST_CASE("peregrine-router takes the queue budget from router.queue.max_bytes unless --queue-max-mib is given") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  {
    std::ofstream c(config);
    c << loopback_router(t, ", segment_bytes: 1MiB, max_bytes: 2MiB") << "  drain_timeout_ms: 2000\n";
  }
  int run = 0;
  auto budget_gauge = [&](std::vector<std::string> flags) {
    Router router(config.string(), t.path() / ("router-" + std::to_string(++run)), std::move(flags));
    const int admin_port = router.ports().second;
    httplib::Client admin("127.0.0.1", admin_port);
    auto metrics = admin.Get("/metrics");
    REQUIRE(metrics);
    std::smatch m;
    const std::regex gauge("peregrine_router_queue_budget_bytes ([0-9]+)");
    REQUIRE_MESSAGE(std::regex_search(metrics->body, m, gauge), metrics->body);
    CHECK(router.child.stop(SIGTERM, std::chrono::seconds(15)) == 0);
    return std::stoll(m[1]);
  };
  CHECK(budget_gauge({}) == 2LL << 20);
  CHECK(budget_gauge({"--queue-max-mib", "3"}) == 3LL << 20);
}

TEST_CASE("peregrine-router reports an intake address it cannot bind, and exits 2 without leaving anything behind") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  httplib::Server busy;  // holds a port for the whole test: the router must fail to bind it
  const int port = busy.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  const auto config = t.path() / "peregrine.yaml";
  {
    std::ofstream c(config);
    c << "router:\n"
         "  alerts_endpoint: tcp://127.0.0.1:0\n"
         "  http: {listen: \"127.0.0.1:0\"}\n"
         "  http_input: {listen: \"127.0.0.1:" << port << "\"}\n"
         "  queue: {dir: \"" << (t.path() / "queue").string() << "\"}\n";
  }
  Router router(config.string(), t.path() / "router");
  CHECK(router.child.wait_exit(std::chrono::seconds(15)) == 2);
  const auto text = router.log();
  CHECK_MESSAGE(text.find(std::to_string(port)) != std::string::npos, text);
  CHECK_FALSE(std::filesystem::exists(t.path() / "router.ready"));
}

namespace {

// A request with no body and no Content-Length, as `curl -X POST http://.../test` sends it.
std::string raw_request(int port, const std::string& head) {
  httplib::Client probe("127.0.0.1", port);  // only to check the port answers
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string req = head + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return resp;
}

}  // namespace

TEST_CASE("peregrine-router: POST /test reaches every output whatever its route, GET /ping answers pong") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  const auto all = t.path() / "all.jsonl", critical = t.path() / "critical.jsonl", storm = t.path() / "storm.jsonl";
  {
    std::ofstream c(config);
    c << loopback_router(t) << "  outputs:\n"
      << "    - {type: file, name: all, path: \"" << all.string() << "\"}\n"
      << "    - {type: file, name: critical, min_priority: critical, path: \"" << critical.string() << "\"}\n"
      << "    - {type: file, name: storm, throttle: {key: [rule], window: 1h, max: 0}, path: \"" << storm.string()
      << "\"}\n";
  }
  Router router(config.string(), t.path() / "router");
  const auto [intake_port, admin_port] = router.ports();
  const std::string ping = raw_request(intake_port, "GET /ping HTTP/1.1");
  CHECK(ping.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(ping.substr(ping.size() - 5) == "pong\n");
  const std::string test = raw_request(intake_port, "POST /test HTTP/1.1");
  CHECK_MESSAGE(test.rfind("HTTP/1.1 200", 0) == 0, test);
  for (const auto& f : {all, critical, storm}) {
    INFO(f.string());
    REQUIRE(testing::wait_until([&] { return testing::slurp(f).find("\"rule\":\"Test rule\"") != std::string::npos; }));
    const auto j = nlohmann::json::parse(testing::slurp(f));
    CHECK(j["priority"] == "Debug");
    CHECK(j["source"] == "internal");
  }
  // An ordinary Debug alert does not reach the critical output.
  auto alert = nlohmann::json::parse(test::kFalcoExampleJson);
  alert["priority"] = "Debug";
  alert.erase("uuid");
  httplib::Client cli("127.0.0.1", intake_port);
  REQUIRE(cli.Post("/", alert.dump(), "application/json")->status == 200);
  REQUIRE(testing::wait_until([&] { return testing::read_lines(all).size() == 2; }));
  CHECK(testing::read_lines(critical).size() == 1);
  CHECK(router.child.stop(SIGTERM, std::chrono::seconds(15)) == 0);
}

TEST_CASE("peregrine-router --sidekick-config: a Falcosidekick config delivers to its webhook, unknown keys said") {
  REQUIRE_MESSAGE(std::filesystem::exists(kBinary), kBinary << " is not built");
  testing::TestHttpServer hook;
  hook.handle("POST", "/falco", [](const testing::SeenRequest&, httplib::Response& res) { res.status = 200; });
  hook.start();
  TempDir t;
  const auto config = t.path() / "peregrine.yaml", sidekick = t.path() / "sidekick.yaml";
  testing::write_file(config, loopback_router(t) + "  outputs: []\n");
  testing::write_file(sidekick, "debug: true\n"
                                "customfields:\n  cluster: prod-eu\n"
                                "webhook:\n  address: " + hook.url("/falco") + "\n  minimumpriority: warning\n"
                                "  customheaders:\n    X-Team: sec\n"
                                "datadog:\n  apikey: dd-key\n");
  Router router(config.string(), t.path() / "router", {"--sidekick-config", sidekick.string()});
  const auto [intake_port, admin_port] = router.ports();
  (void)admin_port;
  auto alert = nlohmann::json::parse(test::kFalcoExampleJson);
  alert.erase("uuid");
  httplib::Client cli("127.0.0.1", intake_port);
  alert["priority"] = "Notice";  // below the webhook's minimumpriority: routed away, as Sidekick does
  REQUIRE(cli.Post("/", alert.dump(), "application/json")->status == 200);
  alert["priority"] = "Critical";
  REQUIRE(cli.Post("/", alert.dump(), "application/json")->status == 200);
  REQUIRE_MESSAGE(hook.wait_requests(1, std::chrono::seconds(20)), router.log());
  const auto seen = hook.requests();
  REQUIRE(seen.size() == 1);
  const auto got = nlohmann::json::parse(seen[0].body);
  CHECK(got["priority"] == "Critical");
  CHECK(got["output_fields"]["cluster"] == "prod-eu");
  CHECK(seen[0].header("X-Team") == "sec");
  const std::string log = router.log();
  CHECK(log.find("peregrine-router: sidekick config: debug: not honoured") != std::string::npos);
  CHECK(log.find("peregrine-router: sidekick config: datadog: not honoured") != std::string::npos);
  CHECK(log.find("webhook.address") == std::string::npos);  // translated keys are not reported
  CHECK(router.child.stop(SIGTERM, std::chrono::seconds(15)) == 0);
}
