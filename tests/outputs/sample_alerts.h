// Fixed alerts for golden tests of output format functions.
#pragma once

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/alert.h"

namespace peregrine::test {

// Falco's documented example alert, with a fixed uuid.
inline constexpr const char* kFalcoExampleJson =
    R"J({"uuid":"6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root file=/bin/hack)","priority":"Error","rule":"Write below binary dir","time":"2019-05-17T15:31:56.746609046Z","source":"syscall","hostname":"node-1","tags":["mitre_persistence","filesystem"],"output_fields":{"evt.time":1558107116746609046,"fd.name":"/bin/hack","user.name":"root","k8s.ns.name":null}})J";

inline Alert sample_alert() {
  auto a = alert_from_json(nlohmann::json::parse(kFalcoExampleJson));
  REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().message));
  return std::move(a).value();
}

inline Alert small_alert(const std::string& uuid, Priority p = Priority::kWarning, const std::string& rule = "R") {
  Alert a;
  a.uuid = uuid;
  a.time_ns = 1'700'000'000'000'000'001ull;
  a.rule = rule;
  a.priority = p;
  a.hostname = std::string(1, 'h');  // not = "h": g++ 12 false -Wrestrict
  a.output = "out " + uuid;
  a.tags = {"t1"};
  return a;
}

}  // namespace peregrine::test
