// Guardrails checked before any action runs (responder/dispatcher.cpp applies them in this order): the global
// kill switch, the namespace/container/process allow- and deny-lists, then (for real actions only, not dry runs)
// the action's rate limit. Each says why it stops an action; that reason becomes the outcome alert's.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "common/alert.h"
#include "responder/responder_config.h"
#include "responder/rules.h"

namespace peregrine::responder {

/// Why the lists refuse `alert`'s target ("namespace kube-system is denied"), or nullopt when they allow it.
std::optional<std::string> list_refusal(const Guardrails& g, const Alert& alert);

/// A token bucket: `max` actions per `per`, refilled continuously; a bucket with max 0 never refuses.
class TokenBucket {
 public:
  explicit TokenBucket(RateLimit limit);
  /// Takes one token at `now` if there is one.
  bool take(std::chrono::steady_clock::time_point now);

 private:
  RateLimit limit_;
  double tokens_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::mutex mu_;
};

/// The kill switch: the config's `enabled: false`, the admin endpoint's flag, or the presence of a file.
class KillSwitch {
 public:
  KillSwitch(bool enabled, std::string file) : on_(!enabled), file_(std::move(file)) {}
  void set(bool on) { on_.store(on); }
  /// Why actions are off ("kill switch set in config or by POST /kill-switch/on", "kill switch file X
  /// exists"), or nullopt.
  std::optional<std::string> engaged() const;

 private:
  std::atomic<bool> on_;
  std::string file_;
};

}  // namespace peregrine::responder
