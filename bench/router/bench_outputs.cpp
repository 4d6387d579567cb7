// Router outputs benchmark: alerts enter through the ZeroMQ intake (as from an engine, AlertSender) of the real
// peregrine-router binary with queue.fsync: batch, and leave through its opensearch output into
//   --sink      a local _bulk sink in this process that answers at once (the router's own ceiling), or
//   --url URL   a real OpenSearch node (bench/router/run_outputs.sh starts one and runs the curl baseline).
// Modes:
//   throughput  N alerts submitted at once; alerts/s from the first submit to the last document at the sink
//   latency     --rate R alerts/s for --seconds S; intake→sink latency per alert (sink arrival − submit),
//               p50/p99/max (the sink records each document's uuid: only with --sink)
// --curve puts the alert link under CURVE (router.alerts_curve with this process's key allowed), to compare with
// plaintext (docs/performance.md, "CURVE on the alert link").
// Prints the router's RSS (VmRSS and peak VmHWM) after the run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/alert.h"
#include "common/transport/alerts.h"
#include "common/transport/curve_keys.h"
#include "tests/integration/stack.h"

using namespace peregrine;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Args {
  std::string mode = "throughput";
  std::string url;  // empty = local sink
  size_t alerts = 200000;
  double rate = 1000;
  double seconds = 10;
  size_t batch = 1000;
  int linger_ms = 20;
  int concurrency = 2;
  bool curve = false;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--mode") a.mode = next();
    else if (k == "--url") a.url = next();
    else if (k == "--sink") a.url.clear();
    else if (k == "--alerts") a.alerts = std::stoul(next());
    else if (k == "--rate") a.rate = std::stod(next());
    else if (k == "--seconds") a.seconds = std::stod(next());
    else if (k == "--batch") a.batch = std::stoul(next());
    else if (k == "--linger-ms") a.linger_ms = std::stoi(next());
    else if (k == "--concurrency") a.concurrency = std::stoi(next());
    else if (k == "--curve") a.curve = true;
    else {
      std::printf(
          "usage: peregrine-bench-router-outputs [--mode throughput|latency] [--sink | --url http://127.0.0.1:9200]\n"
          "         [--alerts N] [--rate R --seconds S] [--batch N] [--linger-ms MS] [--concurrency N] [--curve]\n");
      std::exit(k == "--help" || k == "-h" ? 0 : 2);
    }
  }
  return a;
}

std::string alert_json(const std::string& uuid, uint64_t t) {
  Alert a;
  a.uuid = uuid;
  a.time_ns = t;
  a.rule = "Write below binary dir";
  a.priority = Priority::kError;
  a.hostname = "node-1";
  a.output = "File below a known binary directory opened for writing (user=root command=cp /tmp/x /bin/x "
             "file=/bin/x parent=bash gparent=sshd container_id=host image=<NA>)";
  a.tags = {"filesystem", "mitre_persistence"};
  a.output_fields = {{"evt.time", int64_t(1764390000)}, {"fd.name", std::string("/bin/x")},
                     {"proc.cmdline", std::string("cp /tmp/x /bin/x")}, {"user.name", std::string("root")},
                     {"container.id", std::string("host")}, {"proc.pname", std::string("bash")}};
  return nlohmann::json(a).dump();
}

// User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string f;
  unsigned long long ut = 0, st = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i) {
    if (i == 14) ut = std::stoull(f);
    if (i == 15) st = std::stoull(f);
  }
  return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string proc_status(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  return "?";
}

// The local _bulk sink: answers at once, counts documents, and in latency mode notes when each uuid arrived.
// It keeps no request (a recording test server would copy every body).
struct Sink {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<uint64_t> docs{0}, requests{0};
  bool track = false;
  std::mutex mu;
  std::map<std::string, Clock::time_point> arrived;
  void start() {
    server.Post("/_bulk", [this](const httplib::Request& req, httplib::Response& res) {
      const auto now = Clock::now();
      const auto lines = static_cast<uint64_t>(std::count(req.body.begin(), req.body.end(), '\n'));
      if (track) {
        std::lock_guard lk(mu);
        for (size_t p = req.body.find("\"_id\":\""); p != std::string::npos; p = req.body.find("\"_id\":\"", p + 1))
          arrived.emplace(req.body.substr(p + 7, 36), now);
      }
      docs += lines / 2;
      ++requests;
      res.set_content(R"({"errors":false})", "application/json");
    });
    server.set_tcp_nodelay(true);  // no Nagle wait between the response headers and body
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Sink() {
    server.stop();
    if (thread.joinable()) thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  testing::TempDir dir;
  Sink sink;
  sink.track = args.mode == "latency";
  std::string url = args.url;
  if (url.empty()) {
    sink.start();
    url = sink.url();
  }
  std::string curve_keys;
  if (args.curve) {
    for (const char* n : {"router", "engine"})
      transport::write_keypair(dir.path().string(), n, transport::generate_keypair(), false);
    curve_keys = "  alerts_curve: {secret_key_file: " + (dir / "router.key").string() +
                 ", allowed_client_keys: [" + (dir / "engine.pub").string() + "]}\n";
  }
  const std::string cfg = (dir / "router.yaml").string();
  testing::write_file(cfg, "router:\n" + curve_keys +
                           "  alerts_endpoint: tcp://127.0.0.1:0\n"
                           "  http: {listen: \"127.0.0.1:0\"}\n"
                           "  http_input: {enabled: false}\n"
                           "  queue: {dir: " + (dir / "queue").string() + ", fsync: " + std::string(getenv("BENCH_FSYNC") ? getenv("BENCH_FSYNC") : "batch") + ", max_bytes: 4GiB}\n"
                           "  outputs:\n"
                           "    - type: opensearch\n"
                           "      name: bench\n"
                           "      url: " + url + "\n"
                           "      concurrency: " + std::to_string(args.concurrency) + "\n"
                           "      template: {install: " + std::string(args.url.empty() ? "false" : "true") +
                           ", replicas: 0}\n"
                           "      delivery: {batch_max_alerts: " + std::to_string(args.batch) +
                           ", linger_ms: " + std::to_string(args.linger_ms) + "}\n");
  testing::Process router(dir, "router", cfg);
  const std::string endpoint = router.ready().at("alerts_endpoint");
  const int admin = router.admin_port();
  auto delivered = [&] {
    return testing::metric_value(testing::http_get(admin, "/metrics").body,
                                 "peregrine_router_output_delivered_total{output=\"bench\"}");
  };

  zmq::context_t ctx(1);
  transport::AlertSenderOptions so;
  so.pending_max = 10'000'000;
  if (args.curve) {
    so.curve = transport::CurveClientKeys{transport::read_key_file((dir / "engine.pub").string(), false),
                                          transport::read_key_file((dir / "engine.key").string(), true),
                                          transport::read_key_file((dir / "router.pub").string(), false)};
  }
  transport::AlertSender sender(ctx, endpoint, so);
  const uint64_t t0ns = 1'764'892'800'000'000'000ull;
  std::printf("router pid %d, output -> %s, batch %zu, linger %d ms, concurrency %d, fsync %s, alert link %s\n",
              router.child().pid(), args.url.empty() ? "local _bulk sink" : url.c_str(), args.batch, args.linger_ms,
              args.concurrency, getenv("BENCH_FSYNC") ? getenv("BENCH_FSYNC") : "batch",
              args.curve ? "CURVE" : "plaintext");

  if (args.mode == "throughput") {
    std::vector<std::string> uuids(args.alerts), bodies(args.alerts);
    for (size_t i = 0; i < args.alerts; ++i) {
      uuids[i] = make_uuid();
      bodies[i] = alert_json(uuids[i], t0ns + i);
    }
    const double cpu0 = cpu_seconds(router.child().pid());
    const auto t0 = Clock::now();
    for (size_t i = 0; i < args.alerts; ++i) sender.submit(transport::AlertEnvelope{uuids[i], std::move(bodies[i])});
    if (!sender.flush(std::chrono::minutes(10))) std::printf("not every alert was acknowledged\n");
    const double intake_s = std::chrono::duration<double>(Clock::now() - t0).count();
    while (delivered() < static_cast<double>(args.alerts)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = cpu_seconds(router.child().pid()) - cpu0;
    std::printf("throughput: %zu alerts, intake (acked) %.0f alerts/s, delivered %.0f alerts/s (%.2f s)\n",
                args.alerts, args.alerts / intake_s, args.alerts / s, s);
    std::printf("router CPU: %.2f s for %zu alerts = %.1f us per alert (intake, queue, delivery), %.0f alerts/s per "
                "core\n", cpu, args.alerts, 1e6 * cpu / static_cast<double>(args.alerts), args.alerts / cpu);
    if (args.url.empty()) std::printf("sink: %llu documents in %llu _bulk requests\n",
                                      static_cast<unsigned long long>(sink.docs.load()),
                                      static_cast<unsigned long long>(sink.requests.load()));
  } else {
    const size_t n = static_cast<size_t>(args.rate * args.seconds);
    std::vector<std::pair<std::string, Clock::time_point>> sent;
    sent.reserve(n);
    const auto start = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(i) / args.rate));
      std::this_thread::sleep_until(due);  // pacing of the generated load
      std::string u = make_uuid();
      sent.emplace_back(u, Clock::now());
      sender.submit(transport::AlertEnvelope{u, alert_json(u, t0ns + i)});
    }
    sender.flush(std::chrono::minutes(1));
    while (delivered() < static_cast<double>(n)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::vector<double> ms;
    {
      std::lock_guard lk(sink.mu);
      for (const auto& [u, t] : sent)
        if (auto it = sink.arrived.find(u); it != sink.arrived.end())
          ms.push_back(std::chrono::duration<double, std::milli>(it->second - t).count());
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
    std::printf("latency at %.0f alerts/s for %.0f s: %zu alerts, intake->sink p50 %.1f ms, p99 %.1f ms, max %.1f ms"
                " (%llu _bulk requests)\n",
                args.rate, args.seconds, ms.size(), pct(0.5), pct(0.99), ms.empty() ? 0.0 : ms.back(),
                static_cast<unsigned long long>(sink.requests.load()));
  }
  {
    const std::string m = testing::http_get(admin, "/metrics").body;
    const double sum = testing::metric_value(m, "peregrine_router_output_request_duration_seconds_sum{output=\"bench\"}");
    const double count = testing::metric_value(m, "peregrine_router_output_request_duration_seconds_count{output=\"bench\"}");
    std::printf("router: %.0f _bulk requests, %.1f ms each on average (send() call, as the router measures it)\n",
                count, count > 0 ? 1000 * sum / count : 0.0);
  }
  std::printf("router RSS: %s now, peak %s\n", proc_status(router.child().pid(), "VmRSS").c_str(),
              proc_status(router.child().pid(), "VmHWM").c_str());
  router.stop(SIGTERM, std::chrono::seconds(30));
  return 0;
}
