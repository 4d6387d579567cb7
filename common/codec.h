// Binary wire codec for sensor -> engine event batches. Byte-by-byte layout: docs/wire-format.md.
//
// One ZeroMQ message = one batch = a 16-byte header (version first, so any future format can change everything
// after byte 0) followed by `count` event records, each prefixed with its u32 length. Integers are LEB128
// varints (zig-zag for signed values) except a few fixed-width fields; everything is little-endian.
//
// The decoder treats input as hostile: every read is bounds-checked, every count is checked against both a
// fixed limit and the bytes that remain before anything is resized, and enum values are range-checked.
// It decodes in place into a caller-owned Event so that steady-state decoding reuses string/vector capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/event.h"
#include "common/result.h"

namespace peregrine::wire {

inline constexpr uint8_t kVersion = 2;  // 2: container image digest, labels, pod uid and labels
inline constexpr size_t kHeaderSize = 16;
inline constexpr uint8_t kMagic[3] = {'P', 'G', 'E'};  // bytes 1..3 of every batch

// Limits enforced by the decoder (the encoder assumes a sane Event and does not truncate).
inline constexpr size_t kMaxStringLen = 1u << 20;    // one string (paths, args, the k8s audit payload)
inline constexpr size_t kMaxListLen = 4096;          // proc.args, proc.env, ancestor args, container mounts and labels
inline constexpr size_t kMaxAncestors = 64;
inline constexpr size_t kMaxEventBytes = 8u << 20;   // one encoded event record
inline constexpr size_t kTargetBatchBytes = 64u << 10;  // publishers flush when size_bytes() reaches this

/// Builds one batch message. Reusable: clear() keeps the buffer's capacity, so steady state does not allocate.
class BatchEncoder {
 public:
  BatchEncoder();
  /// Appends one encoded event.
  void add(const Event& e);
  size_t count() const { return count_; }
  size_t size_bytes() const { return buf_.size(); }
  /// The whole batch message including the header; valid until the next add()/clear().
  std::span<const uint8_t> bytes() const { return buf_; }
  /// Empties the batch (header only), keeping capacity.
  void clear();

 private:
  std::vector<uint8_t> buf_;
  uint32_t count_ = 0;
};

/// Iterates over the events of one batch message, decoding each into a caller-owned Event.
class BatchDecoder {
 public:
  /// Checks version, magic, header fields and that the body length matches the message.
  static Result<BatchDecoder> open(std::span<const uint8_t> msg);
  /// true = decoded one into `out`; false = end of batch; Error = malformed (names the offset and why).
  /// After an error `out` is in an unspecified but valid state and further calls return the same error.
  Result<bool> next(Event& out);
  /// The next record without decoding it: `record` = its bytes (length prefix included, for decode_one) and
  /// `pid` = its process id (thread group), read after checking the fields before it. Used to split a batch
  /// between evaluating threads; the record's remaining fields are checked by decode_one.
  Result<bool> next_record(std::span<const uint8_t>& record, uint32_t& pid);
  uint32_t count() const { return count_; }

 private:
  std::optional<Result<bool>> at_end();
  Result<bool> fail(std::string message);
  BatchDecoder(std::span<const uint8_t> msg, uint32_t count) : msg_(msg), count_(count) {}
  std::span<const uint8_t> msg_;
  uint32_t count_ = 0;
  uint32_t index_ = 0;
  size_t pos_ = kHeaderSize;
  bool failed_ = false;
  Error error_;
};

/// Decodes a single event record (u32 length prefix + body, exactly as inside a batch); the span must
/// contain exactly one record.
Result<void> decode_one(std::span<const uint8_t> bytes, Event& out);

/// Replaces `out` with the single event record for `e` (u32 length prefix + body).
void encode_one(const Event& e, std::vector<uint8_t>& out);

}  // namespace peregrine::wire
