// docs/fields.md documents every registered field (and only registered fields).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/fields/registry.h"

using namespace peregrine::engine;

TEST_CASE("docs/fields.md lists every registered field with its type") {
  std::ifstream in(std::string(PEREGRINE_SOURCE_DIR) + "/docs/fields.md");
  REQUIRE_MESSAGE(in.good(), "docs/fields.md is missing");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  std::set<std::string> documented;
  // Table rows look like: | `proc.name` | string | ... (parsed by hand: std::regex trips -Werror under ASan).
  std::istringstream lines(doc);
  std::string line;
  std::map<std::string, std::string> types;
  while (std::getline(lines, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    size_t end = line.find('`', 3);
    if (end == std::string::npos) continue;
    size_t t0 = line.find("| ", end);
    size_t t1 = t0 == std::string::npos ? t0 : line.find(" |", t0 + 2);
    if (t1 == std::string::npos) continue;
    types[line.substr(3, end - 3)] = line.substr(t0 + 2, t1 - t0 - 2);
  }
  builtin_fields().for_each_field([&](const FieldInfo& f) {
    auto it = types.find(f.name);
    CHECK_MESSAGE(it != types.end(), f.name << " is not documented");
    if (it == types.end()) return;
    std::string type(field_type_name(f.type));
    CHECK_MESSAGE(it->second.find(type) != std::string::npos, f.name << " documented as " << it->second);
    documented.insert(f.name);
  });
  for (const auto& [name, _] : types) CHECK_MESSAGE(builtin_fields().find(name), name << " is documented but unknown");
  CHECK(documented.size() == builtin_fields().size());
}
