// CRC-32C (Castagnoli) for queue record framing: SSE4.2's crc32 instruction when the CPU has it (every record
// is checksummed on append and on each output's read), a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace peregrine::router {

/// Extends `crc` (start with 0) over `len` bytes.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);
/// The table version, always (tests compare the two).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t len);

}  // namespace peregrine::router
