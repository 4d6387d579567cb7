// The real router and responder binaries wired together for integration tests and the bench: the router's file
// output and its `responder` output, the responder's outcomes back to the router's HTTP intake.
//
// Both listen on port 0, and each must know the other's port: the router is started once to learn its intake
// port, stopped, the responder started (outcomes to that port), then the router started again on the same
// intake port with the responder's port in its `responder` output. The port was the router's own a moment
// before; should anything else take it meanwhile, the second start fails with a clear error (never a hang).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/stack.h"

namespace peregrine::testing {

class ResponseRig {
 public:
  /// `rules` is the response rules file's text; `responder_extra` YAML lines under `responder:` (indented by 2).
  /// With `engine_rules` (a Falco rules file), the engine and the sensor are started too, after the router, on
  /// the same config file (the caller checks sensor_unavailable() first).
  /// `docker_socket` is the sensor's (container metadata); "" = none.
  ResponseRig(const TempDir& dir, const std::string& rules, const std::string& responder_extra,
              const std::string& engine_rules = "", const std::string& docker_socket = "");
  ~ResponseRig();
  /// POSTs one alert to the router's HTTP intake; returns the HTTP status.
  int post_to_router(const nlohmann::json& alert);
  /// POSTs one alert straight to the responder's intake (a re-delivery); returns the status and body.
  HttpReply post_to_responder(const nlohmann::json& alert);
  /// The router's file output.
  std::vector<nlohmann::json> alerts() const { return alerts_in(dir_ / "alerts.jsonl"); }
  /// Outcome alerts (source "response") in the file output about the alert `uuid`.
  std::vector<nlohmann::json> outcomes_for(const std::string& uuid) const;
  Process& router() { return *router_; }
  Process& responder() { return *responder_; }
  /// Only with `engine_rules`.
  Process& engine() { return *engine_; }
  /// SIGKILLs the responder and starts it again on the same config (and journal).
  void restart_responder();

 private:
  void start_responder();
  const TempDir& dir_;
  std::string responder_cfg_;
  int generation_ = 0;
  std::unique_ptr<Process> router_, responder_, engine_, sensor_;
};

/// A Falco alert (time = now) naming process `pid` as the engine does (proc.pid, proc.name, proc.exepath,
/// proc.start_ts read from /proc), rule `rule`, a fresh uuid.
nlohmann::json alert_naming(pid_t pid, const std::string& rule);

}  // namespace peregrine::testing
