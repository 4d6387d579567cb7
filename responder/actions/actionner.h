// The extension point of the responder: an Actionner performs one kind of action (process:kill, script,
// http:call, container:stop, kubernetes:label, ...) on the target an alert names. Guardrails (kill switch,
// allow/deny lists, rate limits), idempotence and outcome reporting are shared machinery around it
// (responder/dispatcher.h); an actionner only checks its own target and acts.
//
// Parameters are parsed once at load (a typed struct per actionner, unknown keys are errors); run() never
// throws and reports every result as an ActionResult.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/config/node_reader.h"

namespace peregrine::responder {

enum class Outcome { kDone, kSkipped, kFailed, kDryRun };

std::string_view outcome_name(Outcome o);  // "done", "skipped", "failed", "dry_run"

struct ActionResult {
  Outcome outcome = Outcome::kDone;
  std::string reason;  // skipped/failed: why (short word then detail); done/dry_run: what was (or would be) done
  /// Facts about the target, copied into the outcome alert's output_fields (e.g. proc.pid, container.id).
  std::vector<std::pair<std::string, std::string>> fields;
};

inline ActionResult skipped(std::string why) { return {Outcome::kSkipped, std::move(why), {}}; }
inline ActionResult failed(std::string why) { return {Outcome::kFailed, std::move(why), {}}; }

class Actionner {
 public:
  virtual ~Actionner() = default;
  /// "process:kill", "script", ...
  virtual std::string_view kind() const = 0;
  /// Acts on the alert's target. With dry_run, checks everything that can be checked without a side effect and
  /// returns kDryRun with exactly what it would do. Must not throw; returns within its own timeouts.
  virtual ActionResult run(const Alert& alert, bool dry_run) = 0;
};

/// Every kind make_actionner() knows, for messages.
const std::vector<std::string>& actionner_kinds();

/// Builds the actionner `kind` from its `parameters` map (strict). Throws config::ConfigError with file:line on
/// an unknown kind or a bad parameter.
std::unique_ptr<Actionner> make_actionner(const std::string& kind, config::NodeReader& parameters);

/// The text of output field `field` ("" when absent or null).
std::string field_or_empty(const Alert& alert, const std::string& field);

}  // namespace peregrine::responder
