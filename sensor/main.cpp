// peregrine-sensor: parse flags, load config, run the sensor until SIGINT/SIGTERM.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <zmq.hpp>

#include "common/app.h"
#include "common/config/config.h"
#include "common/http/server.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/ready_file.h"
#include "common/signals.h"
#include "common/transport/control.h"
#include "common/transport/events.h"
#include "common/transport/zap.h"
#include "sensor/drop_event.h"
#include "sensor/publisher.h"
#include "sensor/sensor.h"
#include "sensor/syscall_table.h"

namespace ps = peregrine::sensor;

namespace {

// The publisher plus drop-alert metrics: what the binary hands to the sensor library. An interval over the
// drop threshold also goes to the engine as a kSensorDrops event (Falco's "syscall event drop" alert).
class MeteredPublisher : public ps::BatchPublisher {
 public:
  MeteredPublisher(ps::PublisherOptions o, SendFn send, peregrine::metrics::Registry& reg, uint32_t interval_s,
                   double threshold)
      : BatchPublisher(o, std::move(send)),
        drop_alerts_(reg.counter("peregrine_sensor_drop_alerts_total",
                                 "Intervals whose drop ratio exceeded drop_alert_ratio (each sent to the engine)")),
        ratio_(reg.gauge("peregrine_sensor_drop_ratio", "Kernel drop ratio over the last interval")),
        interval_s_(interval_s),
        threshold_(threshold) {}
  void on_drop_report(const ps::DropReport& r) override {
    ratio_.set(r.ratio);
    const uint64_t user_drops = events_dropped_queue() + events_dropped_send();
    const uint64_t user_delta = user_drops - last_user_drops_;
    last_user_drops_ = user_drops;
    if (!ps::drop_alert_due(r, user_delta, threshold_)) return;
    drop_alerts_.inc();
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    on_event(ps::make_drop_event(r, interval_s_, user_delta,
                                 static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count())));
    flush();
  }

 private:
  peregrine::metrics::Counter& drop_alerts_;
  peregrine::metrics::Gauge& ratio_;
  uint32_t interval_s_;
  double threshold_;
  uint64_t last_user_drops_ = 0;
};

void register_metrics(peregrine::metrics::Registry& reg, ps::Sensor& s, MeteredPublisher& pub,
                      peregrine::transport::EventSender& sender) {
  reg.counter_callback("peregrine_sensor_events_total", "Events the kernel side tried to emit (drops included)", {},
                       [&s] { return s.probe().counters().events; });
  const char* filtered_help = "Events the kernel left out on purpose (not drops): opens no loaded rule could match, "
                              "closes of fds the sensor never learnt about";
  reg.counter_callback("peregrine_sensor_filtered_total", filtered_help, {{"kind", "open"}},
                       [&s] { return s.probe().counters().filtered; });
  reg.counter_callback("peregrine_sensor_filtered_total", filtered_help, {{"kind", "close"}},
                       [&s] { return s.probe().counters().filtered_close; });
  for (int c = 0; c < PG_CAT_COUNT; ++c) {
    std::string cat(ps::drop_category_name(c));
    reg.counter_callback("peregrine_sensor_drops_total", "Events dropped, by category", {{"category", cat}},
                         [&s, c] { return s.probe().counters().ring_full[static_cast<size_t>(c)]; });
  }
  reg.counter_callback("peregrine_sensor_drops_total", "Events dropped, by category", {{"category", "oversize"}},
                       [&s] { return s.probe().counters().oversize; });
  reg.counter_callback("peregrine_sensor_drops_total", "Events dropped, by category", {{"category", "scratch"}},
                       [&s] { return s.probe().counters().scratch; });
  reg.counter_callback("peregrine_sensor_drops_total", "Events dropped, by category", {{"category", "queue"}},
                       [&pub] { return pub.events_dropped_queue(); });
  reg.counter_callback("peregrine_sensor_drops_total", "Events dropped, by category", {{"category", "send"}},
                       [&pub] { return pub.events_dropped_send(); });
  reg.counter_callback("peregrine_sensor_events_published_total", "Events sent to the engine", {},
                       [&pub] { return pub.events_sent(); });
  reg.counter_callback("peregrine_sensor_batches_sent_total", "Batches sent on the events link", {},
                       [&sender] { return sender.sent(); });
  reg.gauge_callback("peregrine_sensor_proc_table_size", "Processes in the sensor's process table", {},
                     [&s] { return static_cast<double>(s.stats().procs); });
  reg.counter_callback("peregrine_sensor_state_only_events_total",
                       "State-set events used for the tables but not selected by the engine", {},
                       [&s] { return s.stats().state_only; });
  reg.counter_callback("peregrine_sensor_malformed_records_total", "Ring records that failed to decode", {},
                       [&s] { return s.stats().builder.malformed; });
  reg.counter_callback("peregrine_sensor_proc_lookups_skipped_total",
                       "Events sent with header context only (on-demand /proc lookup rate limit reached)", {},
                       [&s] { return s.stats().builder.proc_lookups_skipped; });
  const char* lookups_help = "Container metadata lookups (cache misses and retries), by result";
  reg.counter_callback("peregrine_sensor_container_lookups_total", lookups_help, {{"result", "fetched"}},
                       [&s] { return s.stats().containers_fetched; });
  reg.counter_callback("peregrine_sensor_container_lookups_total", lookups_help, {{"result", "failed"}},
                       [&s] { return s.stats().containers_failed; });
  reg.counter_callback("peregrine_sensor_container_lookups_total", lookups_help, {{"result", "retried"}},
                       [&s] { return s.stats().containers_retried; });
  reg.counter_callback("peregrine_sensor_container_lookups_total", lookups_help, {{"result", "dropped"}},
                       [&s] { return s.stats().containers_dropped; });
  // One series per configured runtime and answer (the runtimes are fixed once the sensor runs).
  const char* requests_help = "Container metadata requests to each runtime, by answer (ok, not_found, error)";
  const auto runtimes = s.stats().container_requests;
  for (size_t i = 0; i < runtimes.size(); ++i) {
    const std::string& rt = runtimes[i].runtime;
    using RR = ps::ContainerMetadata::RuntimeRequests;
    for (const auto& answer : {std::pair{"ok", &RR::ok}, std::pair{"not_found", &RR::not_found},
                               std::pair{"error", &RR::error}}) {
      uint64_t RR::*member = answer.second;
      reg.counter_callback("peregrine_sensor_container_meta_requests_total", requests_help,
                           {{"runtime", rt}, {"result", answer.first}},
                           [&s, i, member] { return s.stats().container_requests.at(i).*member; });
    }
  }
  reg.counter_callback("peregrine_sensor_container_cache_evictions_total",
                       "Container metadata entries evicted (least recently used) to make room for a new id", {},
                       [&s] { return s.stats().containers_evicted; });
  reg.gauge_callback("peregrine_sensor_queue_depth", "Batches waiting for the publisher thread", {},
                     [&pub] { return static_cast<double>(pub.queue_depth()); });
}

std::vector<peregrine::EventType> to_types(const std::vector<std::string>& names) {
  std::vector<peregrine::EventType> out;
  for (const auto& n : names) {
    auto t = peregrine::event_type_from_name(n);
    if (!t || !ps::syscall_row(*t)) {
      if (!t || *t != peregrine::EventType::kProcexit) {
        peregrine::logger("sensor")->warn("engine selected '{}', which the sensor cannot produce; ignored", n);
        continue;
      }
    }
    out.push_back(*t);
  }
  return out;
}

int run(const std::string& config_path) {
  const auto cfg = peregrine::config::load_config(config_path).sensor;
  peregrine::setup_logging(cfg.log);
  auto log = peregrine::logger("sensor");
  peregrine::ShutdownSignal shutdown;
  peregrine::metrics::Registry registry;
  zmq::context_t ctx(1);
  // CURVE (sensor.curve) on both binds; the ZAP handler decides which engines get in and outlives both sockets.
  const auto keys = peregrine::transport::load_server_keys(cfg.curve);
  std::unique_ptr<peregrine::transport::ZapHandler> zap;
  if (keys) {
    zap = std::make_unique<peregrine::transport::ZapHandler>(
        ctx, std::map<std::string, std::vector<std::string>>{{"events", keys->allowed_client_keys},
                                                             {"control", keys->allowed_client_keys}});
    log->info("events and control links: CURVE on, sensor public key {}, {} allowed engine key(s)", keys->public_key,
              keys->allowed_client_keys.size());
  }
  peregrine::transport::SendOptions sopts;
  sopts.send_hwm = static_cast<int>(cfg.send_hwm);
  sopts.curve = keys;
  peregrine::transport::EventSender sender(ctx, cfg.events_endpoint, sopts);
  peregrine::transport::ControlListenerOptions lopts;
  lopts.curve = keys;
  peregrine::transport::ControlListener control(ctx, cfg.control_endpoint, lopts);

  MeteredPublisher publisher(ps::publisher_options(cfg), [&sender](std::span<const uint8_t> b) { return sender.try_send(b); }, registry,
                             static_cast<uint32_t>(cfg.drop_stats_interval_s), cfg.drop_alert_ratio);
  auto sensor = ps::Sensor::create(ps::sensor_options(cfg, static_cast<uint32_t>(::getpid())), publisher);
  if (!sensor) {
    std::fprintf(stderr, "peregrine-sensor: cannot start: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto& s = *sensor.value();
  register_metrics(registry, s, publisher, sender);
  peregrine::http::AdminServer admin(cfg.http, registry, [&s] { return s.healthy(); });
  std::string hooks;
  for (const auto& h : s.probe().attached()) hooks += (hooks.empty() ? "" : ",") + h;
  const auto st0 = s.stats();
  log->info("sensor running: hooks [{}], {} ring buffer(s), events on {}, control on {}, {} processes seeded ({} containers)", hooks,
            s.probe().rings(),
            sender.endpoint(), control.endpoint(), st0.seeded, st0.containers_prefetched);
  s.start();
  if (auto r = peregrine::announce_ready({{"admin_port", admin.port()},
                                          {"events_endpoint", sender.endpoint()},
                                          {"control_endpoint", control.endpoint()}});
      !r)
    throw std::runtime_error(r.error().message);
  while (!shutdown.wait_for(std::chrono::milliseconds(100))) {
    if (auto msg = control.poll()) {
      auto types = to_types(msg->event_types);
      if (auto r = s.select(types, msg->open_filter, msg->proc_env); !r)
        log->warn("cannot apply the engine's selection: {}", r.error().message);
      else
        log->info("engine selection generation {}: {} event types; open filter: {}; proc.env: {}", msg->generation,
                  msg->event_types.empty() ? std::string("all") : std::to_string(types.size()),
                  peregrine::describe(msg->open_filter), msg->proc_env ? "sent" : "not sent");
    }
  }
  log->info("shutting down");
  s.stop();
  publisher.stop();
  auto st = s.stats();
  log->info("kernel events {}, kernel drops {}, published {}, queue drops {}, send drops {}", st.kernel.events,
            st.kernel.drops(), publisher.events_sent(), publisher.events_dropped_queue(),
            publisher.events_dropped_send());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return peregrine::run_main(argc, argv, "sensor", run); }
