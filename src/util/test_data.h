// Test helper (not part of the library): deterministic pseudo-random bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wrapp::testing {

// How many times slower the sanitizer builds (build-asan, build-tsan) run
// than a release build: the time bounds of tests are scaled by it.
#if defined(__has_feature)
#define WRAPP_HAS_FEATURE(x) __has_feature(x)
#else
#define WRAPP_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || WRAPP_HAS_FEATURE(thread_sanitizer)
inline constexpr int kSanitizerSlowdown = 10;
#elif defined(__SANITIZE_ADDRESS__) || WRAPP_HAS_FEATURE(address_sanitizer)
inline constexpr int kSanitizerSlowdown = 4;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif
#undef WRAPP_HAS_FEATURE

// n bytes of splitmix64 output from `seed`: incompressible, reproducible.
inline std::string pattern(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x2545f4914f6cdd1dULL;
  for (size_t i = 0; i < n; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<size_t>(8, n - i));
  }
  return out;
}

// `levels` nested JSON arrays ("[[[1]]]") or objects ({"k":{"k":1}})
// around `inner`: hostile nesting for the parsers' depth bound.
inline std::string nested_json(size_t levels, bool objects, std::string_view inner = "1") {
  std::string out;
  out.reserve(levels * 6 + inner.size());
  for (size_t i = 0; i < levels; ++i) out += objects ? "{\"k\":" : "[";
  out += inner;
  for (size_t i = 0; i < levels; ++i) out += objects ? "}" : "]";
  return out;
}

}  // namespace wrapp::testing
