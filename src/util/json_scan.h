// The scan both JSON directions share: where a run of bytes that a JSON
// string holds as they are (no quote, backslash or control byte) ends.
// Strings are most of a catalog's bytes, read and written by the megabyte:
// sixteen bytes at a time where SSE2 is there (every x86-64), one at a
// time elsewhere.
#pragma once

#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wrapp {

// The first position at or after `pos` of a quote, a backslash or a byte
// below 0x20 in `text` (text.size() when there is none). `ascii` is cleared
// when a byte of 0x80 or above lies before that position.
inline size_t json_plain_run_end(std::string_view text, size_t pos, bool& ascii) {
  const char* p = text.data();
  size_t n = text.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x1f);
  for (; pos + 16 <= n; pos += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + pos));
    // A control byte is one whose unsigned minimum with 0x1f is itself.
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v);
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
    unsigned stops = static_cast<unsigned>(_mm_movemask_epi8(stop));
    unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));  // the top bit of each byte
    if (stops) {
      unsigned k = static_cast<unsigned>(__builtin_ctz(stops));
      if (high & ((1u << k) - 1)) ascii = false;
      return pos + k;
    }
    if (high) ascii = false;
  }
#endif
  for (; pos < n; ++pos) {
    unsigned char c = static_cast<unsigned char>(p[pos]);
    if (c == '"' || c == '\\' || c < 0x20) break;
    if (c >= 0x80) ascii = false;
  }
  return pos;
}

}  // namespace wrapp
