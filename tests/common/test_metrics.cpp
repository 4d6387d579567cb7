#include <doctest/doctest.h>

#include "tests/support/skip.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/metrics.h"

using peregrine::metrics::Registry;

namespace {

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// Runs `promtool check metrics` on text; returns {exit status, output}.
std::pair<int, std::string> promtool_check(const std::string& text) {
  auto dir = std::filesystem::temp_directory_path();
  std::string in = (dir / ("pg_metrics_" + std::to_string(::getpid()) + ".txt")).string();
  std::string out = in + ".out";
  std::ofstream(in) << text;
  std::string cmd = "/usr/bin/promtool check metrics < " + in + " > " + out + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream f(out);
  std::string output((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return {rc, output};
}

void fill(Registry& r) {
  r.counter("peregrine_events_total", "Events received.", {{"source", "syscall"}}).inc(41);
  r.counter("peregrine_events_total", "Events received.", {{"source", "syscall"}}).inc();
  r.counter("peregrine_events_total", "Events received.", {{"source", "k8s"}}).inc(2);
  r.gauge("peregrine_queue_depth", "Batches waiting in the queue.").set(3.5);
  r.gauge_callback("peregrine_table_size", "Processes tracked.", {{"table", "proc"}}, [] { return 12.0; });
  r.counter_callback("peregrine_ring_drops_total", "Ring buffer reserve failures.", {{"cpu", "0"}},
                     [] { return uint64_t{9}; });
  auto& h = r.histogram("peregrine_delivery_seconds", "Delivery latency.", {0.01, 0.1, 1}, {{"output", "file"}});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(5);
  r.gauge("peregrine_label_escape", "Help with \\ backslash\nand newline.", {{"v", "a\"b\\c\nd"}}).set(1);
}

}  // namespace

TEST_CASE("metrics: counters and gauges render in exposition format") {
  Registry r;
  fill(r);
  std::string text = r.render();
  CHECK(contains(text, "# HELP peregrine_events_total Events received.\n# TYPE peregrine_events_total counter\n"));
  CHECK(contains(text, "peregrine_events_total{source=\"syscall\"} 42\n"));
  CHECK(contains(text, "peregrine_events_total{source=\"k8s\"} 2\n"));
  CHECK(contains(text, "peregrine_queue_depth 3.5\n"));
  CHECK(contains(text, "peregrine_table_size{table=\"proc\"} 12\n"));
  CHECK(contains(text, "peregrine_ring_drops_total{cpu=\"0\"} 9\n"));
  CHECK(contains(text, "peregrine_delivery_seconds_bucket{output=\"file\",le=\"0.01\"} 1\n"));
  CHECK(contains(text, "peregrine_delivery_seconds_bucket{output=\"file\",le=\"0.1\"} 2\n"));
  CHECK(contains(text, "peregrine_delivery_seconds_bucket{output=\"file\",le=\"+Inf\"} 3\n"));
  CHECK(contains(text, "peregrine_delivery_seconds_count{output=\"file\"} 3\n"));
  CHECK(contains(text, "peregrine_label_escape{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
  CHECK(contains(text, "# HELP peregrine_label_escape Help with \\\\ backslash\\nand newline.\n"));
}

TEST_CASE("metrics: the same name and labels return the same series, label order does not matter") {
  Registry r;
  auto& a = r.counter("peregrine_x_total", "x", {{"a", "1"}, {"b", "2"}});
  auto& b = r.counter("peregrine_x_total", "x", {{"b", "2"}, {"a", "1"}});
  CHECK(&a == &b);
  auto& g1 = r.gauge("peregrine_g", "g");
  auto& g2 = r.gauge("peregrine_g", "g");
  CHECK(&g1 == &g2);
  g1.add(2);
  g2.sub(0.5);
  CHECK(g1.value() == doctest::Approx(1.5));
}

TEST_CASE("metrics: registration rejects bad names, type clashes and counters without _total") {
  Registry r;
  CHECK_THROWS_AS(r.counter("peregrine_events", "no suffix"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("peregrine_things_total", "gauge with suffix"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("9bad_total", "bad"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("bad-name_total", "bad"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("peregrine_ok_total", "bad label", {{"__reserved", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("peregrine_ok_total", "dup label", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  r.gauge("peregrine_used", "g");
  CHECK_THROWS_AS(r.histogram("peregrine_used", "h", {1.0}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("peregrine_h", "h", {2.0, 1.0}), std::invalid_argument);
}

TEST_CASE("metrics: special float values") {
  Registry r;
  r.gauge("peregrine_nan", "n").set(std::numeric_limits<double>::quiet_NaN());
  r.gauge("peregrine_inf", "i").set(std::numeric_limits<double>::infinity());
  r.gauge("peregrine_ninf", "i").set(-std::numeric_limits<double>::infinity());
  r.gauge("peregrine_small", "s").set(1e-9);
  std::string text = r.render();
  CHECK(contains(text, "peregrine_nan NaN\n"));
  CHECK(contains(text, "peregrine_inf +Inf\n"));
  CHECK(contains(text, "peregrine_ninf -Inf\n"));
  CHECK(contains(text, "peregrine_small 1e-09\n"));
}

TEST_CASE("metrics: counters are safe to bump from many threads") {
  Registry r;
  auto& c = r.counter("peregrine_concurrent_total", "c");
  auto& h = r.histogram("peregrine_concurrent_seconds", "h", {0.5});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.inc();
        h.observe(1.0);
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(c.value() == 400000);
  CHECK(h.count() == 400000);
  CHECK(h.sum() == doctest::Approx(400000.0));
  CHECK(h.cumulative(0) == 0);
  CHECK(h.cumulative(1) == 400000);
}

TEST_CASE("metrics: render() passes promtool check metrics") {
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    PEREGRINE_SKIP_NOTE("/usr/bin/promtool is not installed");
    return;
  }
  Registry r;
  fill(r);
  auto [rc, output] = promtool_check(r.render());
  INFO(output);
  CHECK(rc == 0);
  CHECK(output.empty());
}

TEST_CASE("metrics: promtool rejects broken exposition text (the check can fail)") {
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    PEREGRINE_SKIP_NOTE("/usr/bin/promtool is not installed");
    return;
  }
  auto [rc, output] = promtool_check("# TYPE peregrine_x counter\nperegrine_x 1\n");
  CHECK((rc != 0 || !output.empty()));
}
