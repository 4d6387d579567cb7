// Storm control for one output (`throttle:` in its config): per key — the values of the configured variables,
// e.g. rule + hostname + container.id — the first `max` alerts of each window go out; later ones are set aside as
// "throttled" (counted, never counted delivered; other outputs still get them); when the window ends, one
// summary alert says how many more there were, with the first and last time.
//
// Windows run on the wall clock and start at a key's first alert. The state is saved with every cursor commit
// (and after each summary), so a router restart neither re-sends a storm nor forgets a pending summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/alert.h"
#include "common/result.h"
#include "outputs/output.h"

namespace peregrine::router {

class Throttle {
 public:
  Throttle(outputs::ThrottleConfig cfg, std::string output);

  /// Whether `a` goes out at wall time `now_ns` (false: suppressed and counted in its window).
  bool admit(const Alert& a, uint64_t now_ns);
  /// Summary alerts of the windows that ended by `now_ns` (or were pushed out by max_keys), removed from the
  /// state. Windows without suppressed alerts just end.
  std::vector<Alert> due(uint64_t now_ns);
  /// When the next window with suppressed alerts ends (nullopt: none).
  std::optional<uint64_t> next_due() const;
  size_t keys() const { return windows_.size(); }

  /// The state as JSON, and back (load time; a file that does not parse is an error naming it).
  std::string save() const;
  Result<void> load(const std::string& json);
  Result<void> save_to(const std::filesystem::path& file) const;
  Result<void> load_from(const std::filesystem::path& file);

  /// The summary alert of a window (exposed for golden tests).
  struct Window {
    std::string key;       // the variables' values, "\x1f"-joined
    uint64_t start_ns = 0;
    uint32_t sent = 0;
    uint64_t suppressed = 0;
    uint64_t first_ns = 0, last_ns = 0;  // times of the first and last suppressed alert (the alerts' own times)
    std::optional<Alert> sample;          // the first suppressed alert
  };
  Alert summary(const Window& w) const;

 private:
  std::string key_of(const Alert& a) const;
  void end_window(std::list<Window>::iterator it);

  outputs::ThrottleConfig cfg_;
  std::string output_;
  std::list<Window> order_;  // by start, oldest first
  std::unordered_map<std::string, std::list<Window>::iterator> windows_;
  std::vector<Window> ended_;  // pushed out by max_keys or restarted after their end, summaries pending
};

}  // namespace peregrine::router
