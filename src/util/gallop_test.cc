#include "util/gallop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace wrapp::util {
namespace {

// Every key (present, absent, before and after all), from every hint (and
// hints past the end), gives std::lower_bound's answer.
TEST(GallopLowerBound, AgreesWithLowerBoundFromEveryHint) {
  for (size_t n : {0u, 1u, 2u, 3u, 7u, 64u, 100u}) {
    std::vector<int> v;
    for (size_t i = 0; i < n; ++i) v.push_back(static_cast<int>(i / 3) * 2);  // runs of equal keys
    for (int key = -1; key <= static_cast<int>(n) + 1; ++key) {
      size_t expected = std::lower_bound(v.begin(), v.end(), key) - v.begin();
      for (size_t hint = 0; hint <= n + 2; ++hint) {
        size_t got = gallop_lower_bound(n, hint, [&](size_t i) { return v[i] < key; });
        ASSERT_EQ(got, expected) << "n " << n << " key " << key << " hint " << hint;
      }
    }
  }
}

// From the previous answer, the next key a few elements on costs a few
// comparisons, not a bisection of the whole range.
TEST(GallopLowerBound, AKeyJustAheadOfTheHintCostsFewComparisons) {
  std::vector<int> v(1 << 20);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
  size_t comparisons = 0;
  size_t hint = 0;
  for (int key = 1000; key < 2000; ++key) {
    hint = gallop_lower_bound(v.size(), hint, [&](size_t i) {
      ++comparisons;
      return v[i] < key;
    });
    ASSERT_EQ(hint, static_cast<size_t>(key));
  }
  EXPECT_LE(comparisons, 1000u * 4) << "a bisection of 2^20 takes 20 a key";
}

}  // namespace
}  // namespace wrapp::util
