// libFuzzer, differential: the DOM-free alert parser (simdjson, common/alert_text.h) must give the DOM parser's
// verdict on any input — the same alert or the same error — and the streaming writer the DOM's exact bytes for
// whatever alert came out.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto fast = peregrine::alert_from_json_text(text);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    if (fast.ok()) std::abort();  // accepted what the DOM cannot even parse
    return 0;
  }
  auto dom = peregrine::alert_from_json(j);
  if (fast.ok() != dom.ok()) std::abort();
  if (!fast.ok()) {
    if (fast.error().message != dom.error().message) std::abort();
    return 0;
  }
  if (!(*fast == *dom)) std::abort();
  nlohmann::json back = *fast;
  if (peregrine::alert_json_text(*fast) != back.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
    std::abort();
  return 0;
}
