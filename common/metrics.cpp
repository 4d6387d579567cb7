#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace peregrine::metrics {
namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };
constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void append_escaped(std::string& out, const std::string& s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

Labels sorted_labels(const Labels& labels) {
  Labels l = labels;
  std::sort(l.begin(), l.end());
  for (size_t i = 0; i < l.size(); ++i) {
    if (!valid_label_name(l[i].first)) throw std::invalid_argument("invalid metric label name '" + l[i].first + "'");
    if (i > 0 && l[i].first == l[i - 1].first) throw std::invalid_argument("duplicate label '" + l[i].first + "'");
  }
  return l;
}

// Renders `{a="x",b="y"}` with an optional extra label (le for histogram buckets).
void append_labels(std::string& out, const Labels& labels, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out += '"';
  }
  if (extra_name != nullptr) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

}  // namespace

bool valid_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (bounds_.empty() || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram buckets must be non-empty and strictly increasing");
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b <= bounds_.size(); ++b) total += buckets_[b].load(std::memory_order_relaxed);
  return total;
}

// One metric family: all series sharing a name. A series is either owned (atomic) or a scrape callback.
struct Registry::Family {
  using Value = std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
                             std::function<double()>, std::function<uint64_t()>>;
  std::string help;
  int type = kCounter;
  std::map<Labels, Value> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(const std::string& name, const std::string& help, int type) {
  if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
  bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
  if (type == kCounter && !total) throw std::invalid_argument("counter '" + name + "' must end in _total");
  if (type != kCounter && total) throw std::invalid_argument("only counters may end in _total: '" + name + "'");
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<Family>();
    slot->help = help;
    slot->type = type;
  } else if (slot->type != type) {
    throw std::invalid_argument("metric '" + name + "' already registered as a " + kTypeNames[slot->type]);
  }
  return *slot;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = family(name, help, kCounter);
  auto& v = fam.series[sorted_labels(labels)];
  if (auto* c = std::get_if<std::unique_ptr<Counter>>(&v); c && *c) return **c;
  if (v.index() != 0 || std::get<0>(v)) throw std::invalid_argument("metric '" + name + "' series is a callback");
  v = std::make_unique<Counter>();
  return *std::get<0>(v);
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = family(name, help, kGauge);
  auto [it, inserted] = fam.series.try_emplace(sorted_labels(labels), std::unique_ptr<Gauge>());
  if (auto* g = std::get_if<std::unique_ptr<Gauge>>(&it->second)) {
    if (!*g) *g = std::make_unique<Gauge>();
    return **g;
  }
  throw std::invalid_argument("metric '" + name + "' series is a callback");
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds,
                               const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& fam = family(name, help, kHistogram);
  auto [it, inserted] = fam.series.try_emplace(sorted_labels(labels), std::unique_ptr<Histogram>());
  auto& h = std::get<std::unique_ptr<Histogram>>(it->second);
  if (!h) h = std::make_unique<Histogram>(std::move(upper_bounds));
  return *h;
}

void Registry::gauge_callback(const std::string& name, const std::string& help, const Labels& labels,
                              std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& fam = family(name, help, kGauge);
  fam.series[sorted_labels(labels)] = std::move(fn);
}

void Registry::counter_callback(const std::string& name, const std::string& help, const Labels& labels,
                                std::function<uint64_t()> fn) {
  std::lock_guard lock(mu_);
  auto& fam = family(name, help, kCounter);
  fam.series[sorted_labels(labels)] = std::move(fn);
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(families_.size() * 128);
  for (const auto& [name, fam] : families_) {
    if (fam->series.empty()) continue;
    out += "# HELP " + name + ' ';
    append_escaped(out, fam->help, false);
    out += "\n# TYPE " + name + ' ' + kTypeNames[fam->type] + '\n';
    for (const auto& [labels, value] : fam->series) {
      if (const auto* h = std::get_if<std::unique_ptr<Histogram>>(&value)) {
        const Histogram& hist = **h;
        for (size_t i = 0; i <= hist.bounds().size(); ++i) {
          std::string le;
          if (i < hist.bounds().size()) {
            append_double(le, hist.bounds()[i]);
          } else {
            le = "+Inf";
          }
          out += name + "_bucket";
          append_labels(out, labels, "le", le);
          out += ' ' + std::to_string(hist.cumulative(i)) + '\n';
        }
        out += name + "_sum";
        append_labels(out, labels);
        out += ' ';
        append_double(out, hist.sum());
        out += '\n' + name + "_count";
        append_labels(out, labels);
        out += ' ' + std::to_string(hist.count()) + '\n';
        continue;
      }
      out += name;
      append_labels(out, labels);
      out += ' ';
      if (const auto* c = std::get_if<std::unique_ptr<Counter>>(&value)) {
        out += std::to_string((*c)->value());
      } else if (const auto* g = std::get_if<std::unique_ptr<Gauge>>(&value)) {
        append_double(out, (*g)->value());
      } else if (const auto* fd = std::get_if<std::function<double()>>(&value)) {
        append_double(out, (*fd)());
      } else if (const auto* fu = std::get_if<std::function<uint64_t()>>(&value)) {
        out += std::to_string((*fu)());
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace peregrine::metrics
