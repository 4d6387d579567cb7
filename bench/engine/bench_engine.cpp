// Engine throughput on one core: a realistic event mix through RuleEngine::process() with (a) the upstream
// rules (stable by default; --upstream-rules takes several files), (b) Peregrine's default rules, (c) no rules.
// Three modes per configuration:
//   eval         events already decoded, all of them (the rules' cost, with every event cold in memory: the
//                65,536 decoded events take ~150 MB, so each event's first touch misses the caches)
//   in cache     the rules' cost on events in cache, as the daemon has them: each wire batch is decoded into
//                reused Events (~275 events, inside L2) and only their evaluation is timed
//   decode+eval  events decoded from 64 KiB wire batches first (what the daemon does per event)
// --threads N adds the daemon's multi-core path (EvalWorkers) with 1 and N workers, in wall-clock events/s;
// --per-rule prints each rule's own cost. Each measurement is repeated and the best run is kept. Results and the
// command: docs/performance.md.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/engine/event_mix.h"
#include "common/codec.h"
#include "engine/rules/rule_engine.h"
#include "engine/runtime/workers.h"

using namespace peregrine;
/// Thread CPU time: the machine is shared, so wall time would measure the neighbours too. Events per CPU-second
/// of this thread is exactly "events/s on one core".
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace {

struct Measured {
  double eval_eps = 0;
  double cached_eps = 0;
  double decode_eps = 0;
  uint64_t alerts = 0;
};

std::vector<std::vector<uint8_t>> encode_batches(const std::vector<Event>& events) {
  std::vector<std::vector<uint8_t>> out;
  wire::BatchEncoder enc;
  for (const auto& e : events) {
    enc.add(e);
    if (enc.size_bytes() >= wire::kTargetBatchBytes) {
      out.emplace_back(enc.bytes().begin(), enc.bytes().end());
      enc.clear();
    }
  }
  if (enc.count() > 0) out.emplace_back(enc.bytes().begin(), enc.bytes().end());
  return out;
}

/// Runs `pass` (which processes every event once and returns how many) until `seconds` of CPU time have been
/// used, `reps` times; returns the best events per CPU-second.
template <typename Pass>
double best_rate(Pass pass, double seconds, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    uint64_t n = 0;
    const double start = cpu_seconds();
    double el = 0;
    do {
      n += pass();
      el = cpu_seconds() - start;
    } while (el < seconds);
    best = std::max(best, static_cast<double>(n) / el);
  }
  return best;
}

/// Evaluation only, on events in cache: the daemon (Pipeline) decodes each record into one reused Event and
/// evaluates it at once, so the rules never see a cold event. Each batch is decoded into reused Events, then its
/// evaluation alone is timed (two clock reads per ~275 events, counted in). Best events per CPU-second of `reps`.
double cached_eval_rate(engine::RuleEngine& eng, const std::vector<std::vector<uint8_t>>& batches, double seconds,
                        int reps) {
  std::vector<Event> decoded;
  std::vector<Alert> alerts;
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double eval_s = 0;
    uint64_t n = 0;
    while (eval_s < seconds) {
      for (const auto& b : batches) {
        auto dec = wire::BatchDecoder::open(b);
        if (!dec) return 0;
        size_t k = 0;
        while (true) {
          if (k == decoded.size()) decoded.emplace_back();
          auto more = dec->next(decoded[k]);
          if (!more || !*more) break;
          ++k;
        }
        const double t0 = cpu_seconds();
        for (size_t i = 0; i < k; ++i) {
          eng.process(decoded[i], alerts);
          alerts.clear();
        }
        eval_s += cpu_seconds() - t0;
        n += k;
      }
    }
    best = std::max(best, static_cast<double>(n) / eval_s);
  }
  return best;
}

Measured measure(engine::RuleEngine& eng, const std::vector<Event>& events,
                 const std::vector<std::vector<uint8_t>>& batches, double seconds, int reps) {
  Measured m;
  std::vector<Alert> alerts;
  alerts.reserve(64);
  uint64_t total_alerts = 0;
  m.eval_eps = best_rate(
      [&] {
        for (const auto& e : events) {
          eng.process(e, alerts);
          total_alerts += alerts.size();
          alerts.clear();
        }
        return events.size();
      },
      seconds, reps);
  m.cached_eps = cached_eval_rate(eng, batches, seconds, reps);
  Event evt;
  m.decode_eps = best_rate(
      [&] {
        size_t n = 0;
        for (const auto& b : batches) {
          auto dec = wire::BatchDecoder::open(b);
          if (!dec) return n;
          while (true) {
            auto more = dec->next(evt);
            if (!more || !*more) break;
            eng.process(evt, alerts);
            alerts.clear();
            ++n;
          }
        }
        return n;
      },
      seconds, reps);
  // Alerts for exactly one pass over the mix.
  for (const auto& e : events) {
    eng.process(e, alerts);
    m.alerts += alerts.size();
    alerts.clear();
  }
  (void)total_alerts;
  return m;
}

// Cost of each rule alone over the mix (ns per event of the whole mix, minus the no-rules pass): where to look.
void per_rule_costs(engine::RuleEngine& eng, const std::vector<Event>& events, double seconds) {
  std::vector<Alert> alerts;
  auto pass = [&] {
    for (const auto& e : events) {
      eng.process(e, alerts);
      alerts.clear();
    }
    return events.size();
  };
  eng.enable_rules("*", false);
  const double base_ns = 1e9 / best_rate(pass, seconds, 1);
  std::vector<std::pair<double, std::string>> costs;
  for (const auto& r : eng.rules()) {
    if (!r->defined_enabled) continue;
    eng.enable_rules(r->name, true);
    costs.emplace_back(1e9 / best_rate(pass, seconds, 1) - base_ns, r->name);
    eng.enable_rules(r->name, false);
  }
  std::sort(costs.rbegin(), costs.rend());
  double total = 0;
  for (const auto& [ns, name] : costs) total += ns;
  std::printf("\nper-rule cost over the mix (ns/event, each rule alone; sum %.0f ns):\n", total);
  for (const auto& [ns, name] : costs) std::printf("  %8.1f  %s\n", ns, name.c_str());
  eng.enable_rules("*", true);
}

// Wall-clock throughput of the daemon's multi-core path: batches split by process (EvalWorkers::dispatch on this
// thread, as the daemon's receiving thread does) and evaluated by `threads` workers, each with its own rule set.
double workers_rate(const std::vector<std::string>& files, const std::vector<std::vector<uint8_t>>& batches,
                    size_t threads, double seconds, double* dispatcher_share) {
  std::vector<std::shared_ptr<engine::RuleEngine>> sets;
  for (size_t i = 0; i < threads; ++i) {
    auto r = std::make_shared<engine::RuleEngine>();
    r->set_hostname("bench");
    if (!files.empty() && !r->load_files(files).successful()) return 0;
    sets.push_back(std::move(r));
  }
  metrics::Registry reg;
  std::atomic<uint64_t> alerts{0};
  engine::EvalWorkers workers(std::move(sets), [&](const Alert&, std::string&&) { return ++alerts > 0; }, reg);
  auto pass = [&] {
    for (const auto& b : batches) (void)workers.dispatch(engine::SharedBatch{nullptr, b});
  };
  pass();  // warm-up: memo tables, slot tables, caches
  if (!workers.drain(std::chrono::minutes(5))) return 0;
  const uint64_t before = workers.events();
  const auto start = std::chrono::steady_clock::now();
  double el = 0;
  do {
    pass();
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (el < seconds);
  if (!workers.drain(std::chrono::minutes(5))) return 0;
  el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *dispatcher_share = static_cast<double>(workers.dispatcher_buckets()) / engine::EvalWorkers::kBuckets;
  return static_cast<double>(workers.events() - before) / el;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peregrine-bench-engine: rule evaluation throughput on one core"};
  size_t n_events = 65536;
  double seconds = 1.0;
  int reps = 3;
  std::vector<std::string> upstream = {std::string(PEREGRINE_SOURCE_DIR) + "/../shared/falco-rules/falco_rules.yaml"};
  std::string defaults = std::string(PEREGRINE_SOURCE_DIR) + "/rules/peregrine_rules.yaml";
  app.add_option("--events", n_events, "distinct events in the mix");
  app.add_option("--seconds", seconds, "minimum duration of one measurement");
  app.add_option("--reps", reps, "repetitions per measurement (best kept)");
  app.add_option("--upstream-rules", upstream, "upstream rules files for (a), loaded in order (stable first)");
  app.add_option("--default-rules", defaults, "Peregrine default rules file");
  std::string only;
  app.add_option("--only", only, "run one configuration: a, b or c (for profiling)");
  size_t threads = 0;
  app.add_option("--threads", threads, "also measure the multi-core path (decode+eval, wall clock) with 1 and N workers");
  bool per_rule = false;
  app.add_flag("--per-rule", per_rule, "also print each rule's own cost in the last configuration (profiling)");
  CLI11_PARSE(app, argc, argv);

  const auto events = bench::make_event_mix(n_events, 42);
  const auto batches = encode_batches(events);
  size_t bytes = 0;
  for (const auto& b : batches) bytes += b.size();
  std::printf("event mix: %zu events, %zu batches, %.0f bytes/event on the wire\n", events.size(), batches.size(),
              static_cast<double>(bytes) / events.size());
  for (const auto& s : bench::mix_shares()) std::printf("  %5.1f%%  %s\n", s.per_mille / 10.0, s.what);

  struct Config {
    const char* name;
    std::vector<std::string> files;
  };
  std::vector<Config> configs = {{"(c) no rules", {}}, {"(b) default rules", {defaults}}};
  if (std::all_of(upstream.begin(), upstream.end(), [](const auto& f) { return std::filesystem::exists(f); })) {
    configs.push_back({upstream.size() == 1 ? "(a) upstream stable rules" : "(a) upstream rules (all files)", upstream});
  } else {
    std::printf("upstream rules not found (%s ...): (a) skipped\n", upstream.front().c_str());
  }
  if (!only.empty()) {
    std::erase_if(configs, [&](const Config& c) { return std::string(c.name).substr(1, 1) != only; });
  }
  std::vector<Measured> results;
  std::printf("\n%-28s %6s %14s %14s %14s %10s\n", "configuration", "rules", "eval ev/s", "in cache", "decode+eval",
              "alerts/pass");
  for (const auto& c : configs) {
    engine::RuleEngine eng;
    eng.set_hostname("bench");
    if (!c.files.empty()) {
      auto res = eng.load_files(c.files);
      if (!res.successful()) {
        std::fprintf(stderr, "%s", res.to_text().c_str());
        return 1;
      }
    }
    Measured m = measure(eng, events, batches, seconds, reps);
    results.push_back(m);
    std::printf("%-28s %6zu %14.0f %14.0f %14.0f %10llu\n", c.name, eng.rules().size(), m.eval_eps, m.cached_eps,
                m.decode_eps, static_cast<unsigned long long>(m.alerts));
  }
  if (threads > 0 && !configs.empty()) {
    const auto& c = configs.back();
    std::printf("\nmulti-core path, %s, wall clock (events/s over all workers):\n", c.name);
    double one = 0;
    for (size_t n : {size_t{1}, threads}) {
      double best = 0, share = 0;
      for (int r = 0; r < reps; ++r) best = std::max(best, workers_rate(c.files, batches, n, seconds, &share));
      if (n == 1) one = best;
      std::printf("  %2zu worker%s %14.0f ev/s   %.2fx one worker   (receiving thread's share %.3f)\n", n,
                  n == 1 ? " " : "s", best, best / one, share);
      if (threads == 1) break;
    }
  }
  if (per_rule && !configs.empty()) {
    engine::RuleEngine eng;
    eng.set_hostname("bench");
    if (!eng.load_files(configs.back().files).successful()) return 1;
    per_rule_costs(eng, events, seconds);
  }
  std::printf("\nslowdown vs (c) no rules (time per event ratio):\n");
  for (size_t i = 1; i < results.size() && only.empty(); ++i) {
    std::printf("  %-26s eval %.2fx   decode+eval %.2fx\n", configs[i].name,
                results[0].eval_eps / results[i].eval_eps, results[0].decode_eps / results[i].decode_eps);
  }
  return 0;
}
