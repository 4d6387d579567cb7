// The real router binary alone, for output integration tests: a config with every port 0 and the queue in a
// temp dir, Falco alerts POSTed to its HTTP intake, its metrics and dead letters read back.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/stack.h"

namespace peregrine::testing {

/// A Falco alert as http_output sends it, with a uuid so that resends are idempotent. `time` is RFC 3339.
nlohmann::json falco_alert(const std::string& uuid, const std::string& rule = "Test rule",
                           const std::string& time = "2026-01-15T10:00:00.000000001Z",
                           const std::string& priority = "Warning");

/// A fresh v4-looking uuid unique in this process ("<prefix>-...").
std::string test_uuid(const std::string& prefix, int i);

class RouterRig {
 public:
  /// Writes <dir>/router.yaml with `outputs` (YAML list entries, indented by 4) and starts the router.
  /// `queue` names the queue dir under `dir` (a second router with another name has its own queue).
  RouterRig(const TempDir& dir, const std::string& outputs, const std::string& queue = "queue",
            const std::string& extra_router_keys = "", std::map<std::string, std::string> env = {});
  /// POSTs the alerts as one JSON array; returns the HTTP status.
  int post(const std::vector<nlohmann::json>& alerts);
  std::string metrics();
  /// A per-output counter, e.g. counter("peregrine_router_output_delivered_total", "os").
  double counter(const std::string& name, const std::string& output);
  std::vector<nlohmann::json> dead_letters() const;
  Process& process() { return *proc_; }
  /// Starts it again on the same config and queue (after a kill).
  void restart();
  std::string log() const { return proc_->stderr_text(); }
  const std::filesystem::path& queue_dir() const { return queue_; }

 private:
  const TempDir& dir_;
  std::string cfg_, name_;
  std::filesystem::path queue_;
  std::map<std::string, std::string> env_;
  int generation_ = 0;
  std::unique_ptr<Process> proc_;
};

}  // namespace peregrine::testing
