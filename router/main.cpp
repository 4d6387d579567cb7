// peregrine-router: flags and config, then the router library does the work.
//
// Precedence: a flag given on the command line wins over its config key, which wins over the built-in
// default (--drain-timeout-ms over router.drain_timeout_ms, --queue-max-mib over router.queue.max_bytes).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/app.h"
#include "common/config/config.h"
#include "common/log.h"
#include "common/ready_file.h"
#include "common/signals.h"
#include "router/router_app.h"
#include "router/sidekick/sidekick_config.h"

extern char** environ;

int main(int argc, char** argv) {
  std::optional<int64_t> drain_ms;
  std::optional<uint64_t> queue_max_mib;
  std::string sidekick;
  return peregrine::run_main(
      argc, argv, "router",
      [&](const std::string& path) {
        peregrine::ShutdownSignal shutdown;  // before any thread starts, so a signal is never lost
        auto cfg = peregrine::config::load_config(path);
        peregrine::setup_logging(cfg.router.log);
        if (!sidekick.empty()) {
          // Falcosidekick's configuration (file and environment twins) becomes outputs; what it cannot honour is
          // said once per key, before anything starts.
          auto t = peregrine::router::translate_sidekick(sidekick == "-" ? "" : sidekick,
                                                        [](const char* n) { return std::getenv(n); }, environ);
          for (const auto& line : t.not_honoured) std::fprintf(stderr, "peregrine-router: sidekick config: %s\n", line.c_str());
          peregrine::logger("router")->info("sidekick config: {} output(s) built, {} key(s) not honoured",
                                            t.outputs.size(), t.not_honoured.size());
          peregrine::router::apply_sidekick(cfg.router, std::move(t));
        }
        peregrine::router::RouterAppOptions opts;
        if (drain_ms) opts.drain_timeout = std::chrono::milliseconds(*drain_ms);
        if (queue_max_mib) opts.queue_max_bytes = *queue_max_mib << 20;
        auto app = peregrine::router::RouterApp::create(cfg.router, std::move(opts));
        if (!app) throw std::runtime_error(app.error().message);
        if (auto started = (*app)->start(); !started) throw std::runtime_error(started.error().message);
        auto ready = peregrine::announce_ready({{"admin_port", (*app)->admin_port()},
                                                {"intake_port", (*app)->http_intake_port()},
                                                {"alerts_endpoint", (*app)->alerts_endpoint()}});
        if (!ready) throw std::runtime_error(ready.error().message);
        while (!shutdown.wait_for(std::chrono::hours(1))) {
        }
        peregrine::logger("router")->info("signal {}: draining", peregrine::ShutdownSignal::last_signal());
        (*app)->stop();
        return 0;
      },
      [&](CLI::App& cli) {
        cli.add_option("--drain-timeout-ms", drain_ms,
                       "on SIGTERM, time allowed to deliver queued alerts; overrides router.drain_timeout_ms")
            ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
        cli.add_option("--sidekick-config", sidekick,
                       "a Falcosidekick config.yaml (or '-' for its environment variables only): its outputs are "
                       "added, one line per key that cannot be honoured");
        cli.add_option("--queue-max-mib", queue_max_mib,
                       "disk budget of the durable queue in MiB; overrides router.queue.max_bytes")
            ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
      });
}
