// The real peregrine-router binary: start on port 0 with a temp queue, accept a Falco POST, deliver it to a
// file output, then SIGTERM: it must drain, persist the cursor and exit 0.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <regex>

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

Child spawn(const std::string& config, const std::filesystem::path& log) {
  Child c;
  c.pid = ::fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::execl(kBinary.c_str(), kBinary.c_str(), "--config", config.c_str(), "--drain-timeout-ms", "5000",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  return c;
}

}  // namespace

TEST_CASE("peregrine-router delivers a Falco POST and exits 0 on SIGTERM after draining") {
  if (!std::filesystem::exists(kBinary)) {
    MESSAGE("skipped: " << kBinary << " not built (build the peregrine-router target)");
    return;
  }
  TempDir t;
  const auto config = t.path() / "peregrine.yaml";
  const auto out = t.path() / "alerts.jsonl";
  {
    std::ofstream c(config);
    c << "router:\n"
         "  alerts_endpoint: tcp://127.0.0.1:0\n"
         "  http: {listen: \"127.0.0.1:0\"}\n"
         "  http_input: {listen: \"127.0.0.1:0\"}\n"
         "  queue: {dir: \"" << (t.path() / "queue").string() << "\"}\n"
         "  outputs:\n"
         "    - {type: file, name: alerts, path: \"" << out.string() << "\"}\n";
  }
  const auto log = t.path() / "router.log";
  Child child = spawn(config.string(), log);

  std::smatch m;
  std::string text;
  const std::regex started("http intake on ([0-9]+), admin on port ([0-9]+)");
  REQUIRE_MESSAGE(test::eventually([&] {
                    text = test::slurp(log);
                    return std::regex_search(text, m, started);
                  }),
                  text);
  const int intake_port = std::stoi(m[1]);
  const int admin_port = std::stoi(m[2]);

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
  if (!std::filesystem::exists(kBinary)) {
    MESSAGE("skipped: " << kBinary << " not built (build the peregrine-router target)");
    return;
  }
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
