// peregrine-router: flags and config, then the router library does the work.
#include <chrono>

#include "common/app.h"
#include "common/config/config.h"
#include "common/log.h"
#include "common/signals.h"
#include "router/router_app.h"

int main(int argc, char** argv) {
  int64_t drain_ms = 10'000;
  uint64_t queue_max_mib = 1024;
  return peregrine::run_main(
      argc, argv, "router",
      [&](const std::string& path) {
        peregrine::ShutdownSignal shutdown;  // before any thread starts, so a signal is never lost
        const auto cfg = peregrine::config::load_config(path);
        peregrine::setup_logging(cfg.router.log);
        peregrine::router::RouterAppOptions opts;
        opts.drain_timeout = std::chrono::milliseconds(drain_ms);
        opts.queue_max_bytes = queue_max_mib << 20;
        auto app = peregrine::router::RouterApp::create(cfg.router, std::move(opts));
        if (!app) throw std::runtime_error(app.error().message);
        (*app)->start();
        while (!shutdown.wait_for(std::chrono::hours(1))) {
        }
        peregrine::logger("router")->info("signal {}: draining", peregrine::ShutdownSignal::last_signal());
        (*app)->stop();
        return 0;
      },
      [&](CLI::App& cli) {
        cli.add_option("--drain-timeout-ms", drain_ms, "on SIGTERM, time allowed to deliver queued alerts")
            ->capture_default_str();
        cli.add_option("--queue-max-mib", queue_max_mib, "disk budget of the durable queue in MiB")
            ->capture_default_str();
      });
}
