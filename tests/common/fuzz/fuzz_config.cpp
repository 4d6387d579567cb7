// libFuzzer target: arbitrary text through the whole config loader, including the strict output reader.
// The only exception allowed to escape parsing is ConfigError; anything else (or a crash) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto cfg = peregrine::config::parse_config(text, "fuzz.yaml");
    for (const auto& out : cfg.router.outputs) {
      auto r = out.reader();
      (void)r.optional_str("path");
      (void)r.integer("timeout_ms", 0, 0, 1000);
      (void)r.bytes("max_bytes", 0, 0, 1 << 20);
      (void)r.strings("tags");
      (void)r.string_map("headers");
      r.finish();
    }
  } catch (const peregrine::config::ConfigError&) {
  }
  return 0;
}
