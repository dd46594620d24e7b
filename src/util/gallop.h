// Searching a sorted range from a hint: std::lower_bound for callers whose
// keys mostly ascend, as the lookups of one worker walking a catalog do.
#pragma once

#include <cstddef>

namespace wrapp::util {

// The first index in [0, n) whose element does not come before the key, or
// n (what std::lower_bound returns), where `before(i)` says whether element
// i comes before the key and the range is sorted. The search starts at
// `hint`: where the key lies a few elements after it, the answer costs a few
// comparisons (1, 2, 4... elements ahead, then a bisection of the last
// step) instead of log2(n) spread over the whole range; a key before the
// hint bisects [0, hint). Any hint is correct; one >= n is ignored.
template <typename Before>
size_t gallop_lower_bound(size_t n, size_t hint, Before&& before) {
  size_t lo = 0, hi = n;
  if (hint < n) {
    if (before(hint)) {
      lo = hint + 1;
      for (size_t step = 1; hint + step < n; step *= 2) {
        size_t probe = hint + step;
        if (!before(probe)) {
          hi = probe;
          break;
        }
        lo = probe + 1;
      }
    } else {
      hi = hint;
    }
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (before(mid)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace wrapp::util
