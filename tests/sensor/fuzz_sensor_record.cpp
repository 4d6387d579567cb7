// libFuzzer target: EventBuilder::build on arbitrary ring-buffer records. The kernel is the only writer of
// real records, but a layout mismatch must give a counted "malformed", never an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "sensor/event_builder.h"

using namespace peregrine::sensor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ProcTable procs(256, 32);
  static UserDb users("/nonexistent/passwd", "/nonexistent/group");
  static BuilderOptions opts = [] {
    BuilderOptions o;
    o.proc_root = "/nonexistent-proc";
    return o;
  }();
  static EventBuilder builder(opts, procs, users, nullptr, 0);
  static peregrine::Event ev;
  // Make the header's own length field agree with the input half of the time, so decoding goes deep.
  std::vector<uint8_t> rec(data, data + size);
  if (rec.size() >= sizeof(pg_event_header) && (rec.size() & 1)) {
    uint32_t len = static_cast<uint32_t>(rec.size());
    std::memcpy(rec.data() + offsetof(pg_event_header, len), &len, sizeof(len));
  }
  (void)builder.build(std::span<const uint8_t>(rec), ev);
  return 0;
}
