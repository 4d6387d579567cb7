// The drop report as an event for the engine (EventType::kSensorDrops), which raises it as Falco's
// "Falco internal: syscall event drop" alert. Sent once per drop_stats_interval_s while the kernel drop ratio
// (kernel and user-space drops together) is above drop_alert_ratio, so drops reach the alert outputs, not only
// the logs and metrics.
#pragma once

#include <cstdint>

#include "common/event.h"
#include "sensor/sensor.h"

namespace peregrine::sensor {

/// `queue_drops`: events user space dropped over the same interval (bounded queue full or send refused).
Event make_drop_event(const DropReport& r, uint32_t interval_s, uint64_t queue_drops, uint64_t now_ns);

/// Whether the interval raises the alert: the kernel's drops plus `user_drops` (events user space lost over the
/// same interval) against the events the kernel saw, above `threshold`. A queue that overflows while the ring
/// keeps up loses events just the same, so it must not stay silent.
bool drop_alert_due(const DropReport& r, uint64_t user_drops, double threshold);

}  // namespace peregrine::sensor
