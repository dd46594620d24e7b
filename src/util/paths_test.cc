#include "util/paths.h"

#include <gtest/gtest.h>

#include <string>

namespace wrapp {
namespace {

TEST(PathBounds, SegmentsUpTo255Bytes) {
  EXPECT_TRUE(is_safe_segment(std::string(255, 'n')));
  EXPECT_FALSE(is_safe_segment(std::string(256, 'n')));
  EXPECT_EQ(segment_problem(std::string(256, 'n')), "a name longer than 255 bytes");
  EXPECT_EQ(segment_problem(std::string(100 << 10, 'n')), "a name longer than 255 bytes");
}

TEST(PathBounds, RelativePathsUpTo4096BytesWithSegmentsUpTo255) {
  // 16 segments of 254 bytes and one of 16, with 16 slashes: 4096 bytes.
  std::string path;
  for (int i = 0; i < 16; ++i) path += std::string(254, 'a' + i) + "/";
  path += std::string(16, 'z');
  ASSERT_EQ(path.size(), 4096u);
  EXPECT_TRUE(is_safe_relative_path(path));
  EXPECT_FALSE(is_safe_relative_path(path + "z"));
  EXPECT_EQ(relative_path_problem(path + "z"), "a path longer than 4096 bytes");
  // The longest segment is the last one checked: 255 is fine, 256 is not.
  EXPECT_TRUE(is_safe_relative_path("a/" + std::string(255, 's')));
  EXPECT_EQ(relative_path_problem("a/" + std::string(256, 's') + "/b"), "a segment longer than 255 bytes");
  EXPECT_EQ(relative_path_problem(std::string(1 << 20, 'x')), "a path longer than 4096 bytes");
}

TEST(PathBounds, EveryProblemIsNamed) {
  EXPECT_EQ(relative_path_problem("a/b"), "");
  EXPECT_EQ(relative_path_problem(""), "an empty path");
  EXPECT_EQ(relative_path_problem("/etc/passwd"), "an absolute path");
  EXPECT_EQ(relative_path_problem("a//b"), "an empty segment");
  EXPECT_EQ(relative_path_problem("a/../b"), "a '..' segment");
  EXPECT_EQ(relative_path_problem("./b"), "a '.' segment");
  EXPECT_EQ(relative_path_problem("a\\b"), "a backslash");
  EXPECT_EQ(relative_path_problem(std::string("a\0b", 3)), "a control character");
  EXPECT_EQ(segment_problem("a/b"), "a '/'");
  EXPECT_EQ(segment_problem(".."), "'.' or '..'");
  EXPECT_EQ(segment_problem(""), "an empty name");
  // The problem and the predicate always agree.
  for (std::string p : {"a", "a/b", "", "/x", "a//b", "..", "a\\b", "x\x7f"}) {
    EXPECT_EQ(is_safe_relative_path(p), relative_path_problem(p).empty()) << p;
    EXPECT_EQ(is_safe_segment(p), segment_problem(p).empty()) << p;
  }
}

}  // namespace
}  // namespace wrapp
