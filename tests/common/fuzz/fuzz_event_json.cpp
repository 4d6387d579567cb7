// libFuzzer target for the JSON forms read from files and HTTP: the event JSONL form and the alert JSON.
//
// Property: parsing never crashes; an accepted event or alert re-serialises to JSON that parses back to an
// equal value.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/alert.h"
#include "common/event_json.h"

using namespace peregrine;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void event_roundtrip(std::string_view line) {
  Event e;
  if (!event_from_json_line(line, e).ok()) return;
  const std::string again = event_to_json_line(e);
  Event e2;
  check(event_from_json_line(again, e2).ok());
  check(e == e2);
  check(event_to_json_line(e2) == again);
}

void alert_roundtrip(std::string_view text) {
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return;
  auto a = alert_from_json(j);
  if (!a) return;
  nlohmann::json out = *a;
  auto b = alert_from_json(nlohmann::json::parse(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  check(b.ok());
  check(*a == *b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  event_roundtrip(text);
  alert_roundtrip(text);
  return 0;
}
