#include "common/secrets.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace peregrine::secrets {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<std::string> values;  // longest first
  std::atomic<bool> any{false};
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void add(std::string value) {
  if (value.size() < 4) return;
  auto& r = registry();
  std::lock_guard lk(r.mu);
  if (std::find(r.values.begin(), r.values.end(), value) != r.values.end()) return;
  r.values.push_back(std::move(value));
  std::stable_sort(r.values.begin(), r.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  r.any = true;
}

std::string redact(std::string_view text) {
  std::string out(text);
  auto& r = registry();
  if (!r.any.load(std::memory_order_acquire)) return out;
  std::lock_guard lk(r.mu);
  for (const auto& v : r.values) {
    for (size_t pos = out.find(v); pos != std::string::npos; pos = out.find(v, pos + 3)) out.replace(pos, v.size(), "***");
  }
  return out;
}

bool any() { return registry().any.load(std::memory_order_acquire); }

}  // namespace peregrine::secrets
