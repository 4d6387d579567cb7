// Prometheus metrics: a registry of counters, gauges and histograms rendered in the text exposition
// format 0.0.4.
//
// Hot paths only touch atomics (Counter::inc, Gauge::set); registration and render() take a mutex.
// Registration happens at start-up and throws std::invalid_argument on a bad name, a counter not ending in
// `_total`, or a name reused with another type. Names should start with `peregrine_`.
// References returned by the registry stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace peregrine::metrics {

/// Label pairs; order does not matter (they are rendered sorted by name).
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  /// Adds n (counters never go down).
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) {
    double cur = v_.load(std::memory_order_relaxed);
    while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  void sub(double d) { add(-d); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0.0};
};

/// Fixed buckets chosen at registration; observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative count for bucket i (i == bounds().size() is +Inf).
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // non-cumulative, size bounds_+1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Returns the counter for (name, labels), creating it on first use. `name` must end in `_total`.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds,
                       const Labels& labels = {});
  /// A gauge whose value is computed at scrape time (queue depth, table size). The callback runs on the
  /// scraping thread, under the registry mutex: keep it short and never call back into the registry.
  void gauge_callback(const std::string& name, const std::string& help, const Labels& labels,
                      std::function<double()> fn);
  /// A counter read at scrape time (e.g. a kernel per-CPU drop counter, a transport's atomic).
  void counter_callback(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<uint64_t()> fn);

  /// Prometheus text exposition format 0.0.4, families sorted by name.
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, int type);
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

/// Content-Type for render()'s output.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(const std::string& name);
/// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
bool valid_label_name(const std::string& name);

}  // namespace peregrine::metrics
