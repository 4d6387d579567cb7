#include "sensor/drop_event.h"

#include <numeric>

namespace peregrine::sensor {

Event make_drop_event(const DropReport& r, uint32_t interval_s, uint64_t queue_drops, uint64_t now_ns) {
  Event e;
  e.type = EventType::kSensorDrops;
  e.ts_ns = now_ns;
  e.params.resize(event_spec(e.type).nparams);
  auto set = [&](const char* name, uint64_t v) {
    int i = param_index(e.type, name);
    if (i < 0) return;
    e.params[static_cast<size_t>(i)].present = true;
    e.params[static_cast<size_t>(i)].num = v;
  };
  const uint64_t ring_full = std::accumulate(r.delta.ring_full.begin(), r.delta.ring_full.end(), uint64_t{0});
  set("n_evts", r.events);
  set("n_drops", r.drops + queue_drops);
  set("n_drops_buffer", ring_full);
  set("n_drops_max_event_size", r.delta.oversize);
  set("n_drops_scratch_map", r.delta.scratch);
  set("n_drops_queue", queue_drops);
  set("interval_s", interval_s);
  return e;
}

bool drop_alert_due(const DropReport& r, uint64_t user_drops, double threshold) {
  const uint64_t drops = r.drops + user_drops;
  if (drops == 0) return false;
  if (r.events == 0) return true;  // lost events with none counted as seen: always worth saying
  return static_cast<double>(drops) / static_cast<double>(r.events) > threshold;
}

}  // namespace peregrine::sensor
