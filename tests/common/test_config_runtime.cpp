// The process-level helpers that consume the configuration: logging (LogConfig), run_main (--config) and
// the shutdown signal every main waits on.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/app.h"
#include "common/config/config.h"
#include "common/log.h"
#include "common/signals.h"

using namespace peregrine;
using namespace std::chrono_literals;

namespace {

// Captures what is written to fd 2 while `fn` runs.
template <typename F>
std::string capture_stderr(F fn) {
  std::string path = (std::filesystem::temp_directory_path() / ("pg_stderr_" + std::to_string(::getpid()))).string();
  std::fflush(stderr);
  int saved = ::dup(2);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 2);
  ::close(fd);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(path);
  return ss.str();
}

int run(std::vector<std::string> args, std::function<int(const std::string&)> body,
        std::function<void(CLI::App&)> extra = {}) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return run_main(static_cast<int>(argv.size()), argv.data(), "test", std::move(body), std::move(extra));
}

}  // namespace

TEST_CASE("shutdown signal: request() is seen by requested() and wait_for()") {
  ShutdownSignal s;
  CHECK_FALSE(s.requested());
  CHECK_FALSE(s.wait_for(10ms));
  s.request();
  CHECK(s.requested());
  CHECK(s.wait_for(0ms));
  CHECK(s.wait_for(10s));  // returns at once
}

TEST_CASE("shutdown signal: a waiting thread wakes on request() from another thread") {
  ShutdownSignal s;
  auto t0 = std::chrono::steady_clock::now();
  std::thread waiter([&] { CHECK(s.wait_for(30s)); });
  s.request();
  waiter.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
}

TEST_CASE("shutdown signal: a \"forever\" timeout neither overflows nor returns early") {
  ShutdownSignal s;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    CHECK(s.wait_for(std::chrono::hours(24 * 365 * 1000)));
    returned = true;
  });
  // Give a broken (overflowed) wait the chance to return early; a correct one is still blocked after this.
  ShutdownSignal other;
  CHECK_FALSE(other.wait_for(50ms));
  CHECK_FALSE(returned.load());
  s.request();
  waiter.join();
  CHECK(returned.load());
}

TEST_CASE("shutdown signal: SIGTERM and SIGINT reach every live instance and do not kill the process") {
  ShutdownSignal a, b;
  // doctest installs its own crash handlers (SIGTERM included) around each test case: put ours back.
  ShutdownSignal::install_handlers();
  std::raise(SIGTERM);
  CHECK(a.requested());
  CHECK(b.requested());
  CHECK(ShutdownSignal::last_signal() == SIGTERM);
  ShutdownSignal later;  // created after the signal: not requested
  CHECK_FALSE(later.requested());
  std::raise(SIGINT);
  CHECK(later.requested());
  CHECK(ShutdownSignal::last_signal() == SIGINT);
}

TEST_CASE("logging: JSON format writes one escaped object per line with level and logger name") {
  config::LogConfig cfg;
  cfg.format = config::LogFormat::kJson;
  cfg.level = "debug";
  setup_logging(cfg);
  std::string out = capture_stderr([] {
    logger("router.file#alerts")->info("quote \" and\nnewline");
    logger("router.file#alerts")->trace("not shown at debug");
  });
  std::istringstream lines(out);
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line)) objs.push_back(nlohmann::json::parse(line));
  REQUIRE(objs.size() == 1);
  CHECK(objs[0]["level"] == "info");
  CHECK(objs[0]["logger"] == "router.file#alerts");
  CHECK(objs[0]["msg"] == "quote \" and\nnewline");
  CHECK(objs[0]["time"].get<std::string>().back() == 'Z');
  setup_logging(config::LogConfig{});
}

TEST_CASE("logging: text format, level changes apply to existing loggers, loggers are shared by name") {
  auto l = logger("engine");
  CHECK(l == logger("engine"));
  setup_logging(config::LogConfig{"warn", config::LogFormat::kText});
  std::string out = capture_stderr([&] {
    l->info("hidden");
    l->warn("visible {}", 42);
  });
  CHECK(out.find("hidden") == std::string::npos);
  CHECK(out.find("warning [engine] visible 42") != std::string::npos);
  CHECK(parse_log_level("error") == spdlog::level::err);
  CHECK(parse_log_level("off") == spdlog::level::off);
  setup_logging(config::LogConfig{});
}

TEST_CASE("run_main: --config reaches the body - default is config/peregrine.yaml") {
  std::string seen;
  CHECK(run({"prog"}, [&](const std::string& c) { seen = c; return 0; }) == 0);
  CHECK(seen == "config/peregrine.yaml");
  CHECK(run({"prog", "--config", "/tmp/x.yaml"}, [&](const std::string& c) { seen = c; return 5; }) == 5);
  CHECK(seen == "/tmp/x.yaml");
}

TEST_CASE("run_main: load-time errors become one message and exit code 2") {
  std::string err = capture_stderr([] {
    CHECK(run({"prog"}, [](const std::string&) -> int {
            return config::load_config("/nonexistent/peregrine.yaml").engine.pending_max > 0;
          }) == kExitLoadError);
  });
  CHECK(err == "peregrine-test: configuration error: /nonexistent/peregrine.yaml: cannot open configuration file\n");
  err = capture_stderr([] {
    CHECK(run({"prog"}, [](const std::string&) -> int { throw std::runtime_error("rules: bad"); }) == kExitLoadError);
  });
  CHECK(err == "peregrine-test: rules: bad\n");
  CHECK(run({"prog", "--no-such-flag"}, [](const std::string&) { return 0; }) == kExitLoadError);
}

TEST_CASE("run_main: --version and extra flags") {
  bool ran = false;
  CHECK(run({"prog", "--version"}, [&](const std::string&) { ran = true; return 0; }) == 0);
  CHECK_FALSE(ran);
  int n = 0;
  CHECK(run({"prog", "--count", "3"}, [&](const std::string&) { return n; },
            [&](CLI::App& app) { app.add_option("--count", n); }) == 3);
}
