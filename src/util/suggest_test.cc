#include "util/suggest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wrapp {
namespace {

TEST(Suggest, EditDistanceCountsInsertionsDeletionsChangesAndSwaps) {
  EXPECT_EQ(edit_distance("install", "install"), 0u);
  EXPECT_EQ(edit_distance("instal", "install"), 1u);
  EXPECT_EQ(edit_distance("isntall", "install"), 1u);  // a swap
  EXPECT_EQ(edit_distance("instell", "install"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Suggest, ClosestWordsAreCloseEnoughClosestFirstAndBounded) {
  std::vector<std::string> commands = {"catalog", "check", "create", "install", "mirror", "status", "uninstall"};
  EXPECT_EQ(closest_words("instal", commands), (std::vector<std::string>{"install"}));
  EXPECT_EQ(closest_words("isntall", commands), (std::vector<std::string>{"install"}));
  EXPECT_EQ(closest_words("unistall", commands), (std::vector<std::string>{"uninstall", "install"}));
  EXPECT_EQ(closest_words("chek", commands), (std::vector<std::string>{"check"}));
  EXPECT_EQ(closest_words("cat", commands), (std::vector<std::string>{"catalog"}));  // a prefix
  EXPECT_TRUE(closest_words("frobnicate", commands).empty());
  EXPECT_TRUE(closest_words("check", {"check"}).empty());  // the word itself is not a suggestion
  EXPECT_TRUE(closest_words("", commands).empty());
  EXPECT_TRUE(closest_words(std::string(100000, 'x'), commands).empty());
  std::vector<std::string> versions = {"1.0.0", "1.0.1", "1.1.0", "2.0.0"};
  EXPECT_EQ(closest_words("1.0.2", versions, 2), (std::vector<std::string>{"1.0.0", "1.0.1"}));
}

TEST(Suggest, DidYouMeanReadsAsASentence) {
  EXPECT_EQ(did_you_mean({}), "");
  EXPECT_EQ(did_you_mean({"install"}), "; did you mean 'install'?");
  EXPECT_EQ(did_you_mean({"a", "b"}), "; did you mean 'a' or 'b'?");
  EXPECT_EQ(did_you_mean({"a", "b", "c"}), "; did you mean 'a', 'b' or 'c'?");
}

}  // namespace
}  // namespace wrapp
