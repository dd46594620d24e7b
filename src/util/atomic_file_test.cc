#include "util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"

namespace wrapp::util {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "wrapp-atomic-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string dir_;
};

TEST_F(AtomicFileTest, WriteThenRead) {
  write_file_atomically(path("a.txt"), "hello");
  auto got = read_file(path("a.txt"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(names(), std::vector<std::string>{"a.txt"});
}

TEST_F(AtomicFileTest, OverwriteReplacesContentAndLeavesNoTemp) {
  write_file_atomically(path("a.txt"), std::string(100000, 'x'));
  write_file_atomically(path("a.txt"), "short");
  EXPECT_EQ(read_file(path("a.txt")).value(), "short");
  EXPECT_EQ(names(), std::vector<std::string>{"a.txt"});
}

TEST_F(AtomicFileTest, EmptyAndBinaryAndLargeContent) {
  write_file_atomically(path("empty"), "");
  EXPECT_EQ(read_file(path("empty")).value(), "");
  std::string bin("a\0b\x80\xff", 5);
  write_file_atomically(path("bin"), bin);
  EXPECT_EQ(read_file(path("bin")).value(), bin);
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  write_file_atomically(path("big"), big);
  EXPECT_EQ(read_file(path("big")).value(), big);
}

TEST_F(AtomicFileTest, ReadAbsentIsNullopt) {
  EXPECT_FALSE(read_file(path("missing")).has_value());
  EXPECT_FALSE(read_file(path("missing-dir/missing")).has_value());
}

TEST_F(AtomicFileTest, ReadDirectoryThrowsStorageError) {
  fs::create_directory(path("sub"));
  try {
    read_file(path("sub"));
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(path("sub")), std::string::npos) << e.what();
  }
}

TEST_F(AtomicFileTest, WriteIntoMissingDirectoryThrowsNamingPath) {
  const std::string target = path("no-such-dir/file");
  try {
    write_file_atomically(target, "x");
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(target), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
  EXPECT_TRUE(names().empty());
}

TEST_F(AtomicFileTest, FailedRenameCleansUpTemp) {
  // Renaming a file over a non-empty directory fails after the temp exists.
  fs::create_directory(path("target"));
  write_file_atomically(path("target/inner"), "x");
  EXPECT_THROW(write_file_atomically(path("target"), "data"), StorageError);
  EXPECT_EQ(names(), std::vector<std::string>{"target"});
  EXPECT_EQ(read_file(path("target/inner")).value(), "x");
}

TEST_F(AtomicFileTest, ConcurrentWritersLeaveOneCompleteVersion) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) write_file_atomically(path("shared"), std::string(10000, 'a' + t));
    });
  }
  for (auto& th : threads) th.join();
  std::string got = read_file(path("shared")).value();
  ASSERT_EQ(got.size(), 10000u);
  EXPECT_EQ(got, std::string(10000, got[0]));
  EXPECT_EQ(names(), std::vector<std::string>{"shared"});
}

TEST_F(AtomicFileTest, RelativePathUsesCurrentDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  write_file_atomically("rel.txt", "r");
  auto got = read_file("rel.txt");
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_EQ(got.value(), "r");
  EXPECT_EQ(names(), std::vector<std::string>{"rel.txt"});
}

}  // namespace
}  // namespace wrapp::util
