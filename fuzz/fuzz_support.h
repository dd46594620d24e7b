// Shared by the libFuzzer targets of fuzz/ (docs/fuzzing.md): the input as
// text, and the rule every target checks: bad input may only ever be a
// FailedCommand. Anything else (another exception, a crash, a sanitizer
// report, a broken invariant) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <stdlib.h>

#include "util/error.h"

namespace wrapp::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Aborts (a finding) with `what` when `ok` is false.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// A folder of this fuzzing process's own (/tmp/<name>-XXXXXX), for the files
// a target writes; each target makes it once and keeps it.
inline std::string make_scratch_dir(const std::string& name) {
  std::string tmpl = "/tmp/" + name + "-XXXXXX";
  require(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp failed");
  return tmpl;
}

// Runs fn(); true when it returned, false when it refused the input with
// FailedCommand. Every other exception escapes to libFuzzer, a finding.
template <typename Fn>
bool accepted(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const FailedCommand&) {
    return false;
  }
}

}  // namespace wrapp::fuzz
