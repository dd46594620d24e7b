#include "util/log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/test_dir.h"

namespace wrapp::log {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Log, ALoggerWritesJsonLinesToItsFile) {
  wrapp::testing::TempDir dir("log");
  {
    Logger logger(Options{.json = true, .file = dir / "wrapp.log", .to_stderr = false});
    EXPECT_TRUE(logger.enabled(Level::kInfo));  // the file records info
    EXPECT_FALSE(logger.enabled(Level::kDebug));
    logger.write(Level::kInfo, "hello \"x\"");
    logger.write(Level::kDebug, "not recorded");
  }
  std::string text = read(dir / "wrapp.log");
  EXPECT_NE(text.find(R"("level":"info","logger":"omni.wrapp","message":"hello \"x\""})"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("not recorded"), std::string::npos);
}

TEST(Log, AnUnopenableLogFileIsAStorageError) {
  EXPECT_THROW(Logger(Options{.file = "/nonexistent-dir/wrapp.log"}), StorageError);
}

TEST(Log, TheCallbackGetsWhatIsEnabledAndScopesNest) {
  std::vector<std::string> outer, inner;
  auto into = [](std::vector<std::string>& v) {
    return [&v](Level level, std::string_view m) { v.push_back(std::string(level_name(level)) + " " + std::string(m)); };
  };
  Logger a(Options{.debug = true, .to_stderr = false, .callback = into(outer)});
  Logger b(Options{.to_stderr = false, .callback = into(inner)});
  {
    LoggerScope use_a(&a);
    debug("one");
    {
      LoggerScope use_b(&b);
      debug("two");  // b records no debug
      info("three");
      LoggerScope no_change(nullptr);
      warn("four");
    }
    error("five");
  }
  EXPECT_EQ(&current(), &process_logger());
  EXPECT_EQ(outer, (std::vector<std::string>{"debug one", "error five"}));
  EXPECT_EQ(inner, (std::vector<std::string>{"info three", "warning four"}));
}

}  // namespace
}  // namespace wrapp::log
