#include "util/color.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp {
namespace {

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(Color, ParsesTheThreeModesAndRefusesOthers) {
  EXPECT_EQ(parse_color_mode("auto"), ColorMode::kAuto);
  EXPECT_EQ(parse_color_mode("always"), ColorMode::kAlways);
  EXPECT_EQ(parse_color_mode("never"), ColorMode::kNever);
  try {
    parse_color_mode("sometimes");
    FAIL() << "accepted";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("auto, always or never"), std::string::npos) << e.what();
  }
}

TEST(Color, AutoColoursOnlyATerminalAndHonoursNoColor) {
  int file = open("/dev/null", O_WRONLY);
  ASSERT_GE(file, 0);
  {
    ScopedEnv no_color("NO_COLOR", nullptr);
    EXPECT_FALSE(color_enabled(ColorMode::kAuto, file));  // not a terminal
    EXPECT_TRUE(color_enabled(ColorMode::kAlways, file));
    EXPECT_FALSE(color_enabled(ColorMode::kNever, file));
  }
  {
    ScopedEnv no_color("NO_COLOR", "1");
    EXPECT_TRUE(color_enabled(ColorMode::kAlways, file));  // the option wins over the environment
    EXPECT_FALSE(color_enabled(ColorMode::kAuto, file));
  }
  close(file);
  int terminal = posix_openpt(O_RDWR | O_NOCTTY);
  if (terminal < 0) GTEST_SKIP() << "no pseudo-terminal";
  ASSERT_EQ(grantpt(terminal), 0);
  ASSERT_EQ(unlockpt(terminal), 0);
  int follower = open(ptsname(terminal), O_RDWR | O_NOCTTY);
  ASSERT_GE(follower, 0);
  {
    ScopedEnv no_color("NO_COLOR", nullptr);
    ScopedEnv term("TERM", "xterm");
    EXPECT_TRUE(color_enabled(ColorMode::kAuto, follower));
  }
  {
    ScopedEnv no_color("NO_COLOR", "");  // set but empty: no effect, as no-color.org says
    ScopedEnv term("TERM", "xterm");
    EXPECT_TRUE(color_enabled(ColorMode::kAuto, follower));
  }
  {
    ScopedEnv no_color("NO_COLOR", "yes");
    EXPECT_FALSE(color_enabled(ColorMode::kAuto, follower));
  }
  {
    ScopedEnv no_color("NO_COLOR", nullptr);
    ScopedEnv term("TERM", "dumb");
    EXPECT_FALSE(color_enabled(ColorMode::kAuto, follower));
  }
  close(follower);
  close(terminal);
}

TEST(Color, PaintWrapsTextOnlyWhenOn) {
  EXPECT_EQ(paint("missing", Color::kRed, true), "\x1b[31mmissing\x1b[0m");
  EXPECT_EQ(paint("error", Color::kBoldRed, true), "\x1b[1;31merror\x1b[0m");
  EXPECT_EQ(paint("missing", Color::kRed, false), "missing");
}

}  // namespace
}  // namespace wrapp
