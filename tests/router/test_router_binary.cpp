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
#include <sys/wait.h>
#include <unistd.h>

#include "tests/outputs/sample_alerts.h"
#include "tests/router/fake_output.h"
#include "tests/router/temp_dir.h"

using namespace peregrine;
using peregrine::test::TempDir;

namespace {

const std::string kBinary = std::string(PEREGRINE_BINARY_DIR) + "/router/peregrine-router";

struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  /// Waits for exit up to `timeout`; returns the exit status or -1.
  int wait_exit(std::chrono::milliseconds timeout) {
    int status = 0;
    const bool done = test::eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout);
    if (!done) return -1;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

Child spawn(const std::string& config, const std::filesystem::path& log, std::vector<std::string> flags = {}) {
  std::vector<std::string> args{kBinary, "--config", config};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  c.pid = ::fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::execv(kBinary.c_str(), argv.data());
    std::_Exit(127);
  }
  return c;
}

bool binary_missing() {
  if (std::filesystem::exists(kBinary)) return false;
  MESSAGE("skipped: " << kBinary << " not built (build the peregrine-router target)");
  return true;
}

/// A router section on loopback, every port 0, its queue in `t`; `queue_keys` go inside router.queue.
std::string loopback_router(const TempDir& t, const std::string& queue_keys = "") {
  return "router:\n"
         "  alerts_endpoint: tcp://127.0.0.1:0\n"
         "  http: {listen: \"127.0.0.1:0\"}\n"
         "  http_input: {listen: \"127.0.0.1:0\"}\n"
         "  queue: {dir: \"" + (t.path() / "queue").string() + "\"" + queue_keys + "}\n";
}

/// Waits for the "started" log line; returns {intake port, admin port}.
std::pair<int, int> wait_started(const std::filesystem::path& log) {
  std::smatch m;
  std::string text;
  const std::regex started("http intake on ([0-9]+), admin on port ([0-9]+)");
  REQUIRE_MESSAGE(test::eventually([&] {
                    text = test::slurp(log);
                    return std::regex_search(text, m, started);
                  }),
                  text);
  return {std::stoi(m[1]), std::stoi(m[2])};
}

}  // namespace

TEST_CASE("peregrine-router delivers a Falco POST and exits 0 on SIGTERM after draining") {
  if (binary_missing()) return;
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  const auto out = t.path() / "alerts.jsonl";
  {
    std::ofstream c(config);
    c << loopback_router(t) << "  outputs:\n    - {type: file, name: alerts, path: \"" << out.string() << "\"}\n";
  }
  const auto log = t.path() / "router.log";
  Child child = spawn(config.string(), log, {"--drain-timeout-ms", "5000"});
  const auto [intake_port, admin_port] = wait_started(log);

  auto alert = nlohmann::json::parse(test::kFalcoExampleJson);
  alert.erase("uuid");
  httplib::Client cli("127.0.0.1", intake_port);
  auto res = cli.Post("/", alert.dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  REQUIRE(test::eventually([&] { return test::slurp(out).find("Write below binary dir") != std::string::npos; }));
  httplib::Client admin("127.0.0.1", admin_port);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("peregrine_router_intake_accepted_total 1") != std::string::npos);

  REQUIRE(::kill(child.pid, SIGTERM) == 0);
  CHECK(child.wait_exit(std::chrono::seconds(15)) == 0);
  CHECK(test::slurp(t.path() / "queue" / "cursors" / "alerts.cursor") == "1\n");
  CHECK(std::filesystem::exists(t.path() / "queue" / "dedup.snapshot"));
  CHECK(test::slurp(log).find("all outputs drained") != std::string::npos);
}

TEST_CASE("peregrine-router refuses a config with an unknown output key, with its position, exit 2") {
  if (binary_missing()) return;
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
  const auto log = t.path() / "router.log";
  Child child = spawn(config.string(), log);
  CHECK(child.wait_exit(std::chrono::seconds(15)) == 2);
  const auto text = test::slurp(log);
  CHECK_MESSAGE(text.find("bad.yaml:5:7") != std::string::npos, text);
  CHECK(text.find("colour") != std::string::npos);
}

TEST_CASE("peregrine-router takes the queue budget from router.queue.max_bytes unless --queue-max-mib is given") {
  if (binary_missing()) return;
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  {
    std::ofstream c(config);
    c << loopback_router(t, ", segment_bytes: 1MiB, max_bytes: 2MiB") << "  drain_timeout_ms: 2000\n";
  }
  int run = 0;
  auto budget_gauge = [&](std::vector<std::string> flags) {
    const auto log = t.path() / ("router-" + std::to_string(++run) + ".log");  // fresh: no stale ports
    Child child = spawn(config.string(), log, std::move(flags));
    const int admin_port = wait_started(log).second;
    httplib::Client admin("127.0.0.1", admin_port);
    auto metrics = admin.Get("/metrics");
    REQUIRE(metrics);
    std::smatch m;
    const std::regex gauge("peregrine_router_queue_budget_bytes ([0-9]+)");
    REQUIRE_MESSAGE(std::regex_search(metrics->body, m, gauge), metrics->body);
    REQUIRE(::kill(child.pid, SIGTERM) == 0);
    CHECK(child.wait_exit(std::chrono::seconds(15)) == 0);
    return std::stoll(m[1]);
  };
  CHECK(budget_gauge({}) == 2LL << 20);
  CHECK(budget_gauge({"--queue-max-mib", "3"}) == 3LL << 20);
}
