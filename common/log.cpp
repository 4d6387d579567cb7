#include "common/log.h"

#include <ctime>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/secrets.h"
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace peregrine {
namespace {

// JSON lines: the message is escaped by nlohmann_json, never assembled by hand.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto t = msg.time.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::time_t tt = secs.count();
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char ts[40];
    size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string time(ts, n);
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(millis));
    time += frac;
    nlohmann::json j = {{"time", time},
                        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                              spdlog::level::to_string_view(msg.level).size())},
                        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                        {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// Every line passes through secrets::redact(): a secret that reaches a log message (an echoed header, a URL
// with a token in an error text) is printed as "***".
class RedactingFormatter : public spdlog::formatter {
 public:
  explicit RedactingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (!secrets::any()) return inner_->format(msg, dest);
    spdlog::memory_buf_t line;
    inner_->format(msg, line);
    const std::string clean = secrets::redact(std::string_view(line.data(), line.size()));
    dest.append(clean.data(), clean.data() + clean.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

std::unique_ptr<spdlog::formatter> make_formatter(config::LogFormat f) {
  if (f == config::LogFormat::kJson) return std::make_unique<RedactingFormatter>(std::make_unique<JsonFormatter>());
  return std::make_unique<RedactingFormatter>(std::make_unique<spdlog::pattern_formatter>(
      "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v", spdlog::pattern_time_type::utc));
}

struct State {
  State() { sink->set_formatter(make_formatter(format)); }
  std::mutex mu;
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  spdlog::level::level_enum level = spdlog::level::info;
  config::LogFormat format = config::LogFormat::kText;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

spdlog::level::level_enum parse_log_level(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn" || level == "warning") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "critical") return spdlog::level::critical;
  if (level == "off") return spdlog::level::off;
  return spdlog::level::info;
}

void setup_logging(const config::LogConfig& cfg) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.level = parse_log_level(cfg.level);
  s.format = cfg.format;
  s.sink->set_formatter(make_formatter(s.format));
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(s.level); });
  spdlog::set_level(s.level);
}

std::shared_ptr<spdlog::logger> logger(std::string_view name) {
  State& s = state();
  std::lock_guard lock(s.mu);
  std::string n(name);
  if (auto existing = spdlog::get(n)) return existing;
  auto l = std::make_shared<spdlog::logger>(n, s.sink);
  l->set_level(s.level);
  spdlog::register_logger(l);
  return l;
}

}  // namespace peregrine
