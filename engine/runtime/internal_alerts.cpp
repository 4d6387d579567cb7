#include "engine/runtime/internal_alerts.h"

#include <cstdio>
#include <sstream>

#include "engine/rules/rule_engine.h"

namespace peregrine::engine {

bool is_internal_event(const Event& evt) { return evt.type == EventType::kSensorDrops; }

bool make_internal_alert(const Event& evt, const std::string& hostname, Alert& a, bool iso8601) {
  if (evt.type != EventType::kSensorDrops) return false;
  const auto& spec = event_spec(evt.type);
  if (evt.params.size() != spec.nparams) return false;
  auto num = [&](const char* name) -> uint64_t {
    int i = param_index(evt.type, name);
    return i >= 0 && evt.params[static_cast<size_t>(i)].present ? evt.params[static_cast<size_t>(i)].num : 0;
  };
  const uint64_t n_evts = num("n_evts"), n_drops = num("n_drops"), interval = num("interval_s");
  const double pct = n_evts == 0 ? 0.0 : 100.0 * static_cast<double>(n_drops) / static_cast<double>(n_evts);
  a = Alert{};
  a.uuid = make_uuid();
  a.time_ns = evt.ts_ns;
  a.rule = kDropAlertRule;
  a.priority = Priority::kDebug;  // as Falco's syscall_event_drops alert action
  a.source = "syscall";
  a.tags = {"peregrine_internal"};
  a.hostname = hostname;
  append_time_prefix(evt.ts_ns, a.output, iso8601);
  char buf[160];
  std::snprintf(buf, sizeof(buf), ": Debug Falco internal: syscall event drop. %llu system calls dropped in last %llu s.",
                static_cast<unsigned long long>(n_drops), static_cast<unsigned long long>(interval));
  a.output += buf;
  a.output_fields["n_evts"] = n_evts;
  a.output_fields["n_drops"] = n_drops;
  a.output_fields["n_drops_buffer_total"] = num("n_drops_buffer");
  a.output_fields["n_drops_max_event_size"] = num("n_drops_max_event_size");
  a.output_fields["n_drops_scratch_map"] = num("n_drops_scratch_map");
  a.output_fields["n_drops_queue"] = num("n_drops_queue");
  std::snprintf(buf, sizeof(buf), "%.6f", pct);
  a.output_fields["n_drops_perc"] = std::string(buf);
  a.output_fields["evt.time"] = evt.ts_ns;
  a.output_fields["ebpf_enabled"] = true;
  return true;
}

Alert make_reload_failed_alert(uint64_t time_ns, const std::string& hostname, const std::string& errors,
                               bool iso8601) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = time_ns;
  a.rule = kReloadFailedRule;
  a.priority = Priority::kError;
  a.source = "internal";
  a.tags = {"peregrine_internal"};
  a.hostname = hostname;
  // The summary: --validate's report lists every file ("x.yaml: Ok" / "y.yaml: Invalid") and the error's code
  // and message further down ("LOAD_ERR_...: ..."); other failures (a file that cannot be read) are one line.
  std::string summary;
  std::istringstream in(errors);
  for (std::string line; std::getline(in, line);) {
    const size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line.back() == ':') continue;
    const bool invalid = line.ends_with(": Invalid");
    if (summary.empty() || invalid) summary = line.substr(b);
    if (invalid) break;
  }
  if (const size_t e = errors.find("LOAD_ERR_"); e != std::string::npos) {
    const size_t nl = errors.find('\n', e);
    summary += " " + errors.substr(e, nl == std::string::npos ? std::string::npos : nl - e);
  }
  append_time_prefix(time_ns, a.output, iso8601);
  a.output += ": Error Falco internal: rules reload failed, the previous rules stay in force. " + summary;
  a.output_fields["errors"] = errors;
  a.output_fields["evt.time"] = time_ns;
  return a;
}

}  // namespace peregrine::engine
