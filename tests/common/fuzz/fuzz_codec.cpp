// libFuzzer target for the binary wire decoder (untrusted input: anything on the sensor -> engine socket).
//
// Property: decoding never crashes or reads out of bounds; whatever decodes re-encodes to bytes that decode
// to the same events, and re-encoding is a fixed point.
//
// Seed mode: with PEREGRINE_FUZZ_WRITE_SEEDS=<dir> set, the binary writes seed inputs (single records and
// batches built from tests/fixtures/events/*.jsonl given in PEREGRINE_FUZZ_FIXTURES, plus one fully populated
// event of every type) into <dir> and exits; scripts/fuzz.sh uses this.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/codec.h"
#include "common/codec_samples.h"
#include "common/event_json.h"

using namespace peregrine;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void write_file(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_seeds(const std::string& dir, const char* fixtures) {
  std::vector<Event> events;
  for (const auto& spec : event_specs()) events.push_back(samples::full_event(spec.type, 3));
  events.push_back(samples::openat_by_bash());
  if (fixtures) {
    std::string list = fixtures;
    size_t start = 0;
    while (start <= list.size()) {
      const size_t colon = std::min(list.find(':', start), list.size());
      std::ifstream in(list.substr(start, colon - start));
      for (std::string line; std::getline(in, line);) {
        Event e;
        if (!line.empty() && event_from_json_line(line, e).ok()) events.push_back(std::move(e));
      }
      start = colon + 1;
    }
  }
  std::vector<uint8_t> one;
  wire::BatchEncoder batch;
  for (size_t i = 0; i < events.size(); ++i) {
    wire::encode_one(events[i], one);
    write_file(dir + "/one-" + std::to_string(i), one);
    batch.add(events[i]);
    if (batch.count() == 4) {
      write_file(dir + "/batch-" + std::to_string(i), batch.bytes());
      batch.clear();
    }
  }
  std::printf("wrote %zu events as seeds to %s\n", events.size(), dir.c_str());
}

void roundtrip_one(std::span<const uint8_t> data) {
  static Event first, second;  // reused like the engine does
  if (!wire::decode_one(data, first).ok()) return;
  std::vector<uint8_t> a, b;
  wire::encode_one(first, a);
  check(wire::decode_one(a, second).ok());
  check(first == second);
  wire::encode_one(second, b);
  check(a == b);
}

void roundtrip_batch(std::span<const uint8_t> data) {
  auto dec = wire::BatchDecoder::open(data);
  if (!dec) return;
  std::vector<Event> events;
  Event e;
  while (true) {
    auto r = dec->next(e);
    if (!r) return;
    if (!*r) break;
    events.push_back(e);
  }
  check(events.size() == dec->count());
  wire::BatchEncoder enc;
  for (const auto& x : events) enc.add(x);
  auto again = wire::BatchDecoder::open(enc.bytes());
  check(again.ok());
  for (const auto& x : events) {
    auto r = again->next(e);
    check(r.ok() && *r);
    check(e == x);
  }
  auto end = again->next(e);
  check(end.ok() && !*end);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("PEREGRINE_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir, std::getenv("PEREGRINE_FUZZ_FIXTURES"));
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  roundtrip_batch(in);
  roundtrip_one(in);
  return 0;
}
