// open_beneath with openat2 and with the component walk: both must give
// the same answers, since the walk stands in where openat2 is filtered.
#include "storage/local/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "util/test_dir.h"

namespace wrapp::storage::local {
namespace {

namespace fs = std::filesystem;

class OpenBeneath : public ::testing::TestWithParam<Method> {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ + "/base/a/b");
    fs::create_directories(dir_ + "/outside");
    write(dir_ + "/base/a/b/f", "inside");
    write(dir_ + "/outside/secret", "outside");
    base_.reset(::open((dir_ + "/base").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(base_.valid());
  }
  static void write(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  void link(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/base/" + rel).c_str()), 0) << rel;
  }
  // The result of open_beneath; a descriptor is closed and reported as 0.
  int open(const std::string& rel, int flags, Links links) {
    int fd = open_beneath(base_.get(), rel, flags, links, GetParam());
    if (fd < 0) return fd;
    struct stat st;
    EXPECT_EQ(::fstat(fd, &st), 0);
    last_mode_ = st.st_mode;
    ::close(fd);
    return 0;
  }

  wrapp::testing::TempDir tmp_{"resolve"};
  const std::string& dir_ = tmp_.path();
  Fd base_;
  mode_t last_mode_ = 0;
};

TEST_P(OpenBeneath, PlainPathsResolve) {
  EXPECT_EQ(open("a/b/f", O_RDONLY, Links::kNever), 0);
  EXPECT_TRUE(S_ISREG(last_mode_));
  EXPECT_EQ(open("a/b", O_RDONLY | O_DIRECTORY, Links::kNever), 0);
  EXPECT_TRUE(S_ISDIR(last_mode_));
  EXPECT_EQ(open("", O_RDONLY | O_DIRECTORY, Links::kNever), 0);  // the base itself
  EXPECT_EQ(open("a/missing", O_RDONLY, Links::kNever), -ENOENT);
  EXPECT_EQ(open("a/b/f/below-a-file", O_RDONLY, Links::kNever), -ENOTDIR);
}

TEST_P(OpenBeneath, NeverRefusesEveryLink) {
  link("a", "alias");        // stays inside
  link("b/f", "a/flink");    // a file link, inside
  EXPECT_EQ(open("alias/b/f", O_RDONLY, Links::kNever), -ELOOP);
  EXPECT_EQ(open("alias", O_RDONLY | O_DIRECTORY, Links::kNever), -ELOOP);
  EXPECT_EQ(open("a/flink", O_RDONLY, Links::kNever), -ELOOP);
  // O_PATH | O_NOFOLLOW opens a final link itself.
  EXPECT_EQ(open("a/flink", O_PATH | O_NOFOLLOW, Links::kNever), 0);
  EXPECT_TRUE(S_ISLNK(last_mode_));
}

TEST_P(OpenBeneath, BeneathFollowsOnlyLinksThatStayBeneath) {
  link("a", "alias");
  link("../a/b/f", "a/up");        // leaves a, comes back: stays beneath
  link("../../outside", "a/out");  // leaves the base
  link(dir_ + "/base/a", "abs");   // absolute, even to a folder inside
  link("nowhere", "dangling");
  link("loop2", "loop1");
  link("loop1", "loop2");
  EXPECT_EQ(open("alias/b/f", O_RDONLY, Links::kBeneath), 0);
  EXPECT_EQ(open("a/up", O_RDONLY, Links::kBeneath), 0);
  EXPECT_TRUE(S_ISREG(last_mode_));
  EXPECT_EQ(open("a/out/secret", O_RDONLY, Links::kBeneath), -EXDEV);
  EXPECT_EQ(open("a/out", O_PATH, Links::kBeneath), -EXDEV);
  EXPECT_EQ(open("abs/b/f", O_RDONLY, Links::kBeneath), -EXDEV);
  EXPECT_EQ(open("dangling", O_RDONLY, Links::kBeneath), -ENOENT);
  EXPECT_EQ(open("loop1", O_RDONLY, Links::kBeneath), -ELOOP);
}

TEST_P(OpenBeneath, EnterFolderTellsLinksFromFiles) {
  link("a", "alias");
  int fd = enter_folder(base_.get(), "alias", O_PATH, false);
  EXPECT_EQ(fd, -ELOOP);
  fd = enter_folder(base_.get(), "alias", O_PATH, true);  // mkdirat finds the link: still refused
  EXPECT_EQ(fd, -ELOOP);
  Fd a(enter_folder(base_.get(), "a", O_PATH, false));
  ASSERT_TRUE(a.valid());
  EXPECT_EQ(enter_folder(a.get(), "new", O_RDONLY, false), -ENOENT);
  Fd made(enter_folder(a.get(), "new", O_RDONLY, true));
  EXPECT_TRUE(made.valid());
  EXPECT_TRUE(fs::is_directory(dir_ + "/base/a/new"));
  Fd b(enter_folder(a.get(), "b", O_PATH, false));
  ASSERT_TRUE(b.valid());
  EXPECT_EQ(enter_folder(b.get(), "f", O_PATH, true), -ENOTDIR);
}

INSTANTIATE_TEST_SUITE_P(Methods, OpenBeneath, ::testing::Values(Method::kAuto, Method::kWalk),
                         [](const ::testing::TestParamInfo<Method>& info) {
                           return std::string(info.param == Method::kAuto ? "openat2" : "walk");
                         });

}  // namespace
}  // namespace wrapp::storage::local
