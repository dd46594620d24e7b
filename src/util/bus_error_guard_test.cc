#include "util/bus_error_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "util/test_dir.h"

namespace wrapp::util {
namespace {

// A file of three pages, mapped, then truncated to one: its second and third
// pages raise SIGBUS when touched.
class TruncatedMapping {
 public:
  explicit TruncatedMapping(const std::string& path) {
    page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(3 * page_)) != 0) throw std::runtime_error("cannot create");
    void* map = ::mmap(nullptr, 3 * page_, PROT_READ, MAP_SHARED, fd_, 0);
    if (map == MAP_FAILED) throw std::runtime_error("cannot map");
    base_ = static_cast<const char*>(map);
    if (::ftruncate(fd_, static_cast<off_t>(page_)) != 0) throw std::runtime_error("cannot truncate");
  }
  ~TruncatedMapping() {
    ::munmap(const_cast<char*>(base_), 3 * page_);
    ::close(fd_);
  }
  const char* base() const { return base_; }
  size_t page() const { return page_; }

 private:
  int fd_ = -1;
  size_t page_ = 0;
  const char* base_ = nullptr;
};

struct Touch {
  const char* at;
  int seen = 0;
};

void touch(void* arg) {
  auto* t = static_cast<Touch*>(arg);
  t->seen = *reinterpret_cast<const volatile char*>(t->at);
}

TEST(BusErrorGuard, AFunctionThatReturnsGivesTrue) {
  int called = 0;
  EXPECT_TRUE(run_catching_bus_error(&called, sizeof called, [](void* arg) { ++*static_cast<int*>(arg); }, &called));
  EXPECT_EQ(called, 1);
}

TEST(BusErrorGuard, TouchingAPagePastTheEndOfATruncatedFileGivesFalse) {
  wrapp::testing::TempDir tmp("bus");
  TruncatedMapping mapping(tmp / "file");
  Touch inside{mapping.base()};
  EXPECT_TRUE(run_catching_bus_error(mapping.base(), 3 * mapping.page(), touch, &inside));
  // Twice: the jump must leave SIGBUS unblocked and the guard cleared.
  for (int i = 0; i < 2; ++i) {
    Touch past{mapping.base() + mapping.page() + 10};
    EXPECT_FALSE(run_catching_bus_error(mapping.base(), 3 * mapping.page(), touch, &past));
  }
  sigset_t mask;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &mask), 0);
  EXPECT_FALSE(sigismember(&mask, SIGBUS));
}

TEST(BusErrorGuard, AnExceptionLeavesAsUsualAndClearsTheGuard) {
  auto thrower = [](void*) { throw std::runtime_error("from fn"); };
  EXPECT_THROW(run_catching_bus_error(nullptr, 0, thrower, nullptr), std::runtime_error);
  wrapp::testing::TempDir tmp("bus");
  TruncatedMapping mapping(tmp / "file");
  Touch past{mapping.base() + 2 * mapping.page()};
  EXPECT_FALSE(run_catching_bus_error(mapping.base(), 3 * mapping.page(), touch, &past));
}

TEST(BusErrorGuard, ThreadsCatchTheirOwnFaults) {
  wrapp::testing::TempDir tmp("bus");
  TruncatedMapping first(tmp / "first");
  TruncatedMapping second(tmp / "second");
  bool caught[2] = {true, true};
  std::thread a([&] {
    for (int i = 0; i < 200; ++i) {
      Touch past{first.base() + first.page()};
      caught[0] = caught[0] && !run_catching_bus_error(first.base(), 3 * first.page(), touch, &past);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 200; ++i) {
      Touch past{second.base() + 2 * second.page()};
      caught[1] = caught[1] && !run_catching_bus_error(second.base(), 3 * second.page(), touch, &past);
    }
  });
  a.join();
  b.join();
  EXPECT_TRUE(caught[0]);
  EXPECT_TRUE(caught[1]);
}

// A fault outside the guarded range, or with no guard at all, is not
// swallowed: the process dies of it as it would without the handler (killed
// by SIGBUS, or, under a sanitizer whose handler was there first, after its
// report).
bool died(int status) { return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0); }

TEST(BusErrorGuardDeathTest, AFaultOutsideTheGuardedRangeStillKillsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  wrapp::testing::TempDir tmp("bus");
  TruncatedMapping mapping(tmp / "file");
  EXPECT_EXIT(
      {
        Touch past{mapping.base() + 2 * mapping.page()};
        // Guards the first page only: the third is not its business.
        run_catching_bus_error(mapping.base(), mapping.page(), touch, &past);
      },
      died, "");
  EXPECT_EXIT(
      {
        int ignored = 0;
        run_catching_bus_error(&ignored, 1, [](void*) {}, nullptr);  // the handler is installed
        Touch past{mapping.base() + mapping.page()};
        touch(&past);
      },
      died, "");
}

}  // namespace
}  // namespace wrapp::util
