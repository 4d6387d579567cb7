// Router throughput on this machine's disk:
//   1. DurableQueue::append, alerts/s and MB/s, for fsync batch | interval | none and batches of 1, 16, 256
//   2. IntakePipeline -> DurableQueue -> DeliveryWorker -> file output, alerts/s end to end (fsync batch)
// Usage: peregrine-bench-router [dir] [alerts]   (dir defaults to $TMPDIR or /tmp)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "outputs/file/file_output.h"
#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/delivery/delivery_worker.h"
#include "router/intake/intake_pipeline.h"
#include "router/queue/durable_queue.h"

using namespace peregrine;
using namespace peregrine::router;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

Alert make_alert(size_t i) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = 1'764'390'000'000'000'000ull + i;
  a.rule = "Write below binary dir";
  a.priority = Priority::kError;
  a.hostname = "node-1";
  a.output = "File below a known binary directory opened for writing (user=root command=cp /tmp/x /bin/x "
             "file=/bin/x parent=bash gparent=sshd container_id=host image=<NA>)";
  a.tags = {"filesystem", "mitre_persistence"};
  a.output_fields = {{"evt.time", int64_t(1764390000)}, {"fd.name", std::string("/bin/x")},
                     {"proc.cmdline", std::string("cp /tmp/x /bin/x")}, {"user.name", std::string("root")},
                     {"container.id", std::string("host")}, {"proc.pname", std::string("bash")}};
  return a;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void bench_append(const fs::path& base, config::FsyncMode policy, const char* name, size_t batch, size_t total,
                  const std::vector<std::string>& payloads) {
  const fs::path dir = base / ("append-" + std::string(name) + "-" + std::to_string(batch));
  fs::remove_all(dir);
  QueueOptions o;
  o.dir = dir;
  o.fsync = policy;
  o.fsync_interval = std::chrono::milliseconds(100);
  o.max_bytes = 8ull << 30;
  auto q = DurableQueue::open(o);
  if (!q) {
    std::fprintf(stderr, "open: %s\n", q.error().message.c_str());
    std::exit(1);
  }
  size_t bytes = 0;
  const auto t0 = Clock::now();
  for (size_t done = 0; done < total; done += batch) {
    std::span<const std::string> s(payloads.data() + (done % (payloads.size() - batch)), batch);
    for (const auto& p : s) bytes += p.size();
    if (auto r = (*q)->append(s); !r) {
      std::fprintf(stderr, "append: %s\n", r.error().message.c_str());
      std::exit(1);
    }
  }
  (void)(*q)->sync();
  const double s = seconds_since(t0);
  std::printf("append  fsync=%-8s batch=%-4zu %9.0f alerts/s %7.1f MB/s  (%zu fsyncs)\n", name, batch, total / s,
              bytes / s / 1e6, static_cast<size_t>((*q)->stats().fsyncs));
  q->reset();
  fs::remove_all(dir);
}

// Many single-alert producers at once (several Falco nodes POSTing): group commit shares the fdatasyncs.
void bench_concurrent_batch_fsync(const fs::path& base, size_t threads, size_t per_thread,
                                  const std::vector<std::string>& payloads) {
  const fs::path dir = base / "concurrent";
  fs::remove_all(dir);
  QueueOptions o;
  o.dir = dir;
  o.max_bytes = 8ull << 30;
  auto q = DurableQueue::open(o);
  if (!q) std::exit(1);
  const auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (size_t t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (size_t i = 0; i < per_thread; ++i) {
        std::span<const std::string> one(&payloads[(t * per_thread + i) % payloads.size()], 1);
        if (!(*q)->append(one)) std::exit(1);
      }
    });
  }
  for (auto& t : ts) t.join();
  const double s = seconds_since(t0);
  std::printf("append  fsync=batch    batch=1 x %zu threads %9.0f alerts/s  (%zu fsyncs for %zu alerts)\n", threads,
              threads * per_thread / s, static_cast<size_t>((*q)->stats().fsyncs), threads * per_thread);
  q->reset();
  fs::remove_all(dir);
}

void bench_end_to_end(const fs::path& base, size_t total) {
  const fs::path dir = base / "e2e";
  fs::remove_all(dir);
  fs::create_directories(dir);
  QueueOptions o;
  o.dir = dir / "queue";
  auto q = DurableQueue::open(o);
  if (!q) std::exit(1);
  DedupWindow window(100000);
  DeadLetterFile dead(dir / "dead.jsonl");
  IntakePipeline intake(**q, window, &dead);
  outputs::OutputCommon common;
  common.type = "file";
  common.name = "bench";
  outputs::FileOutput file(common, outputs::FileOutputConfig{(dir / "alerts.jsonl").string(), 0, 5, true});
  metrics::Registry registry;
  DeliveryWorker worker(file, **q, dead, registry);
  if (!worker.start()) std::exit(1);
  const auto t0 = Clock::now();
  for (size_t done = 0; done < total; done += 64) {
    std::vector<Alert> batch;
    for (size_t i = 0; i < 64; ++i) batch.push_back(make_alert(done + i));
    if (!intake.accept(std::move(batch))) std::exit(1);
  }
  const double accept_s = seconds_since(t0);
  while (worker.metrics().delivered.value() < total) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double s = seconds_since(t0);
  worker.stop(Clock::now());
  worker.join();
  std::printf("e2e     intake(batch 64) -> file, fsync=batch: intake %9.0f alerts/s, delivered %9.0f alerts/s\n",
              total / accept_s, total / s);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: peregrine-bench-router [DIR] [ALERTS]\n"
                  "  DIR     scratch directory (default $TMPDIR or /tmp); a subdirectory is created and removed\n"
                  "  ALERTS  alerts per run (default 20000)\n");
      return 0;
    }
    if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "peregrine-bench-router: unknown option %s (try --help)\n", a.c_str());
      return 2;
    }
  }
  const char* tmp = std::getenv("TMPDIR");
  const fs::path base = fs::path(argc > 1 ? argv[1] : (tmp ? tmp : "/tmp")) / "peregrine-bench-router";
  const size_t total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000;
  std::vector<std::string> payloads;
  for (size_t i = 0; i < 4096; ++i) {
    nlohmann::json j = make_alert(i);
    payloads.push_back(j.dump());
  }
  std::printf("alert JSON ~%zu bytes, %zu alerts per run, dir %s\n", payloads[0].size(), total, base.c_str());
  for (size_t batch : {1, 16, 256}) {
    // fsync per append is slow on real disks; scale the count so the run stays short.
    bench_append(base, config::FsyncMode::kBatch, "batch", batch, batch == 1 ? std::min<size_t>(total, 2000) : total,
                 payloads);
    bench_append(base, config::FsyncMode::kInterval, "interval", batch, total, payloads);
    bench_append(base, config::FsyncMode::kNone, "none", batch, total, payloads);
  }
  bench_concurrent_batch_fsync(base, 8, 250, payloads);
  bench_end_to_end(base, total);
  fs::remove_all(base);
  return 0;
}
