#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "util/error.h"
#include "util/test_dir.h"

namespace wrapp::util {
namespace {

class MappedFileTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return tmp_ / name; }
  void write(const std::string& name, const std::string& text) { std::ofstream(path(name)) << text; }
  wrapp::testing::TempDir tmp_{"mapped"};
  const std::string& dir_ = tmp_.path();
};

TEST_F(MappedFileTest, OpenFdMapsTheOpenFileAndOutlivesTheDescriptor) {
  write("doc", "{\"a\": 1}");
  int fd = ::open(path("doc").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  MappedFile mapped = MappedFile::open_fd(fd, "doc");
  ::close(fd);
  // Replaced by name (as wrapp replaces documents): the mapping keeps the old file.
  ASSERT_EQ(::unlink(path("doc").c_str()), 0);
  write("doc", "other");
  EXPECT_EQ(mapped.data(), "{\"a\": 1}");
}

TEST_F(MappedFileTest, OpenFdOfAnEmptyFile) {
  write("empty", "");
  int fd = ::open(path("empty").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(MappedFile::open_fd(fd, "empty").data(), "");
  ::close(fd);
}

TEST_F(MappedFileTest, OpenFdRefusesFoldersAndFifos) {
  int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  EXPECT_THROW(MappedFile::open_fd(dir, dir_), FailedCommand);
  ::close(dir);
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_THROW(MappedFile::open(path("fifo")), FailedCommand);  // refused, without waiting for a writer
}

TEST_F(MappedFileTest, OpenByPathReportsAbsence) {
  EXPECT_EQ(MappedFile::open(path("missing")), std::nullopt);
  write("present", "text");
  auto mapped = MappedFile::open(path("present"));
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->data(), "text");
}

}  // namespace
}  // namespace wrapp::util
