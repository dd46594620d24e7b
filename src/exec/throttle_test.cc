#include "exec/throttle.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "exec/test_support.h"

#include "exec/thread_pool.h"
#include "util/error.h"

namespace wrapp::exec {
namespace {

using testing::eventually;

TEST(ExecThrottle, NeverExceedsItsLimitUnderContention) {
  Throttle throttle("file transfers (ftj)", 3);
  CancellationToken token;
  std::atomic<int> holding{0};
  std::atomic<int> peak{0};
  {
    ThreadPool pool("test", 16);
    for (int i = 0; i < 400; ++i) {
      pool.submit([&] {
        Throttle::Slot slot = throttle.acquire(token);
        int now = ++holding;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        for (int i = 0; i < 20; ++i) std::this_thread::yield();  // let others contend
        --holding;
      });
    }
  }
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 1);
  EXPECT_EQ(throttle.in_use(), 0u);
  EXPECT_EQ(throttle.waiting(), 0u);
}

TEST(ExecThrottle, BlocksWhenFullAndResumesOnRelease) {
  Throttle throttle("requests", 1);
  CancellationToken token;
  Throttle::Slot held = throttle.acquire(token);
  EXPECT_EQ(throttle.in_use(), 1u);

  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    Throttle::Slot slot = throttle.acquire(token);
    acquired = true;
  });
  ASSERT_TRUE(eventually([&] { return throttle.waiting() == 1; }));
  EXPECT_FALSE(acquired.load());

  held.release();
  EXPECT_FALSE(held.held());
  waiter.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(throttle.in_use(), 0u);
  EXPECT_EQ(throttle.waiting(), 0u);
}

TEST(ExecThrottle, TryAcquireTakesOnlyFreeUnitsAndNeverBlocks) {
  Throttle throttle("connections", 2);
  CancellationToken token;
  Throttle::Slot first = throttle.try_acquire();
  Throttle::Slot second = throttle.acquire(token);
  EXPECT_TRUE(first.held());
  EXPECT_FALSE(throttle.try_acquire().held());  // full: nothing, at once
  EXPECT_EQ(throttle.in_use(), 2u);
  EXPECT_EQ(throttle.waiting(), 0u);
  first.release();
  Throttle::Slot again = throttle.try_acquire();
  EXPECT_TRUE(again.held());
  EXPECT_EQ(throttle.in_use(), 2u);
}

TEST(ExecThrottle, CancellationWakesWaiters) {
  Throttle throttle("requests", 1);
  CancellationToken token;
  Throttle::Slot held = throttle.acquire(token);

  std::atomic<int> cancelled{0};
  std::thread a([&] {
    try {
      auto slot = throttle.acquire(token);
    } catch (const Cancelled&) {
      ++cancelled;
    }
  });
  std::thread b([&] {
    try {
      auto slot = throttle.acquire(token);
    } catch (const Cancelled&) {
      ++cancelled;
    }
  });
  ASSERT_TRUE(eventually([&] { return throttle.waiting() == 2; }));
  token.cancel();
  a.join();
  b.join();
  EXPECT_EQ(cancelled.load(), 2);
  EXPECT_EQ(throttle.waiting(), 0u);
  EXPECT_EQ(throttle.in_use(), 1u);  // the held slot is unaffected
}

TEST(ExecThrottle, CancelledTokenThrowsEvenWithFreeSlots) {
  Throttle throttle("requests", 5);
  CancellationToken token;
  token.cancel();
  EXPECT_THROW((void)throttle.acquire(token), Cancelled);
  EXPECT_EQ(throttle.in_use(), 0u);
}

TEST(ExecThrottle, SlotsMoveAndReleaseOnce) {
  Throttle throttle("cpu", 2);
  CancellationToken token;
  Throttle::Slot a = throttle.acquire(token);
  Throttle::Slot b = std::move(a);
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(b.held());
  EXPECT_EQ(throttle.in_use(), 1u);
  a = throttle.acquire(token);
  EXPECT_EQ(throttle.in_use(), 2u);
  a = std::move(b);  // releases what a held
  EXPECT_EQ(throttle.in_use(), 1u);
  a.release();
  a.release();
  EXPECT_EQ(throttle.in_use(), 0u);
  EXPECT_EQ(throttle.name(), "cpu");
  EXPECT_EQ(throttle.limit(), 2u);
}

TEST(ExecThrottle, RejectsZeroLimit) {
  EXPECT_THROW(Throttle("requests", 0), FailedCommand);
}

}  // namespace
}  // namespace wrapp::exec
