#include "exec/thread_pool.h"

#include <atomic>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp::exec {
namespace {

TEST(ExecThreadPool, RunsAllTasks) {
  std::atomic<int> count{0};
  {
    ThreadPool pool("test", 4);
    for (int i = 0; i < 1000; ++i) pool.submit([&] { ++count; });
  }  // the destructor runs what is still queued
  EXPECT_EQ(count.load(), 1000);
}

TEST(ExecThreadPool, StartsNoThreadBeforeWorkArrives) {
  ThreadPool pool("test", 200);
  EXPECT_EQ(pool.max_threads(), 200u);
  EXPECT_EQ(pool.thread_count(), 0u);
}

TEST(ExecThreadPool, GrowsOnlyAsFarAsConcurrentWorkNeeds) {
  std::latch all_started(3);
  std::latch release(1);
  ThreadPool pool("test", 200);
  // Three tasks that can only finish together need exactly three threads.
  for (int i = 0; i < 3; ++i) {
    pool.submit([&] {
      all_started.count_down();
      release.wait();
    });
  }
  all_started.wait();
  EXPECT_EQ(pool.thread_count(), 3u);
  release.count_down();
}

TEST(ExecThreadPool, NeverExceedsMaxThreads) {
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  {
    ThreadPool pool("test", 2);
    for (int i = 0; i < 200; ++i) {
      pool.submit([&] {
        int now = ++running;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        for (int i = 0; i < 20; ++i) std::this_thread::yield();  // let others contend
        --running;
      });
    }
    EXPECT_LE(pool.thread_count(), 2u);
  }
  EXPECT_LE(peak.load(), 2);
  EXPECT_GE(peak.load(), 1);
}

TEST(ExecThreadPool, RunsTasksSubmittedWhileShuttingDown) {
  std::atomic<int> count{0};
  {
    ThreadPool pool("test", 1);
    pool.submit([&] {
      ++count;
      pool.submit([&] { ++count; });
    });
  }
  EXPECT_EQ(count.load(), 2);
}

TEST(ExecThreadPool, RejectsZeroThreads) {
  EXPECT_THROW(ThreadPool("test", 0), FailedCommand);
}

}  // namespace
}  // namespace wrapp::exec
