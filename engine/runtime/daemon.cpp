#include "engine/runtime/daemon.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <zmq.hpp>

#include "common/alert_text.h"
#include "common/config/config.h"
#include "common/event_json.h"
#include "common/http/server.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/ready_file.h"
#include "common/signals.h"
#include "common/transport/alerts.h"
#include "common/transport/control.h"
#include "common/transport/events.h"
#include "engine/filter/evttypes.h"
#include "engine/runtime/audit_intake.h"
#include "engine/runtime/internal_alerts.h"
#include "engine/runtime/pipeline.h"
#include "engine/runtime/reload.h"
#include "engine/runtime/rules_watcher.h"
#include "engine/runtime/workers.h"

namespace peregrine::engine {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(200);
constexpr auto kDrainTimeout = std::chrono::milliseconds(5000);
constexpr size_t kAuditPerTurn = 4096;  // audit events evaluated per loop turn (sensor batches wait meanwhile)

// The webhook's queued audit events, evaluated on the calling thread (the one that owns `pipeline`).
void evaluate_audit(AuditQueue* queue, Pipeline& pipeline, std::vector<Event>& scratch) {
  if (!queue) return;
  scratch.clear();
  queue->pop_some(scratch, kAuditPerTurn);
  for (const Event& e : scratch) pipeline.process_event(e);
}

uint64_t wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Tells the sensor what the rules need: event types, the open filter and whether proc.env is read.
void publish_selection(transport::ControlPublisher& control, const RuleEngine& rules, spdlog::logger& log) {
  auto wanted = names(rules.needed_event_types());
  auto open_filter = rules.open_filter();
  const bool proc_env = rules.needs_proc_env();
  log.info("asked the sensor for {} event types; open filter: {}; proc.env: {}", wanted.size(),
           describe(open_filter), proc_env ? "needed" : "not needed");
  control.publish(wanted, std::move(open_filter), proc_env);
}

// Demo / replay mode: events come from a JSON-lines file instead of the sensor.
void replay_file(const std::string& path, Pipeline& pipeline, spdlog::logger& log) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("engine.replay_file: cannot open " + path);
  Event evt;
  std::string line;
  size_t lineno = 0, bad = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto r = event_from_json_line(line, evt);
    if (!r) {
      ++bad;
      log.warn("{}:{}: {}", path, lineno, r.error().message);
      continue;
    }
    pipeline.process_event(evt);
  }
  log.info("replayed {} ({} lines, {} rejected)", path, lineno, bad);
}

// The evaluating threads' rule sets: the one this thread also reads, then its replicas.
std::vector<std::shared_ptr<RuleEngine>> all_sets(const std::shared_ptr<RuleEngine>& first,
                                                  std::vector<std::unique_ptr<RuleEngine>> replicas) {
  std::vector<std::shared_ptr<RuleEngine>> sets{first};
  for (auto& r : replicas) sets.push_back(std::move(r));
  return sets;
}

}  // namespace

static int run_daemon_checked(const std::string& config_path);

int run_daemon(const std::string& config_path) {
  // Load-time failures (config, rules, sockets) become one clear line and exit code 2, as in the other mains.
  try {
    return run_daemon_checked(config_path);
  } catch (const std::exception& e) {
    std::cerr << "peregrine-engine: " << e.what() << "\n";
    return 2;
  }
}

static int run_daemon_checked(const std::string& config_path) {
  auto cfg = config::load_config(config_path);
  const auto& ec = cfg.engine;
  setup_logging(ec.log);
  auto log = logger("engine");
  // Keys are loaded before anything starts: a wrong path or a readable secret key is a load-time error.
  const auto sensor_keys = transport::load_client_keys(ec.sensor_curve);
  const auto alerts_keys = transport::load_client_keys(ec.alerts_curve);
  if (sensor_keys) log->info("sensor links: CURVE on, engine public key {}", sensor_keys->public_key);
  if (alerts_keys) log->info("alerts link: CURVE on, engine public key {}", alerts_keys->public_key);
  // The binding side enforces the plaintext rule; say it here too when this engine leaves the host in plaintext.
  if (!alerts_keys && !config::is_local_endpoint(ec.alerts_endpoint))
    log->warn("alerts go to {} in plaintext: set engine.alerts_curve (docs/security.md)", ec.alerts_endpoint);
  if (!sensor_keys && !config::is_local_endpoint(ec.events_endpoint))
    log->warn("events come from {} in plaintext: set engine.sensor_curve (docs/security.md)", ec.events_endpoint);

  HangupSignal hangup;  // from here on SIGHUP reloads the rules instead of ending the process
  // One rule set per evaluating thread; replay mode evaluates on this thread (a file has no per-process stream).
  const size_t threads = ec.replay_file.empty() ? eval_thread_count(ec) : 1;
  auto initial = build_rules(ec, *log, threads);
  // Load errors are fatal here (exit code 2); on SIGHUP they keep the old set.
  if (!initial.rules) throw std::runtime_error(initial.errors);
  // `rules` answers the selection, hostname and output options (const reads, safe beside worker 0's process()).
  std::shared_ptr<RuleEngine> rules = std::move(initial.rules);
  RulesReloader reloader([&ec, log, threads] { return build_rules(ec, *log, threads); });

  metrics::Registry reg;
  ShutdownSignal shutdown;
  zmq::context_t ctx(1);

  transport::AlertSenderOptions aopts;
  aopts.ack_timeout = std::chrono::milliseconds(ec.ack_timeout_ms);
  aopts.pending_max = static_cast<size_t>(ec.pending_max);
  aopts.curve = alerts_keys;
  transport::AlertSender sender(ctx, ec.alerts_endpoint, aopts);
  reg.counter_callback("peregrine_engine_alerts_sent_total", "Alerts sent to the router (first transmission)", {},
                 [&] { return sender.sent(); });
  reg.counter_callback("peregrine_engine_alerts_resent_total", "Alerts re-sent after an ack timeout", {},
                 [&] { return sender.resent(); });
  reg.counter_callback("peregrine_engine_alerts_acked_total", "Alerts acknowledged by the router", {},
                 [&] { return sender.acked(); });
  reg.counter_callback("peregrine_engine_alerts_link_auth_failures_total",
                       "CURVE handshakes with the router that failed (key not allowed or wrong server key)", {},
                       [&] { return sender.auth_failures(); });
  reg.gauge_callback("peregrine_engine_alerts_unacked", "Alerts waiting for the router's acknowledgement", {},
               [&] { return static_cast<double>(sender.unacked()); });

  std::atomic<uint64_t> reloads_ok{0}, reloads_failed{0};
  reg.counter_callback("peregrine_engine_rules_reloads_total", "Rules reloads (SIGHUP), by result",
                       {{"result", "ok"}}, [&] { return reloads_ok.load(); });
  reg.counter_callback("peregrine_engine_rules_reloads_total", "Rules reloads (SIGHUP), by result",
                       {{"result", "failed"}}, [&] { return reloads_failed.load(); });

  transport::ControlOptions copts;
  copts.curve = sensor_keys;
  transport::ControlPublisher control(ctx, ec.control_endpoint, copts);
  publish_selection(control, *rules, *log);

  const AlertSink sink = [&](const Alert& a, std::string&& json) {
    return sender.submit(transport::AlertEnvelope{a.uuid, std::move(json)});
  };
  Pipeline pipeline(*rules, sink, reg);  // threads == 1 (and replay); its counters are the workers' too
  std::unique_ptr<EvalWorkers> workers;
  if (threads > 1) {
    workers = std::make_unique<EvalWorkers>(all_sets(rules, std::move(initial.replicas)), sink, reg);
    log->info("evaluating on {} threads, events partitioned by process", threads);
  }
  http::AdminServer admin(ec.http, reg, [] { return true; });
  if (admin.port() != 0) log->info("admin endpoints on {}:{}", admin.host(), admin.port());
  // The k8s audit webhook: its threads queue events, this thread evaluates them between sensor batches.
  std::unique_ptr<AuditQueue> audit_queue;
  std::unique_ptr<K8sAuditIntake> audit;
  std::vector<Event> audit_batch;
  if (ec.k8s_audit.enabled) {
    audit_queue = std::make_unique<AuditQueue>(static_cast<size_t>(ec.k8s_audit.queue_capacity));
    audit = std::make_unique<K8sAuditIntake>(ec.k8s_audit, *audit_queue, reg);
    log->info("k8s audit webhook on {}{}:{}{}", ec.k8s_audit.tls.enabled() ? "https://" : "http://", audit->host(),
              audit->port(), ec.k8s_audit.path);
  }
  if (auto r = announce_ready({{"admin_port", admin.port()}, {"k8s_audit_port", audit ? audit->port() : 0}}); !r)
    throw std::runtime_error(r.error().message);

  if (!ec.replay_file.empty()) {
    replay_file(ec.replay_file, pipeline, *log);
    while (!shutdown.wait_for(audit ? kPollInterval : std::chrono::hours(24)))
      evaluate_audit(audit_queue.get(), pipeline, audit_batch);
  } else {
    transport::RecvOptions ropts;
    ropts.curve = sensor_keys;
    transport::EventReceiver receiver(ctx, ec.events_endpoint, ropts);
    std::unique_ptr<RulesWatcher> watcher;
    if (ec.watch_rules) {
      watcher = std::make_unique<RulesWatcher>(ec.rules_files);
      log->info("watching {} rules_files entr{} for changes", ec.rules_files.size(),
                ec.rules_files.size() == 1 ? "y" : "ies");
    }
    const char* reload_wanted = nullptr;
    auto next_watch_check = std::chrono::steady_clock::now();
    zmq::message_t msg;
    while (!shutdown.requested()) {
      auto got = receiver.recv(msg, kPollInterval);
      if (!got) {
        log->error("event link failed: {}", got.error().message);
        break;
      }
      // A SIGHUP or a change to the rules files asks for a reload; one asked for while a build runs starts after
      // it, so the last change is always loaded.
      if (hangup.take()) reload_wanted = "SIGHUP";
      // The watch is read at most once per poll interval, not once per event batch (a syscall off the hot path).
      if (watcher && std::chrono::steady_clock::now() >= next_watch_check) {
        next_watch_check = std::chrono::steady_clock::now() + kPollInterval;
        if (watcher->changed()) reload_wanted = "a rules file changed";
      }
      if (reload_wanted && reloader.start()) {
        log->info("{}: reloading the rules", reload_wanted);
        reload_wanted = nullptr;
      }
      // Between batches: a finished reload is swapped in here, so each event meets exactly one rule set.
      if (auto done = reloader.poll()) {
        if (done->rules) {
          rules = std::move(done->rules);
          if (workers) workers->swap_rules(all_sets(rules, std::move(done->replicas)));
          // Audit events are evaluated by `pipeline` on this thread, with worker 0's set when there are workers.
          pipeline.set_rules(*rules);
          ++reloads_ok;
          publish_selection(control, *rules, *log);
        } else {
          log->error("rules reload failed; the previous rules stay in force:\n{}", done->errors);
          ++reloads_failed;
          const Alert a = make_reload_failed_alert(wall_clock_ns(), rules->hostname(), done->errors,
                                                   rules->output_options().time_format_iso_8601);
          if (!sender.submit(transport::AlertEnvelope{a.uuid, alert_json_text(a)}))
            log->warn("the reload-failed alert was dropped (too many alerts await the router)");
        }
      }
      evaluate_audit(audit_queue.get(), pipeline, audit_batch);
      if (!*got) continue;
      Result<void> r;
      if (workers) {
        // The workers read the message after this loop has moved on: hand them its ownership.
        auto owned = std::make_shared<zmq::message_t>(std::move(msg));
        const auto bytes = transport::view(*owned);
        r = workers->dispatch(SharedBatch{std::move(owned), bytes});
      } else {
        r = pipeline.process_batch(transport::view(msg));
      }
      if (!r) log->warn("bad event batch: {}", r.error().message);
    }
  }

  if (audit) {
    audit.reset();  // no new audit events; what was accepted (200) is evaluated before the alerts are flushed
    while (audit_queue->depth() > 0) evaluate_audit(audit_queue.get(), pipeline, audit_batch);
  }
  if (workers && !workers->drain(kDrainTimeout)) log->warn("the evaluating threads did not finish their queues");
  log->info("stopping: {} events, {} alerts; waiting for the router to acknowledge {} alerts",
            pipeline.events(), pipeline.alerts(), sender.unacked());
  if (!sender.flush(kDrainTimeout))
    log->warn("{} alerts were not acknowledged by the router before shutdown", sender.unacked());
  return 0;
}

}  // namespace peregrine::engine
