// cpus_per_buffer: one ring buffer per group of CPUs, every ring consumed.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "tests/sensor/live_fixture.h"

using namespace peregrine;
using namespace peregrine::sensor;
using namespace peregrine::sensor::testing;

TEST_CASE("cpus_per_buffer: one ring per CPU group, and events from every CPU arrive") {
  if (!can_run()) return;
  const unsigned cpus = std::thread::hardware_concurrency();
  Live live([](SensorOptions& o) {
    o.probe.cpus_per_buffer = 1;
    o.probe.ring_buffer_mib = 1;
  });
  CHECK(live.sensor->probe().rings() >= cpus);
  const std::string path = "/etc/hostname";
  // Open the file from each CPU in turn (pinned), so that every ring carries one of our events.
  std::set<uint16_t> cpus_seen;
  for (unsigned cpu = 0; cpu < cpus; ++cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    REQUIRE(::sched_setaffinity(0, sizeof(set), &set) == 0);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    ::close(fd);
    auto ev = live.sink.wait_for([&](const Event& e) {
      return e.proc.pid == self_pid() && e.fd.nameraw == path && e.cpu == cpu;
    });
    CHECK_MESSAGE(ev.has_value(), "no event from CPU " << cpu);
    if (ev) cpus_seen.insert(ev->cpu);
  }
  cpu_set_t all;
  CPU_ZERO(&all);
  for (unsigned cpu = 0; cpu < cpus; ++cpu) CPU_SET(cpu, &all);
  ::sched_setaffinity(0, sizeof(all), &all);
  CHECK(cpus_seen.size() == cpus);
}

TEST_CASE("cpus_per_buffer 0 keeps one ring for all CPUs") {
  if (!can_run()) return;
  Live live([](SensorOptions& o) { o.probe.ring_buffer_mib = 1; });
  CHECK(live.sensor->probe().rings() == 1);
}
