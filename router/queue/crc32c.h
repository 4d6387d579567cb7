// CRC-32C (Castagnoli) for queue record framing. Software table version: the queue is disk-bound, not CRC-bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace peregrine::router {

/// Extends `crc` (start with 0) over `len` bytes.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);

}  // namespace peregrine::router
