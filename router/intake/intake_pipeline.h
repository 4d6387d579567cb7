// The single path by which alerts enter the router, shared by the ZeroMQ and HTTP intakes:
// validate -> assign uuid if missing -> drop duplicates (dedup window) -> durable append -> remember uuids.
// A caller acknowledges (ZeroMQ ack, HTTP 200) only after accept() returned ok, i.e. after the append.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/alert.h"
#include "common/result.h"

namespace peregrine::router {

class DedupWindow;
class DurableQueue;
class DeadLetterFile;

struct IntakeResult {
  size_t accepted = 0;    // newly appended
  size_t duplicates = 0;  // uuid already accepted (acknowledged, not queued again)
  size_t invalid = 0;     // failed validation (accept_raw only; written to the dead-letter file)
};

/// An alert as it arrives from the engine: uuid from the envelope, Falco JSON text.
struct RawAlert {
  std::string uuid;
  std::string json;
};

/// Where a validation error points: the field ("priority", "output_fields.x") or "" for the whole body.
struct ValidationError {
  std::string field;
  std::string message;
};

/// Strict validation of one Falco JSON alert; error names the offending field.
/// Beyond alert_from_json: rule must be non-empty; a given uuid must be 1..64 printable characters.
std::variant<Alert, ValidationError> validate_alert(const nlohmann::json& j);
/// validate_alert() of JSON text (not JSON: field "" "body is not valid JSON"), DOM-free for well-formed alerts.
std::variant<Alert, ValidationError> validate_alert_text(std::string_view text);

class IntakePipeline {
 public:
  /// `rejects` receives alerts that failed validation in accept_raw (may be null: they are then only counted).
  IntakePipeline(DurableQueue& queue, DedupWindow& window, DeadLetterFile* rejects);

  /// Appends the alerts whose uuid is new (uuid assigned when empty). Either all new alerts are appended or
  /// none is (queue full, I/O error): then the error is returned and the caller must not acknowledge.
  Result<IntakeResult> accept(std::vector<Alert> alerts);
  /// Parses and validates engine alerts; invalid ones go to the dead-letter file and are counted, since
  /// resending them can never succeed. Errors only when the durable append fails.
  Result<IntakeResult> accept_raw(std::vector<RawAlert> alerts);

  uint64_t accepted() const { return accepted_.load(); }
  uint64_t duplicates() const { return duplicates_.load(); }
  uint64_t invalid() const { return invalid_.load(); }
  uint64_t rejected() const { return rejected_.load(); }  // refused because the append failed (e.g. queue full)

 private:
  /// Dedup, one durable append, window update: `rendered[i]` is the queue payload of uuid `ids[i]` (moved from).
  Result<IntakeResult> append(const std::vector<std::string>& ids, std::vector<std::string>& rendered);
  DurableQueue& queue_;
  DedupWindow& window_;
  DeadLetterFile* rejects_;
  std::mutex mu_;  // serialises dedup check + write + insert across intakes (not the fdatasync wait)
  std::atomic<uint64_t> accepted_{0}, duplicates_{0}, invalid_{0}, rejected_{0};
};

}  // namespace peregrine::router
