// "Did you mean ...?": the known words closest to a misspelt one, as git and
// cargo suggest a command, an option, a package or a version.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wrapp {

// Optimal string alignment distance (Levenshtein plus swaps of neighbours:
// "isntall" is one edit from "install"), case-sensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidates close enough to `word` to be what was meant: at most a
// third of its length in edits (at least 1), or holding it whole as a prefix
// ("inst" for "install"); the closest first, ties in the candidates' order,
// at most `max` of them. Empty when nothing is close.
std::vector<std::string> closest_words(std::string_view word, const std::vector<std::string>& candidates,
                                       size_t max = 3);

// "; did you mean 'a'?" / "; did you mean 'a' or 'b'?" / "" for none.
std::string did_you_mean(const std::vector<std::string>& suggestions);

}  // namespace wrapp
