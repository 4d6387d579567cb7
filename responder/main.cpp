// peregrine-responder: flags and config, then the responder library does the work.
#include <chrono>

#include "common/app.h"
#include "common/log.h"
#include "common/ready_file.h"
#include "common/signals.h"
#include "responder/responder_app.h"

int main(int argc, char** argv) {
  int64_t drain_ms = 5000;
  return peregrine::run_main(
      argc, argv, "responder",
      [&](const std::string& path) {
        peregrine::ShutdownSignal shutdown;  // before any thread starts, so a signal is never lost
        auto cfg = peregrine::responder::load_responder_config(path);
        peregrine::setup_logging(cfg.log);
        peregrine::responder::ResponderApp app(cfg);
        auto ready = peregrine::announce_ready({{"admin_port", app.admin_port()}, {"intake_port", app.intake_port()}});
        if (!ready) throw std::runtime_error(ready.error().message);
        while (!shutdown.wait_for(std::chrono::hours(1))) {
        }
        peregrine::logger("responder")->info("signal {}: stopping", peregrine::ShutdownSignal::last_signal());
        app.stop(std::chrono::milliseconds(drain_ms));
        return 0;
      },
      [&](CLI::App& cli) {
        cli.add_option("--drain-timeout-ms", drain_ms, "on SIGTERM, time allowed to send pending outcome alerts")
            ->check(CLI::Range(int64_t{0}, int64_t{600000}));
      });
}
