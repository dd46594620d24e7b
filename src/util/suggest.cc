#include "util/suggest.h"

#include <algorithm>
#include <numeric>

namespace wrapp {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: two back, for swaps.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> closest_words(std::string_view word, const std::vector<std::string>& candidates,
                                       size_t max) {
  // Words are short (commands, options, package names): a longer one is
  // not compared, so the work stays bounded whatever is typed.
  constexpr size_t kLongest = 256;
  if (word.empty() || word.size() > kLongest) return {};
  size_t allowed = std::max<size_t>(1, word.size() / 3);
  std::vector<std::pair<size_t, size_t>> scored;  // (distance, index)
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& c = candidates[i];
    if (c == word || c.size() > kLongest) continue;
    size_t d = edit_distance(word, c);
    if (d <= allowed) {
      scored.emplace_back(d, i);
    } else if (word.size() >= 3 && c.starts_with(word)) {
      scored.emplace_back(allowed + 1, i);  // a prefix: after every close spelling
    }
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t k = 0; k < scored.size() && out.size() < max; ++k) out.push_back(candidates[scored[k].second]);
  return out;
}

std::string did_you_mean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) return "";
  std::string out = "; did you mean ";
  for (size_t i = 0; i < suggestions.size(); ++i) {
    if (i > 0) out += i + 1 == suggestions.size() ? " or " : ", ";
    out += "'" + suggestions[i] + "'";
  }
  return out + "?";
}

}  // namespace wrapp
