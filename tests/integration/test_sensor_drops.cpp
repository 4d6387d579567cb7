// Drops are never silent, live on the real kernel: the sensor is frozen (SIGSTOP) while this process opens and
// closes a file far more often than its 1 MiB ring can hold, so the kernel side must drop; once thawed, the
// sensor's drop report must reach the router's file output as Falco's "Falco internal: syscall event drop"
// alert, and its metrics must count the drops.
//
// Deterministic by construction: while the sensor is stopped nothing drains the ring, so at least
// (flood events - ring capacity) records are dropped whatever the machine's speed. All flood drops happen before
// SIGCONT, so the first drop report the thawed sensor computes carries them all (an earlier report holds none).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bpf/event_layout.h"
#include "tests/integration/stack.h"

using namespace peregrine::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDropRule = "Falco internal: syscall event drop";

// open() + close() pairs made while the sensor is stopped. Each openat is one kernel record (the rule below
// selects it; the close is traced too, for the fd table, but the bound below does not count on it).
constexpr long kFloodOpens = 200000;
// Most records a 1 MiB ring can hold: each takes at least the fixed header plus the ring's 8-byte record header.
constexpr long kRingRecordsMax = (1 << 20) / (8 + static_cast<long>(sizeof(pg_event_header)));
static_assert(kFloodOpens > 4 * kRingRecordsMax, "the flood must dwarf the ring");

// Selects open* and could match any open under `dir` (so the flood passes the engine's in-kernel open filter,
// which keeps opens by path prefix), but fires only for the readiness marker, not for the flood.
std::string write_rules(const TempDir& dir) {
  auto p = dir / "rules.yaml";
  std::ofstream(p) << "- rule: Drop test marker opened\n"
                   << "  desc: the drop test opened its readiness marker\n"
                   << "  condition: evt.type in (open, openat, openat2) and fd.name startswith \""
                   << dir.path().string() << "/\" and fd.name endswith \"/ready\"\n"
                   << "  output: marker opened (file=%fd.name)\n"
                   << "  priority: WARNING\n";
  return p.string();
}

// True when every thread of `pid` is in group stop (state T in /proc/<pid>/task/<tid>/stat).
bool all_threads_stopped(pid_t pid) {
  std::error_code ec;
  int threads = 0;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(t.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'T') return false;
    ++threads;
  }
  return !ec && threads > 0;
}

// SIGSTOP now, SIGCONT when the scope ends (also when an assertion throws).
struct Frozen {
  pid_t pid;
  explicit Frozen(pid_t p) : pid(p) { ::kill(pid, SIGSTOP); }
  ~Frozen() { ::kill(pid, SIGCONT); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
};

long open_close(const std::string& path, long n) {
  long ok = 0;
  for (long i = 0; i < n; ++i) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::close(fd);
    ++ok;
  }
  return ok;
}

uint64_t field_u64(const json& f, const char* name) {
  return f.contains(name) && f[name].is_number_unsigned() ? f[name].get<uint64_t>() : 0;
}

// The drop alert that carries the flood (ambient drops on a busy machine can raise smaller ones earlier).
std::optional<json> flood_drop_alert(const fs::path& file, uint64_t min_drops) {
  for (const auto& a : alerts_in(file))
    if (a["rule"] == kDropRule && field_u64(a["output_fields"], "n_drops") >= min_drops) return a;
  return std::nullopt;
}

// Sum of the kernel-side drop counters (ring full, every category; oversize; scratch) from the sensor's /metrics.
double kernel_drops_in(const std::string& metrics) {
  double sum = 0;
  for (const char* cat : {"proc", "file", "net", "close", "other", "oversize", "scratch"}) {
    double v = metric_value(metrics, std::string("peregrine_sensor_drops_total{category=\"") + cat + "\"}");
    if (v > 0) sum += v;
  }
  return sum;
}

}  // namespace

TEST_CASE("sensor drops: a flood past a frozen sensor's ring raises the syscall event drop alert in the router") {
  if (auto why = sensor_unavailable(); !why.empty()) PEREGRINE_SKIP(why);
  TempDir dir;
  const auto marker = (dir / "ready").string(), flood = (dir / "flood").string();
  std::ofstream(marker) << "ready\n";
  std::ofstream(flood) << "flood\n";
  // The smallest ring and the shortest window the config allows; any interval dropping over 1% is reported.
  auto cfg = write_stack_config(dir, write_rules(dir), "", "",
                                "ring_buffer_mib: 1\ndrop_stats_interval_s: 1\ndrop_alert_ratio: 0.01\n");
  LiveStack stack(dir, cfg);
  INFO("sensor stderr: " << stack.sensor.stderr_text());
  INFO("engine stderr: " << stack.engine.stderr_text());
  INFO("router stderr: " << stack.router.stderr_text());

  // Ready when an open of the marker went all the way to the router's file (opened again on every poll).
  const auto file = dir / "alerts.jsonl";
  auto marker_seen = [&] {
    open_close(marker, 1);
    for (const auto& a : alerts_in(file))
      if (a["rule"] == "Drop test marker opened") return true;
    return false;
  };
  // A component that exits (a sensor that cannot load its BPF programs) ends the wait at once.
  auto up = [&] { return stack.sensor.running() && stack.engine.running() && stack.router.running(); };
  REQUIRE_MESSAGE(wait_until([&] { return !up() || marker_seen(); }, 60s), "the readiness marker's alert never came");
  REQUIRE_MESSAGE(up(), "a component exited before the pipeline was up");

  long opened = 0;
  {
    Frozen frozen(stack.sensor.child().pid());
    REQUIRE_MESSAGE(wait_until([&] { return all_threads_stopped(stack.sensor.child().pid()); }, 10s), "the sensor did not stop");
    opened = open_close(flood, kFloodOpens);
  }
  REQUIRE(opened == kFloodOpens);

  // Nothing drained the ring while the flood ran: every flood openat beyond its capacity was dropped.
  const uint64_t min_drops = static_cast<uint64_t>(kFloodOpens - kRingRecordsMax);
  std::optional<json> alert;
  bool came = wait_until([&] { return (alert = flood_drop_alert(file, min_drops)).has_value(); }, 30s);
  REQUIRE_MESSAGE(came, "no '" << std::string(kDropRule) << "' alert with n_drops >= " << min_drops
                                << " in the router's file");

  const json& a = *alert;
  INFO("alert: " << a.dump());
  CHECK(a["priority"] == "Debug");  // as Falco's syscall_event_drops alert action
  CHECK(a["source"] == "syscall");
  CHECK(a["tags"] == json::array({"peregrine_internal"}));
  const json& f = a["output_fields"];
  const uint64_t n_evts = field_u64(f, "n_evts"), n_drops = field_u64(f, "n_drops");
  CHECK(n_evts >= static_cast<uint64_t>(kFloodOpens));  // the flood was traced, not filtered out in the kernel
  MESSAGE("drop alert: n_evts=" << n_evts << " n_drops=" << n_drops << " n_drops_perc=" << f["n_drops_perc"]
                                << " after " << kFloodOpens << " open+close pairs past the stopped sensor");
  CHECK(n_drops <= n_evts);
  CHECK(field_u64(f, "n_drops_buffer_total") >= min_drops);  // ring full: the cause of this flood's drops
  CHECK(n_drops == field_u64(f, "n_drops_buffer_total") + field_u64(f, "n_drops_max_event_size") +
                       field_u64(f, "n_drops_scratch_map") + field_u64(f, "n_drops_queue"));
  REQUIRE(f["n_drops_perc"].is_string());
  const double perc = std::strtod(f["n_drops_perc"].get<std::string>().c_str(), nullptr);
  CHECK(perc == doctest::Approx(100.0 * static_cast<double>(n_drops) / static_cast<double>(n_evts)).epsilon(1e-6));
  CHECK(perc > 0.0);
  CHECK(perc <= 100.0);
  CHECK(f["ebpf_enabled"] == true);
  CHECK(a["output"].get<std::string>().find(": Debug Falco internal: syscall event drop. " + std::to_string(n_drops) +
                                            " system calls dropped in last 1 s.") != std::string::npos);

  // The same drops in the metrics: counted by category in the sensor, reported once to the engine.
  const auto sm = http_get(stack.sensor.admin_port(), "/metrics").body;
  INFO("sensor metrics:\n" << sm);
  CHECK(kernel_drops_in(sm) >= static_cast<double>(field_u64(f, "n_drops_buffer_total")));
  CHECK(metric_value(sm, "peregrine_sensor_drops_total{category=\"file\"}") > 0);  // the flood's openat
  CHECK(metric_value(sm, "peregrine_sensor_drop_alerts_total") >= 1);
  CHECK(metric_value(sm, "peregrine_sensor_events_total") >= static_cast<double>(n_evts));
  CHECK(metric_value(http_get(stack.engine.admin_port(), "/metrics").body, "peregrine_engine_sensor_drop_reports_total") >= 1);
  CHECK(stack.sensor.stderr_text().find("kernel dropped") != std::string::npos);  // and logged

  CHECK(stack.stop_all() == "");
}
