#include "engine/runtime/reload.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "engine/rules/rules_paths.h"

namespace peregrine::engine {
namespace {

std::atomic<bool> g_hangup{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGHUP handler may only touch lock-free atomics");

void on_hangup(int) { g_hangup.store(true); }

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

void configure_rules(RuleEngine& rules, const config::EngineConfig& ec, spdlog::logger& log) {
  auto prio = parse_priority(ec.min_priority);
  if (!prio) throw std::runtime_error("engine.min_priority: " + prio.error().message);
  rules.set_min_priority(*prio);
  rules.set_rule_matching(ec.rule_matching);
  rules.set_hostname(ec.hostname.empty() ? local_hostname() : ec.hostname);
  rules.set_output_options(ec.output_options);
  if (auto r = rules.set_append_output(ec.append_output); !r) throw std::runtime_error(r.error().message);
  // Directories are expanded here first so that an entry that cannot be read is named with its config position.
  auto files = expand_rules_paths(ec.rules_files, ec.rules_files_at.where);
  if (!files) throw std::runtime_error(files.error().message);
  auto lr = rules.load_files(*files);
  if (!lr.successful()) throw std::runtime_error("rules failed to load:\n" + lr.to_text());
  for (const auto& w : lr.warnings)
    log.warn("rules: {}:{}: {} ({})", w.item_pos.file, w.item_pos.line, w.message, w.item_name);
  for (const auto& n : ec.rules_disable.names) rules.enable_rules(n, false);
  for (const auto& t : ec.rules_disable.tags) rules.enable_rules_by_tag(t, false);
  for (const auto& n : ec.rules_enable.names) rules.enable_rules(n, true);
  for (const auto& t : ec.rules_enable.tags) rules.enable_rules_by_tag(t, true);
  log.info("loaded {} rules from {} file(s)", rules.rules().size(), files->size());
}

ReloadOutcome build_rules(const config::EngineConfig& ec, spdlog::logger& log, size_t copies) {
  ReloadOutcome out;
  try {
    auto rules = std::make_unique<RuleEngine>();
    configure_rules(*rules, ec, log);
    spdlog::logger quiet("engine.replica");  // no sinks: the first copy has already reported warnings
    for (size_t i = 1; i < copies; ++i) {
      out.replicas.push_back(std::make_unique<RuleEngine>());
      configure_rules(*out.replicas.back(), ec, quiet);
    }
    out.rules = std::move(rules);
  } catch (const std::exception& e) {
    out.replicas.clear();
    out.errors = e.what();
  }
  return out;
}

size_t eval_thread_count(const config::EngineConfig& ec) {
  if (ec.threads > 0) return static_cast<size_t>(ec.threads);
  const size_t cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores, 1, static_cast<size_t>(config::kMaxEvalThreads));
}

RulesReloader::~RulesReloader() {
  if (pending_.valid()) pending_.wait();
}

bool RulesReloader::start() {
  if (pending_.valid()) return false;
  pending_ = std::async(std::launch::async, build_);
  return true;
}

std::optional<ReloadOutcome> RulesReloader::poll() {
  if (!pending_.valid() || pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return std::nullopt;
  return pending_.get();
}

HangupSignal::HangupSignal() {
  struct sigaction sa {};
  sa.sa_handler = on_hangup;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
}

bool HangupSignal::take() { return g_hangup.exchange(false); }

}  // namespace peregrine::engine
