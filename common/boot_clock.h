// Wall time of boot, to turn boot-clock stamps (BPF ktime, /proc/<pid>/stat starttime) into epoch time. The
// sensor stamps events and process starts with it; the responder compares a live process's start with an
// alert's proc.start_ts through it.
#pragma once

#include <cstdint>

namespace peregrine {

/// Epoch ns of boot (CLOCK_REALTIME - CLOCK_BOOTTIME).
uint64_t boot_epoch_ns();

}  // namespace peregrine
