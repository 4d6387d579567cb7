#include "common/boot_clock.h"

#include <ctime>

namespace peregrine {

uint64_t boot_epoch_ns() {
  timespec rt{}, bt{};
  ::clock_gettime(CLOCK_REALTIME, &rt);
  ::clock_gettime(CLOCK_BOOTTIME, &bt);
  auto ns = [](const timespec& t) { return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + t.tv_nsec; };
  return ns(rt) - ns(bt);
}

}  // namespace peregrine
