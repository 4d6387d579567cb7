#include "router/intake/test_alert.h"

#include <algorithm>
#include <chrono>

namespace peregrine::router {

Alert make_test_alert(const std::string& hostname) {
  Alert a;
  a.uuid = make_uuid();
  a.time_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  a.rule = "Test rule";
  a.priority = Priority::kDebug;
  a.source = "internal";
  a.hostname = hostname;
  a.output = "This is a test from peregrine-router";
  a.tags = {"example", kTestTag, "test"};
  a.output_fields = {{"proc.name", std::string("peregrine-router")}, {"user.name", std::string("peregrine")}};
  return a;
}

bool is_test_alert(const Alert& a) {
  return a.source == "internal" && std::find(a.tags.begin(), a.tags.end(), kTestTag) != a.tags.end();
}

}  // namespace peregrine::router
