#include "responder/guardrails.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

namespace peregrine::responder {
namespace {

bool any_glob(const std::vector<std::string>& globs, const std::string& value) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), value.c_str(), 0) == 0; });
}

// The list refuses when a present value is denied, or when an allow list exists and no present value is on it.
std::optional<std::string> check(const ListGuard& g, const std::string& what, const Alert& alert,
                                 std::initializer_list<const char*> fields) {
  std::vector<std::string> values;
  for (const char* f : fields)
    if (auto v = field_or_empty(alert, f); !v.empty()) values.push_back(v);
  for (const auto& v : values)
    if (any_glob(g.deny, v)) return what + " " + v + " is denied";
  if (g.allow.empty()) return std::nullopt;
  for (const auto& v : values)
    if (any_glob(g.allow, v)) return std::nullopt;
  return what + (values.empty() ? " is unknown" : " " + values.front()) + " is not on the allow list";
}

}  // namespace

std::optional<std::string> list_refusal(const Guardrails& g, const Alert& alert) {
  if (auto r = check(g.namespaces, "namespace", alert, {"k8s.ns.name"})) return r;
  if (auto r = check(g.containers, "container", alert, {"container.id", "container.name"})) return r;
  if (auto r = check(g.processes, "process", alert, {"proc.name", "proc.exepath"})) return r;
  return std::nullopt;
}

TokenBucket::TokenBucket(RateLimit limit) : limit_(limit), tokens_(limit.max) {}

bool TokenBucket::take(std::chrono::steady_clock::time_point now) {
  if (limit_.max == 0) return true;
  std::lock_guard lock(mu_);
  if (last_) {
    const double elapsed = std::chrono::duration<double, std::milli>(now - *last_).count();
    tokens_ = std::min<double>(limit_.max, tokens_ + elapsed * limit_.max / static_cast<double>(limit_.per.count()));
  }
  last_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::optional<std::string> KillSwitch::engaged() const {
  if (on_.load()) return std::string("kill switch on (responder.enabled: false or POST /kill-switch/on)");
  struct stat st {};
  if (!file_.empty() && ::stat(file_.c_str(), &st) == 0) return "kill switch file " + file_ + " exists";
  return std::nullopt;
}

}  // namespace peregrine::responder
