// Substring search for `contains` checks on short haystacks (paths, command lines, flag names).
//
// std::string_view::find runs memchr for the needle's first byte and memcmp at every occurrence; for the upstream
// rules' needles ("/.ssh/", "id_rsa", "../") over paths full of '/' that is one library call per slash. Here a
// position is a candidate only when both the needle's first and last byte match there, tested 16 positions at a
// time (SSE2, Muła's "generic SIMD" filter), and only candidates are compared in full. Loads stay inside the
// haystack: short ones are copied into a padded buffer first, long ones end with one overlapping block.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace peregrine::engine {

namespace substring_detail {

#if defined(__SSE2__)
/// Bit k set when start position k of the block at `p` matches the needle's first and last byte (`p` and
/// `p + m - 1` must both have 16 readable bytes).
inline unsigned candidates(const char* p, size_t m, __m128i first, __m128i last) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + m - 1));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
}

/// True when one of the candidate starts in `mask` (relative to `p`) holds the whole needle.
inline bool verify(const char* p, unsigned mask, const char* nd, size_t m) {
  while (mask != 0) {
    const auto bit = static_cast<size_t>(__builtin_ctz(mask));
    if (std::memcmp(p + bit + 1, nd + 1, m - 2) == 0) return true;
    mask &= mask - 1;
  }
  return false;
}
#endif

}  // namespace substring_detail

/// True when `needle` occurs in `hay` (an empty needle occurs everywhere), as hay.find(needle) != npos.
inline bool contains_substring(std::string_view hay, std::string_view needle) {
  const size_t m = needle.size();
  const size_t n = hay.size();
  if (m == 0) return true;
  if (m > n) return false;
  const char* h = hay.data();
  const char* nd = needle.data();
  if (m == 1) return std::memchr(h, nd[0], n) != nullptr;
  const size_t last_start = n - m;  // highest start position
#if defined(__SSE2__)
  using substring_detail::candidates;
  using substring_detail::verify;
  const __m128i vf = _mm_set1_epi8(nd[0]);
  const __m128i vl = _mm_set1_epi8(nd[m - 1]);
  if (n <= 32) {
    // Short haystacks (most paths and names) are copied into a zeroed buffer whose every load is in bounds;
    // candidate bits past the last start position are masked off, so the padding never matches.
    alignas(16) char buf[64] = {};
    std::memcpy(buf, h, n);
    for (size_t i = 0; i <= last_start; i += 16) {
      unsigned mask = candidates(buf + i, m, vf, vl);
      if (last_start - i < 15) mask &= (2u << (last_start - i)) - 1;
      if (verify(buf + i, mask, nd, m)) return true;
    }
    return false;
  }
  // Starts i..i+15 read h[i..i+15] and h[i+m-1..i+m+14]; both are inside the haystack while i + 15 <= last_start.
  size_t i = 0;
  for (; i + 15 <= last_start; i += 16) {
    if (verify(h + i, candidates(h + i, m, vf, vl), nd, m)) return true;
  }
  if (i > last_start) return false;
  if (last_start >= 15) {
    // The remaining starts in one block that ends at the last start; the starts it repeats are masked off.
    const size_t j = last_start - 15;
    const unsigned mask = candidates(h + j, m, vf, vl) & ~((1u << (i - j)) - 1);
    return verify(h + j, mask, nd, m);
  }
#else
  size_t i = 0;
#endif
  for (; i <= last_start; ++i) {
    if (h[i] == nd[0] && h[i + m - 1] == nd[m - 1] && std::memcmp(h + i + 1, nd + 1, m - 2) == 0) return true;
  }
  return false;
}

}  // namespace peregrine::engine
