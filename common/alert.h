// The alert model: Falco's JSON alert plus a uuid assigned by the engine.
//
// Falco's JSON (json_output: true) has keys: hostname, [message,] output, output_fields, priority, rule, source,
// tags, time.
// Peregrine adds "uuid" so that every later hop (router queue, OpenSearch _id, dedup window) can drop
// duplicates created by at-least-once delivery.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace peregrine {

/// Falco priorities, most severe first (numeric order as in Falco: emergency=0 ... debug=7).
enum class Priority : uint8_t {
  kEmergency = 0, kAlert, kCritical, kError, kWarning, kNotice, kInformational, kDebug
};

/// "Emergency", "Alert", ... as Falco prints them in JSON ("Informational" for info).
std::string_view priority_name(Priority p);
/// Case-insensitive parse; accepts "info" as Informational.
Result<Priority> parse_priority(std::string_view s);

/// A typed output field value: missing (null), string, signed/unsigned integer, bool.
using FieldValue = std::variant<std::monostate, std::string, int64_t, uint64_t, bool>;

struct Alert {
  std::string uuid;          // RFC 4122 v4, lower-case
  uint64_t time_ns = 0;      // epoch ns; rendered RFC 3339 with ns ("2026-11-29T04:28:54.123456789Z")
  std::string rule;
  Priority priority = Priority::kWarning;
  std::string source = "syscall";
  std::vector<std::string> tags;   // kept sorted
  std::string hostname;
  std::string output;
  // Falco's "message" (json_include_message_property): the output text without its time and priority prefix.
  // Absent unless the engine is asked for it; kept through the router so JSON outputs show it.
  std::optional<std::string> message;
  std::map<std::string, FieldValue> output_fields;  // sorted keys, as Falco's std::map
};

/// RFC 3339 UTC with nanoseconds.
std::string format_rfc3339_ns(uint64_t epoch_ns);
Result<uint64_t> parse_rfc3339_ns(std::string_view s);

/// A fresh random v4 uuid.
std::string make_uuid();

void to_json(nlohmann::json& j, const Alert& a);
/// Strict: missing rule/priority/output/time gives an error naming the field.
Result<Alert> alert_from_json(const nlohmann::json& j);

bool operator==(const Alert&, const Alert&);

}  // namespace peregrine
