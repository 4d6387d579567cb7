// RuleEngine::process() must not allocate for events that match no rule (the common case), once warm.
// Counts global operator new calls; this file is its own test executable, so the override is local to it.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "common/event.h"
#include "common/event_json.h"
#include "engine/rules/rule_engine.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace peregrine;
using namespace peregrine::engine;

TEST_CASE("no heap allocation per event on the no-match path") {
  RuleEngine eng;
  const std::string upstream = std::string(PEREGRINE_SOURCE_DIR) + "/../shared/falco-rules/falco_rules.yaml";
  std::vector<std::string> files = {std::string(PEREGRINE_SOURCE_DIR) + "/rules/peregrine_rules.yaml"};
  if (std::filesystem::exists(upstream)) {
    files.push_back(upstream);
  } else {
    MESSAGE("upstream falco_rules.yaml absent: measuring with the default rules only");
  }
  auto res = eng.load_files(files);
  REQUIRE(res.successful());
  const char* lines[] = {
      R"({"type":"openat","num":1,"ts":1700000000000000000,"res":3,"args":{"name":"/usr/lib/libc.so.6","flags":"O_RDONLY"},"proc":{"name":"bash","exepath":"/bin/bash","args":["-l"],"pid":10,"ancestors":[{"name":"sshd","pid":9}]},"fd":{"num":3,"type":"f","name":"/usr/lib/libc.so.6"}})",
      R"({"type":"execve","num":2,"ts":1700000000000000000,"res":0,"proc":{"name":"ls","exepath":"/bin/ls","args":["-la","/tmp"],"pid":11,"ancestors":[{"name":"bash","pid":10}]}})",
      R"({"type":"connect","num":3,"ts":1700000000000000000,"res":0,"proc":{"name":"curl","exepath":"/usr/bin/curl","args":["https://example.com"],"pid":12},"fd":{"num":4,"type":"4","name":"10.0.0.5:50000->93.184.216.34:443","sock":{"family":"AF_INET","proto":"tcp","connected":true,"local_ip":"10.0.0.5","remote_ip":"93.184.216.34","local_port":50000,"remote_port":443}}})",
      R"({"type":"close","num":4,"ts":1700000000000000000,"res":0,"proc":{"name":"bash","pid":10},"fd":{"num":3,"type":"f","name":"/usr/lib/libc.so.6"}})",
  };
  std::vector<Event> events(std::size(lines));
  for (size_t i = 0; i < events.size(); ++i) REQUIRE(event_from_json_line(lines[i], events[i]).ok());
  std::vector<Alert> out;
  out.reserve(16);
  for (int warm = 0; warm < 3; ++warm) {
    for (const auto& e : events) eng.process(e, out);
  }
  REQUIRE(out.empty());  // none of these may match: that is the path being measured
  REQUIRE(g_allocs.load() > 0);  // the counter sees the loader's allocations, so it is live
  const uint64_t before = g_allocs.load();
  for (int round = 0; round < 1000; ++round) {
    for (const auto& e : events) eng.process(e, out);
  }
  const uint64_t allocs = g_allocs.load() - before;
  CHECK(out.empty());
  CHECK_MESSAGE(allocs == 0, allocs << " allocations in 4000 non-matching events");
}
