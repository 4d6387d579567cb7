// Substring search for `contains` checks on short haystacks (paths, command lines, flag names).
//
// std::string_view::find runs memchr for the needle's first byte and memcmp at every occurrence; for the upstream
// rules' needles ("/.ssh/", "id_rsa", "../") over paths full of '/' that is one library call per slash. Here a
// position is a candidate only when both the needle's first and last byte match there, tested 16 positions at a
// time (SSE2, Muła's "generic SIMD" filter), and only candidates are compared in full. Loads stay inside the
// haystack: the vector loop covers the start positions whose both windows fit, a scalar loop the rest.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace peregrine::engine {

/// True when `needle` occurs in `hay` (an empty needle occurs everywhere), as hay.find(needle) != npos.
inline bool contains_substring(std::string_view hay, std::string_view needle) {
  const size_t m = needle.size();
  const size_t n = hay.size();
  if (m == 0) return true;
  if (m > n) return false;
  const char* h = hay.data();
  const char* nd = needle.data();
  if (m == 1) return std::memchr(h, nd[0], n) != nullptr;
  const char first = nd[0];
  const char last = nd[m - 1];
  const size_t last_start = n - m;  // highest start position
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i vf = _mm_set1_epi8(first);
  const __m128i vl = _mm_set1_epi8(last);
  // Starts i..i+15 read h[i..i+15] and h[i+m-1..i+m+14]; both are inside the haystack while i + 15 <= last_start.
  for (; i + 15 <= last_start; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + m - 1));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(b, vl))));
    while (mask != 0) {
      const auto bit = static_cast<size_t>(__builtin_ctz(mask));
      if (std::memcmp(h + i + bit + 1, nd + 1, m - 2) == 0) return true;
      mask &= mask - 1;
    }
  }
#endif
  for (; i <= last_start; ++i) {
    if (h[i] == first && h[i + m - 1] == last && std::memcmp(h + i + 1, nd + 1, m - 2) == 0) return true;
  }
  return false;
}

}  // namespace peregrine::engine
