#include "engine/runtime/internal_alerts.h"

#include <cstdio>

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

}  // namespace peregrine::engine
