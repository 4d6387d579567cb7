// The in-kernel open filter against its reference semantics (common/open_filter.h): real opens, real BPF maps.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/sensor/live_fixture.h"

using namespace peregrine;
using namespace peregrine::sensor;
using namespace peregrine::sensor::testing;

namespace {

struct Probe {
  std::string path;  // as passed to the syscall
  int flags;
  EventType via;
};

int do_open(const Probe& p) {
  switch (p.via) {
    case EventType::kOpen: return static_cast<int>(::syscall(SYS_open, p.path.c_str(), p.flags, 0600));
    case EventType::kCreat: return static_cast<int>(::syscall(SYS_creat, p.path.c_str(), 0600));
    case EventType::kOpenat2: {
      open_how how{};
      how.flags = static_cast<uint64_t>(p.flags);
      how.mode = (p.flags & O_CREAT) ? 0600 : 0;
      return static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, p.path.c_str(), &how, sizeof(how)));
    }
    default: return static_cast<int>(::syscall(SYS_openat, AT_FDCWD, p.path.c_str(), p.flags, 0600));
  }
}

}  // namespace

TEST_CASE("open filter: the kernel reports exactly the opens the reference semantics accept") {
  if (!can_run()) return;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("pg-of-" + std::to_string(::getpid()));
  fs::create_directories(dir / "watched" / "sub");
  fs::create_directories(dir / "other");
  const std::string d = dir.string();
  for (const char* f : {"/watched/secret", "/watched/marker", "/watched/sub/x", "/other/plain", "/other/secret2", "/watched/secretx"})
    std::ofstream(d + f) << "x";
  ::chdir(d.c_str());

  OpenFilter filter{false, {OpenFilterTerm::paths(false, {d + "/watched/sub/"}, {d + "/watched/secret", d + "/watched/marker"}),
                            OpenFilterTerm::paths(true, {d + "/other/"}, {})}};
  normalize_open_filter(filter);
  Live live;
  const EventType types[] = {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2, EventType::kCreat};
  REQUIRE(live.sensor->select(types, filter).ok());
  const auto filtered0 = live.sensor->probe().counters().filtered;

  std::vector<Probe> probes;
  for (EventType via : {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2}) {
    probes.push_back({d + "/watched/secret", O_RDONLY, via});          // exact: reported
    probes.push_back({d + "/watched/secretx", O_RDONLY, via});         // exact is not a prefix: dropped
    probes.push_back({d + "/watched/sub/x", O_RDONLY, via});           // prefix: reported
    probes.push_back({d + "/other/plain", O_RDONLY, via});             // write-only term, read: dropped
    probes.push_back({d + "/other/plain", O_WRONLY, via});             // write-only term, write: reported
    probes.push_back({d + "/other/../watched/secretx", O_RDONLY, via});  // ".." cannot be judged: reported
    probes.push_back({d + "//watched/secretx", O_RDONLY, via});          // "//": reported
    probes.push_back({"watched/secretx", O_RDONLY, via});                // relative: reported
    probes.push_back({d + "/missing", O_RDONLY, via});                   // failed open, no match: dropped
  }
  probes.push_back({d + "/other/new", 0, EventType::kCreat});            // creat is a write: reported
  probes.push_back({d + "/watched/created", 0, EventType::kCreat});      // write, no path match: dropped

  // Each probe is followed by a marker open that is always reported (exact match), so "not reported" is
  // observed, not assumed: once the marker's event has arrived, the probe's own event would have arrived too.
  const std::string marker_path = d + "/watched/marker";
  auto is_marker = [&](const Event& e) {
    return e.proc.pid == self_pid() && e.type == EventType::kOpenat && e.fd.nameraw == marker_path;
  };
  size_t expected_drops = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    const auto& p = probes[i];
    const bool write = (p.flags & 3) != 0 || p.via == EventType::kCreat;
    const bool want = open_filter_accepts(filter, p.path, write);
    expected_drops += want ? 0 : 1;
    auto is_probe = [&](const Event& e) {
      return e.proc.pid == self_pid() && e.type == p.via && e.fd.nameraw == p.path;
    };
    const size_t before = live.sink.count(is_probe);
    const size_t markers = live.sink.count(is_marker);
    const int fd = do_open(p);
    if (fd >= 0) ::close(fd);
    const int m = ::openat(AT_FDCWD, marker_path.c_str(), O_RDONLY);
    REQUIRE(m >= 0);
    ::close(m);
    REQUIRE_MESSAGE(live.sink.wait_count(is_marker, markers + 1), "the marker after probe " << i << " never arrived");
    const size_t reported = live.sink.count(is_probe) - before;
    CHECK_MESSAGE(reported == (want ? 1u : 0u), "probe " << i << " " << p.path << " flags " << p.flags << " via "
                                                         << static_cast<int>(p.via)
                                                         << std::string(want ? ": should be reported" : ": should be dropped"));
  }
  CHECK(live.sensor->probe().counters().filtered - filtered0 >= expected_drops);

  // pass_all turns the filter off.
  REQUIRE(live.sensor->select(types, OpenFilter{}).ok());
  auto plain = [&](const Event& e) { return e.proc.pid == self_pid() && e.fd.nameraw == d + "/other/plain"; };
  const size_t before = live.sink.count(plain);
  const int fd = ::openat(AT_FDCWD, (d + "/other/plain").c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(live.sink.wait_count(plain, before + 1));
  ::chdir("/");
  fs::remove_all(dir);
}

TEST_CASE("close filter: a close is reported only for an fd user space knows, and the fd table stays right") {
  if (!can_run()) return;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("pg-cf-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string known = (dir / "known").string(), unknown = (dir / "unknown").string();
  std::ofstream(known) << "x";
  std::ofstream(unknown) << "x";
  OpenFilter filter{false, {OpenFilterTerm::paths(false, {}, {known})}};
  Live live;
  const EventType types[] = {EventType::kOpenat, EventType::kDup};  // close itself not selected: the filter is on
  REQUIRE(live.sensor->select(types, filter).ok());

  // A reported open: its close is reported (state only, not forwarded) and erases the fd table entry.
  const auto state0 = live.sensor->stats().state_only;
  const int a = ::openat(AT_FDCWD, known.c_str(), O_RDONLY);
  REQUIRE(a >= 0);
  REQUIRE(live.sink.wait_count([&](const Event& e) { return e.proc.pid == self_pid() && e.fd.nameraw == known; }, 1));
  const auto filtered0 = live.sensor->probe().counters().filtered_close;
  ::close(a);
  CHECK(live.sensor->probe().counters().filtered_close == filtered0);

  // Opens the filter drops: the first close of each fd number since the sensor first saw this process is still
  // reported (its bit starts set), later ones are dropped in the kernel.
  for (int i = 0; i < 5; ++i) {
    const int u = ::openat(AT_FDCWD, unknown.c_str(), O_RDONLY);
    REQUIRE(u >= 0);
    ::close(u);
  }
  CHECK(live.sensor->probe().counters().filtered_close >= filtered0 + 3);

  // The fd number of `known` is reused by an unreported open: a dup of it must not show the old name (it would
  // if the close of `a` had been dropped).
  const int c = ::openat(AT_FDCWD, unknown.c_str(), O_RDONLY);
  REQUIRE(c >= 0);
  const int d = ::dup(c);
  REQUIRE(d >= 0);
  auto dup_ev = live.sink.wait_for([&](const Event& e) {
    return e.proc.pid == self_pid() && e.type == EventType::kDup && e.res == d;
  });
  REQUIRE(dup_ev.has_value());
  if (c == a) CHECK(dup_ev->fd.name != known);
  CHECK(dup_ev->fd.name != known);
  // The dup's new fd is known now, so its close is reported again.
  const auto filtered1 = live.sensor->probe().counters().filtered_close;
  ::close(d);
  CHECK(live.sensor->probe().counters().filtered_close == filtered1);
  ::close(c);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (live.sensor->stats().state_only <= state0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK(live.sensor->stats().state_only > state0);
  fs::remove_all(dir);
}
