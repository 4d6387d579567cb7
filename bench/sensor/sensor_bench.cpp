// Sensor overhead and throughput benchmark (root only).
//
//   sensor_bench [--mode full|kernel|kernel-noenter|floor|floor-noenter|user] [--rounds 5] [--open-iters 200000]
//                [--exec-iters 300] [--rate-seconds 2] [--ring-mib 8] [--rules FILE] [--tree DIR]
//
// (a) Slowdown: an open/close loop and a fork+exec loop are timed without the sensor and with it attached,
//     alternating off/on for --rounds rounds in the same run; the report gives the median of each and the ratio.
//     "Attached" means the full user-space path: BPF hooks, event building and wire batching (the batches are
//     discarded instead of sent, so the engine is not part of the measurement).
//     `user` (no root needed) measures the consumer's cost per event: EventBuilder and wire encoding.
//     `floor` / `floor-noenter` attach the hooks with nothing selected: the cost of being attached at all.
//     --rules FILE configures `full` as the engine would for those rules (event types and the open filter).
//     --tree DIR adds a realistic open-heavy workload: open, read to the end and close every file under DIR.
// (b) Zero-drop rate: paced open/close generators at doubling target rates; each step runs --rate-seconds and
//     reads the kernel counters. The highest step with zero drops (kernel and user-space queue) is reported.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/codec.h"
#include "engine/filter/evttypes.h"
#include "engine/rules/rule_engine.h"
#include "sensor/publisher.h"
#include "sensor/sensor.h"
#include "sensor/syscall_table.h"

namespace ps = peregrine::sensor;
using Clock = std::chrono::steady_clock;

namespace {

struct Attached {
  std::unique_ptr<ps::BatchPublisher> publisher;
  std::unique_ptr<ps::Sensor> sensor;
};

// --rules: what the engine would ask of the sensor for these rules (event types and the open filter).
struct RulesSelection {
  bool active = false;
  std::vector<peregrine::EventType> types;
  peregrine::OpenFilter open_filter;
};
RulesSelection g_rules;
bool g_enter_hook = true;
uint32_t g_cpus_per_buffer = 0;

void load_rules_selection(const std::string& file) {
  peregrine::engine::RuleEngine eng;
  auto res = eng.load_files({file});
  if (!res.successful()) {
    std::fprintf(stderr, "sensor_bench: cannot load %s\n", file.c_str());
    std::exit(1);
  }
  for (const auto& n : peregrine::engine::names(eng.needed_event_types()))
    if (auto t = peregrine::event_type_from_name(n); t && ps::syscall_row(*t)) g_rules.types.push_back(*t);
  g_rules.open_filter = eng.open_filter();
  g_rules.active = true;
  std::printf("rules %s: %zu event types, open filter: %s\n", file.c_str(), g_rules.types.size(),
              peregrine::describe(g_rules.open_filter).c_str());
}

Attached attach(uint32_t ring_mib, size_t queue_capacity = 1024) {
  Attached a;
  a.publisher = std::make_unique<ps::BatchPublisher>(ps::PublisherOptions{65536, 1000, queue_capacity},
                                                     [](std::span<const uint8_t>) { return true; });
  ps::SensorOptions o;
  o.docker_socket.clear();
  o.probe.ring_buffer_mib = ring_mib;
  o.probe.enter_hook = g_enter_hook;
  o.probe.cpus_per_buffer = g_cpus_per_buffer;
  o.poll_timeout_ms = 1;
  auto s = ps::Sensor::create(o, *a.publisher);
  if (!s) {
    std::fprintf(stderr, "sensor_bench: %s\n", s.error().message.c_str());
    std::exit(1);
  }
  a.sensor = std::move(s).value();
  if (g_rules.active) (void)a.sensor->select(g_rules.types, g_rules.open_filter);
  a.sensor->start();
  return a;
}

void detach(Attached& a) {
  a.sensor->stop();
  a.publisher->stop();
  a.sensor.reset();
  a.publisher.reset();
}

double open_loop(int iters) {
  auto t0 = Clock::now();
  for (int i = 0; i < iters; ++i) {
    int fd = ::open("/etc/hostname", O_RDONLY);
    if (fd >= 0) ::close(fd);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A realistic open-heavy workload: read whole files of a source tree (headers), like a compiler or a scanner.
std::vector<std::string> tree_files(const std::string& root, size_t max_files) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator() && out.size() < max_files; it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  return out;
}

double read_tree_loop(const std::vector<std::string>& files, int passes) {
  static char buf[65536];
  auto t0 = Clock::now();
  for (int p = 0; p < passes; ++p) {
    for (const auto& f : files) {
      int fd = ::open(f.c_str(), O_RDONLY);
      if (fd < 0) continue;
      while (::read(fd, buf, sizeof(buf)) > 0) {
      }
      ::close(fd);
    }
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double exec_loop(int iters, const char* bin) {
  auto t0 = Clock::now();
  for (int i = 0; i < iters; ++i) {
    pid_t c = ::fork();
    if (c == 0) {
      char* const argv[] = {const_cast<char*>("true"), nullptr};
      ::execv(bin, argv);
      _exit(127);
    }
    int st = 0;
    ::waitpid(c, &st, 0);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs the timed workloads in a separate process, forked before any sensor exists: a real workload does not
// share the sensor's address space (the ring buffer's mappings would make every fork() of the bench itself
// copy their page tables, which is not a cost the sensor puts on other processes).
class Worker {
 public:
  explicit Worker(std::function<double(int)> run) {
    int to_child[2], to_parent[2];
    if (::pipe(to_child) != 0 || ::pipe(to_parent) != 0) std::exit(1);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(to_child[1]);
      ::close(to_parent[0]);
      int cmd = 0;
      while (::read(to_child[0], &cmd, sizeof(cmd)) == sizeof(cmd) && cmd >= 0) {
        double t = run(cmd);
        if (::write(to_parent[1], &t, sizeof(t)) != sizeof(t)) break;
      }
      _exit(0);
    }
    ::close(to_child[0]);
    ::close(to_parent[1]);
    cmd_fd_ = to_child[1];
    result_fd_ = to_parent[0];
  }
  ~Worker() {
    int quit = -1;
    (void)!::write(cmd_fd_, &quit, sizeof(quit));
    ::close(cmd_fd_);
    ::close(result_fd_);
    ::waitpid(pid_, nullptr, 0);
  }
  double run(int workload) {
    double t = -1;
    if (::write(cmd_fd_, &workload, sizeof(workload)) != sizeof(workload) ||
        ::read(result_fd_, &t, sizeof(t)) != sizeof(t)) {
      std::fprintf(stderr, "sensor_bench: the worker process died\n");
      std::exit(1);
    }
    return t;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int cmd_fd_ = -1, result_fd_ = -1;
};

enum Workload { kOpenClose = 0, kForkExec = 1, kReadTree = 2 };

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Kernel side only: the BPF programs attached and a consumer that just counts records (no event building).
struct KernelOnly {
  std::unique_ptr<ps::BpfProbe> probe;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> records{0};
  std::thread thread;
};

std::unique_ptr<KernelOnly> attach_kernel_only(uint32_t ring_mib, bool enter_hook, bool want_nothing = false) {
  auto k = std::make_unique<KernelOnly>();
  ps::ProbeOptions o;
  o.ring_buffer_mib = ring_mib;
  o.enter_hook = enter_hook;
  auto* raw = k.get();
  auto p = ps::BpfProbe::open(o, [raw](std::span<const uint8_t>) { raw->records++; });
  if (!p) {
    std::fprintf(stderr, "sensor_bench: %s\n", p.error().message.c_str());
    std::exit(1);
  }
  k->probe = std::move(p).value();
  if (want_nothing)
    (void)k->probe->set_wanted({});
  else
    (void)k->probe->set_wanted(ps::supported_event_types());
  k->thread = std::thread([raw] {
    (void)raw->probe->ignore_tid(static_cast<uint32_t>(::gettid()));
    while (!raw->stop) (void)raw->probe->poll(1);
  });
  return k;
}

void slowdown(const char* name, int rounds, uint32_t ring_mib, const std::function<double()>& work, int ops,
              const std::string& mode) {
  std::vector<double> off, on;
  work();  // warm caches once
  for (int r = 0; r < rounds; ++r) {
    off.push_back(work());
    ps::KernelCounters before, after;
    uint64_t filtered = 0;
    if (mode == "full") {
      auto a = attach(ring_mib);
      before = a.sensor->probe().counters();
      on.push_back(work());
      after = a.sensor->probe().counters();
      filtered = after.filtered - before.filtered;
      detach(a);
    } else {
      auto k = attach_kernel_only(ring_mib, mode == "kernel" || mode == "floor", mode == "floor" || mode == "floor-noenter");
      before = k->probe->counters();
      on.push_back(work());
      after = k->probe->counters();
      k->stop = true;
      k->thread.join();
    }
    std::printf("  round %d %-10s off %.3fs  on %.3fs  (kernel events %llu, drops %llu, opens filtered %llu)\n", r + 1,
                name, off.back(), on.back(), static_cast<unsigned long long>(after.events - before.events),
                static_cast<unsigned long long>(after.drops() - before.drops()),
                static_cast<unsigned long long>(filtered));
  }
  double moff = median(off), mon = median(on);
  double boff = *std::min_element(off.begin(), off.end()), bon = *std::min_element(on.begin(), on.end());
  std::printf("[%s] %-10s median off %.3fs (%.0f ops/s)  on %.3fs (%.0f ops/s)  slowdown %.3fx | best-of off %.3fs "
              "on %.3fs  slowdown %.3fx\n",
              mode.c_str(), name, moff, ops / moff, mon, ops / mon, mon / moff, boff, bon, bon / boff);
}

// Paced generators: `threads` threads doing open+close (2 events) at `rate` events/s in total.
void paced(double rate, double seconds, int threads) {
  const double per_thread_pairs = rate / 2.0 / threads;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      auto start = Clock::now();
      auto end = start + std::chrono::duration<double>(seconds);
      uint64_t done = 0;
      while (true) {
        auto now = Clock::now();
        if (now >= end) break;
        double due = std::chrono::duration<double>(now - start).count() * per_thread_pairs;
        while (done < due) {
          int fd = ::open("/etc/hostname", O_RDONLY);
          if (fd >= 0) ::close(fd);
          ++done;
        }
        std::this_thread::yield();
      }
    });
  for (auto& t : ts) t.join();
}

void zero_drop_rate(uint32_t ring_mib, double seconds, double max_rate) {
  auto a = attach(ring_mib);
  const peregrine::EventType only[] = {peregrine::EventType::kOpen, peregrine::EventType::kOpenat};
  (void)a.sensor->select(only);
  double best = 0;
  for (double rate = 50'000; rate <= max_rate; rate *= 2) {
    auto k0 = a.sensor->probe().counters();
    uint64_t q0 = a.publisher->events_dropped_queue();
    auto t0 = Clock::now();
    paced(rate, seconds, 1);
    double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    auto k1 = a.sensor->probe().counters();
    uint64_t drops = (k1.drops() - k0.drops()) + (a.publisher->events_dropped_queue() - q0);
    double achieved = static_cast<double>(k1.events - k0.events) / dt;
    std::printf("  target %8.0f ev/s  achieved %8.0f ev/s  drops %llu\n", rate, achieved,
                static_cast<unsigned long long>(drops));
    if (drops > 0) break;
    best = std::max(best, achieved);
    if (achieved < rate * 0.8) {
      std::printf("  (generator saturated: one thread cannot issue more syscalls on this machine)\n");
      break;
    }
  }
  std::printf("zero-drop rate: %.0f events/s sustained with 0 drops (ring %u MiB)\n", best, ring_mib);
  detach(a);
}

// User space only (no root): synthesized openat records through EventBuilder, then wire::BatchEncoder.
void user_space_cost(int n) {
  ps::ProcTable procs(1024, 64);
  ps::ProcEntry parent;
  parent.pid = 1;
  parent.comm = "systemd";
  parent.exe = "/sbin/init";
  (void)procs.upsert(parent);
  ps::ProcEntry self;
  self.pid = 100;
  self.ppid = 1;
  self.comm = "bench";
  self.exe = "bench";
  self.exepath = "/usr/bin/bench";
  self.cwd = "/root";
  self.args = {"--flag", "value"};
  (void)procs.upsert(self);
  ps::UserDb users;
  ps::BuilderOptions bo;
  bo.proc_root = "/nonexistent";
  ps::EventBuilder builder(bo, procs, users, nullptr, 0);
  pg_event_header h{};
  h.type = static_cast<uint16_t>(peregrine::EventType::kOpenat);
  h.pid = h.tid = 100;
  h.ppid = 1;
  std::memcpy(h.comm, "bench", 6);
  for (auto& l : h.param_len) l = PG_PARAM_ABSENT;
  const std::string path = "/etc/hostname";
  std::vector<uint8_t> payload;
  auto put = [&](int slot, const void* p, size_t len) {
    h.param_len[slot] = static_cast<uint16_t>(len);
    payload.insert(payload.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + len);
  };
  uint64_t fd = 3, dirfd = static_cast<uint64_t>(-100), flags = 0, mode = 0;
  put(0, &fd, 8);
  put(1, &dirfd, 8);
  put(2, path.data(), path.size());
  put(3, &flags, 8);
  put(4, &mode, 8);
  h.len = static_cast<uint32_t>(sizeof(h) + payload.size());
  std::vector<uint8_t> rec(sizeof(h));
  std::memcpy(rec.data(), &h, sizeof(h));
  rec.insert(rec.end(), payload.begin(), payload.end());
  peregrine::Event ev;
  peregrine::wire::BatchEncoder enc;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) (void)builder.build(rec, ev);
  double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    enc.add(ev);
    if (enc.size_bytes() >= 65536) enc.clear();
  }
  double enc_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("[user] per openat event: build %.0f ns, encode %.0f ns -> one consumer thread: %.0f events/s\n",
              build_s / n * 1e9, enc_s / n * 1e9, n / (build_s + enc_s));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Peregrine sensor benchmark"};
  int rounds = 5, open_iters = 200000, exec_iters = 300;
  double rate_seconds = 2, max_rate = 3.2e6;
  uint32_t ring_mib = 8;
  std::string mode = "full", rules, tree;
  int tree_passes = 3;
  app.add_option("--mode", mode, "full (sensor library) | kernel (BPF + counting consumer) | kernel-noenter | floor (hooks attached, nothing wanted)")
      ->check(CLI::IsMember({"full", "kernel", "kernel-noenter", "floor", "floor-noenter", "user"}));
  app.add_option("--rounds", rounds, "alternating off/on rounds");
  app.add_option("--open-iters", open_iters, "open+close pairs per round");
  app.add_option("--exec-iters", exec_iters, "fork+exec per round");
  app.add_option("--rate-seconds", rate_seconds, "seconds per rate step");
  app.add_option("--max-rate", max_rate, "highest target rate (events/s)");
  app.add_option("--ring-mib", ring_mib, "ring buffer size");
  app.add_flag("--no-enter", [](int64_t) { g_enter_hook = false; }, "full mode: without the sys_enter hook (toctou_paths: false)");
  app.add_option("--cpus-per-buffer", g_cpus_per_buffer, "full mode: CPUs sharing one ring (0 = one ring)");
  app.add_option("--tree", tree, "also time open+read+close of every file under this directory (up to 4000)");
  app.add_option("--tree-passes", tree_passes, "passes over --tree per round");
  app.add_option("--rules", rules, "full mode: select event types and the open filter as the engine would for this "
                                   "rules file (default: every supported type, no open filter)");
  CLI11_PARSE(app, argc, argv);
  if (mode == "user") {
    user_space_cost(open_iters * 5);
    return 0;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "sensor_bench: needs root to load BPF programs\n");
    return 1;
  }
  if (!rules.empty()) load_rules_selection(rules);
  const char* bin = std::filesystem::exists("/usr/bin/true") ? "/usr/bin/true" : "/bin/true";
  std::printf("cpus %u, rounds %d\n", std::thread::hardware_concurrency(), rounds);
  const auto files = tree.empty() ? std::vector<std::string>{} : tree_files(tree, 4000);
  Worker worker([&](int w) {
    if (w == kOpenClose) return open_loop(open_iters);
    if (w == kForkExec) return exec_loop(exec_iters, bin);
    return read_tree_loop(files, tree_passes);
  });
  std::printf("workloads run in process %d\n", static_cast<int>(worker.pid()));
  slowdown("open+close", rounds, ring_mib, [&] { return worker.run(kOpenClose); }, open_iters, mode);
  slowdown("fork+exec", rounds, ring_mib, [&] { return worker.run(kForkExec); }, exec_iters, mode);
  if (!files.empty()) {
    std::printf("read-tree: %zu files under %s, %d passes per round\n", files.size(), tree.c_str(), tree_passes);
    slowdown("read-tree", rounds, ring_mib, [&] { return worker.run(kReadTree); },
             static_cast<int>(files.size()) * tree_passes, mode);
  }
  zero_drop_rate(ring_mib, rate_seconds, max_rate);
  return 0;
}
