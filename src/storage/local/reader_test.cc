// The local Reader's in-place visits (mapped pages) when the file under them
// shrinks: an error naming the file, never a crash; and its in_memory hint.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "storage/local/backend.h"
#include "util/error.h"
#include "util/test_data.h"
#include "util/test_dir.h"

namespace wrapp::storage {
namespace {

class LocalReaderInPlace : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(tmp_ / "file", std::ios::binary) << data_;
    reader_ = store_.open_read(Url::from_local_path(tmp_ / "file"));
    ASSERT_TRUE(reader_);
  }
  // `visit` fails with the error that names the file and says why.
  template <class Fn>
  void expect_changed_size(Fn visit) {
    try {
      visit();
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("changed size while being read"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(tmp_ / "file"), std::string::npos) << e.what();
    }
  }
  void truncate_to(size_t size) { ASSERT_EQ(::truncate((tmp_ / "file").c_str(), static_cast<off_t>(size)), 0); }

  wrapp::testing::TempDir tmp_{"reader"};
  std::string data_ = wrapp::testing::pattern(5 * 4096 + 7, 3);
  LocalStorage store_;
  std::unique_ptr<Reader> reader_;
};

struct Sum {
  uint64_t total = 0;
};

void sum_bytes(const char* data, size_t len, void* arg) {
  auto* sum = static_cast<Sum*>(arg);
  for (size_t i = 0; i < len; ++i) sum->total += static_cast<unsigned char>(data[i]);
}

uint64_t sum_of(const std::string& s) {
  Sum sum;
  sum_bytes(s.data(), s.size(), &sum);
  return sum.total;
}

TEST_F(LocalReaderInPlace, VisitsTheFilesPages) {
  Sum sum;
  ASSERT_TRUE(reader_->visit_in_place(0, data_.size(), sum_bytes, &sum));
  EXPECT_EQ(sum.total, sum_of(data_));
}

// Pages past the new end are not in the page cache: the range is declined
// and the caller's read finds the file short.
TEST_F(LocalReaderInPlace, AFileThatShrankBeforeTheVisitIsDeclined) {
  truncate_to(4096);
  Sum sum;
  EXPECT_FALSE(reader_->visit_in_place(0, data_.size(), sum_bytes, &sum));
  EXPECT_EQ(sum.total, 0u);
}

// A range not wholly in the page cache is read instead (the fault path's
// small synchronous reads would be slower than read's read-ahead).
TEST_F(LocalReaderInPlace, ARangeNotInThePageCacheIsDeclined) {
  int fd = ::open((tmp_ / "file").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  // Whether the file system dropped them (tmpfs keeps its pages), as the
  // kernel tells it.
  void* map = ::mmap(nullptr, data_.size(), PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  std::vector<unsigned char> resident((data_.size() + 4095) / 4096);
  ASSERT_EQ(::mincore(map, data_.size(), resident.data()), 0);
  ::munmap(map, data_.size());
  ::close(fd);
  if (resident[2] & 1) GTEST_SKIP() << "this file system keeps clean pages in memory";
  Sum sum;
  EXPECT_FALSE(reader_->visit_in_place(0, data_.size(), sum_bytes, &sum));
  EXPECT_EQ(sum.total, 0u);
}

// in_memory tells a file just written (its pages in the page cache) from
// one whose pages were dropped, and reads nothing to tell.
TEST_F(LocalReaderInPlace, InMemoryTellsWhetherTheBytesAreInThePageCache) {
  EXPECT_TRUE(reader_->in_memory(0, data_.size()));
  EXPECT_TRUE(reader_->in_memory(4096 + 3, 100));
  int fd = ::open((tmp_ / "file").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
  if (reader_->in_memory(2 * 4096, 4096)) GTEST_SKIP() << "this file system keeps clean pages in memory";
  EXPECT_FALSE(reader_->in_memory(0, data_.size()));
  EXPECT_FALSE(reader_->in_memory(4096 + 3, 100)) << "asking read nothing in";
  // A read brings its pages back.
  std::string back(data_.size(), '\0');
  ASSERT_EQ(reader_->read_at(0, back.data(), back.size()), data_.size());
  EXPECT_TRUE(reader_->in_memory(0, data_.size()));
}

// The file shrinks while the visitor walks its pages (another program
// truncating it in place): the visit stops with the same error.
TEST_F(LocalReaderInPlace, AFileThatShrinksDuringTheVisitIsAnError) {
  struct Shrinking {
    std::string path;
    Sum sum;
  } shrinking{tmp_ / "file"};
  auto visit = [](const char* data, size_t len, void* arg) {
    auto* s = static_cast<Shrinking*>(arg);
    if (::truncate(s->path.c_str(), 100) != 0) return;
    sum_bytes(data, len, &s->sum);
  };
  expect_changed_size([&] { reader_->visit_in_place(0, data_.size(), visit, &shrinking); });
  // The thread goes on hashing other files as before.
  std::ofstream(tmp_ / "other", std::ios::binary) << data_;
  auto other = store_.open_read(Url::from_local_path(tmp_ / "other"));
  Sum sum;
  ASSERT_TRUE(other->visit_in_place(4096, data_.size() - 4096, sum_bytes, &sum));
  EXPECT_EQ(sum.total, sum_of(data_.substr(4096)));
}

// Cut within the last page, the file faults nowhere (the page's tail reads
// as zeros): the visit still fails, by the file's size.
TEST_F(LocalReaderInPlace, AFileCutWithinItsLastPageDuringTheVisitIsAnError) {
  struct Cutting {
    std::string path;
    off_t to;
    Sum sum;
  } cutting{tmp_ / "file", static_cast<off_t>(data_.size() - 3)};
  auto visit = [](const char* data, size_t len, void* arg) {
    auto* c = static_cast<Cutting*>(arg);
    if (::truncate(c->path.c_str(), c->to) != 0) return;
    sum_bytes(data, len, &c->sum);
  };
  expect_changed_size([&] { reader_->visit_in_place(0, data_.size(), visit, &cutting); });
}

}  // namespace
}  // namespace wrapp::storage
