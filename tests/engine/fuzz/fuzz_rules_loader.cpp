// libFuzzer target: arbitrary bytes as a rules file through the whole loader (YAML read, collect, list
// substitution, exceptions, parse, macro resolution, compile). Loading must never crash or throw; every
// failure must come back as LoadResult data.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/rules/rule_engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  peregrine::engine::RuleEngine engine;  // fresh per input: nothing carries over between runs
  const std::string content(reinterpret_cast<const char*>(data), size);
  auto res = engine.load_string(content, "fuzz.yaml");
  (void)res.to_text();
  (void)res.to_json().dump();
  return 0;
}
