#include "util/error.h"

#include <gtest/gtest.h>

#include <string>

#include "util/json_writer.h"

namespace wrapp {
namespace {

TEST(ShortenForMessage, ShortTextIsKeptWhole) {
  EXPECT_EQ(shorten_for_message(""), "");
  EXPECT_EQ(shorten_for_message("a/b.txt"), "a/b.txt");
  std::string exactly(1024, 'x');
  EXPECT_EQ(shorten_for_message(exactly), exactly);
}

TEST(ShortenForMessage, LongTextKeepsHeadAndTailAndSaysHowMuchIsLeftOut) {
  std::string text = "HEAD" + std::string(1 << 20, 'm') + "TAIL";
  std::string s = shorten_for_message(text);
  EXPECT_LE(s.size(), 1024u);
  EXPECT_GT(s.size(), 900u);  // most of the budget is text, not marker
  EXPECT_EQ(s.substr(0, 4), "HEAD");
  EXPECT_EQ(s.substr(s.size() - 4), "TAIL");
  size_t open = s.find("\u2026(");
  size_t close = s.find(" bytes omitted)\u2026");
  ASSERT_NE(open, std::string::npos) << s;
  ASSERT_NE(close, std::string::npos) << s;
  size_t omitted = std::stoull(s.substr(open + 4, close - open - 4));
  size_t kept = s.size() - (close + std::string(" bytes omitted)\u2026").size()) + open;
  EXPECT_EQ(omitted + kept, text.size());
}

TEST(ShortenForMessage, HonoursOtherBoundsAndIsIdempotent) {
  std::string text(100000, 'z');
  for (size_t max : {size_t{64}, size_t{100}, size_t{4096}, kMaxMessageBytes}) {
    SCOPED_TRACE(max);
    std::string s = shorten_for_message(text, max);
    EXPECT_LE(s.size(), max);
    EXPECT_EQ(shorten_for_message(s, max), s);
  }
}

TEST(ShortenForMessage, NeverSplitsAUtf8Character) {
  // Two- and four-byte characters, at every alignment of the cut.
  for (std::string ch : {std::string("\xc3\xa9"), std::string("\xf0\x9f\x98\x80")}) {
    for (size_t lead = 0; lead < 4; ++lead) {
      std::string text = std::string(lead, 'a');
      while (text.size() < 5000) text += ch;
      std::string s = shorten_for_message(text, 1000);
      EXPECT_TRUE(is_valid_utf8(s)) << lead;
      EXPECT_LE(s.size(), 1000u);
    }
  }
}

TEST(ThrowErrno, ShortensTheTarget) {
  try {
    throw_errno("cannot open", std::string(1 << 20, 'p'), ENOENT);
    FAIL() << "no throw";
  } catch (const StorageError& e) {
    std::string m = e.what();
    EXPECT_LE(m.size(), 1100u);
    EXPECT_EQ(m.substr(0, 13), "cannot open '");
    EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace wrapp
