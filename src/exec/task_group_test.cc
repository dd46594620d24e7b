#include "exec/task_group.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "exec/test_support.h"

#include "util/error.h"

namespace wrapp::exec {
namespace {

using testing::eventually;

TEST(ExecTaskGroup, RunsAllTasks) {
  ThreadPool pool("test", 4);
  std::atomic<int> count{0};
  TaskGroup group(pool, CancellationToken());
  for (int i = 0; i < 500; ++i) group.spawn([&] { ++count; });
  group.wait();
  EXPECT_EQ(count.load(), 500);
}

TEST(ExecTaskGroup, TasksMaySpawnIntoTheirOwnGroup) {
  ThreadPool pool("test", 2);
  std::atomic<int> count{0};
  TaskGroup group(pool, CancellationToken());
  // A binary tree of depth 7: 127 tasks, most spawned by other tasks.
  std::function<void(int)> node = [&](int depth) {
    ++count;
    if (depth == 1) return;
    group.spawn([&, depth] { node(depth - 1); });
    group.spawn([&, depth] { node(depth - 1); });
  };
  group.spawn([&] { node(7); });
  group.wait();
  EXPECT_EQ(count.load(), 127);
}

TEST(ExecTaskGroup, FirstErrorCancelsSiblingsAndIsRethrown) {
  ThreadPool pool("test", 4);
  CancellationToken token;
  TaskGroup group(pool, token);
  std::latch siblings_started(3);
  std::atomic<int> stopped_early{0};
  for (int i = 0; i < 3; ++i) {
    group.spawn([&] {
      siblings_started.count_down();
      // Would run for 2 s if nobody cancelled; the test takes milliseconds.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (std::chrono::steady_clock::now() < deadline) {
        if (token.cancelled()) ++stopped_early;
        token.throw_if_cancelled();
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    });
  }
  group.spawn([&] {
    siblings_started.wait();
    throw StorageError("cannot read 'a.usd': boom");
  });
  try {
    group.wait();
    FAIL() << "wait() did not throw";
  } catch (const StorageError& e) {
    // The original error, not the Cancelled its siblings threw.
    EXPECT_STREQ(e.what(), "cannot read 'a.usd': boom");
  }
  EXPECT_EQ(stopped_early.load(), 3);
  EXPECT_TRUE(token.cancelled());
}

TEST(ExecTaskGroup, TasksQueuedAfterAFailureAreDropped) {
  ThreadPool pool("test", 2);
  CancellationToken token;
  TaskGroup group(pool, token);
  group.spawn([] { throw FailedCommand("conflict"); });
  ASSERT_TRUE(eventually([&] { return token.cancelled(); }));
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) group.spawn([&] { ++ran; });
  EXPECT_THROW(group.wait(), FailedCommand);
  EXPECT_EQ(ran.load(), 0);
}

TEST(ExecTaskGroup, RealErrorWinsOverEarlierCancelled) {
  ThreadPool pool("test", 2);
  CancellationToken token;
  TaskGroup group(pool, token);
  std::latch late_started(1);
  group.spawn([&] {
    late_started.count_down();
    while (!token.cancelled()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    throw StorageError("late");
  });
  group.spawn([&] {
    late_started.wait();
    throw Cancelled();
  });
  try {
    group.wait();
    FAIL() << "wait() did not throw";
  } catch (const StorageError& e) {
    EXPECT_STREQ(e.what(), "late");
  }
}

TEST(ExecTaskGroup, ExternalCancellationDropsWorkAndReportsCancelled) {
  ThreadPool pool("test", 2);
  CancellationToken token;
  token.cancel();
  std::atomic<int> ran{0};
  TaskGroup group(pool, token);
  for (int i = 0; i < 5; ++i) group.spawn([&] { ++ran; });
  EXPECT_THROW(group.wait(), Cancelled);
  EXPECT_EQ(ran.load(), 0);
}

// A per-file task splits its file into chunks and waits for them, on the
// same pool, three levels deep. With one or two threads every thread ends up
// waiting; wait() must run the queued work itself.
class ExecTaskGroupNesting : public ::testing::TestWithParam<size_t> {};

TEST_P(ExecTaskGroupNesting, NestedWaitsOnTheSamePoolDoNotDeadlock) {
  ThreadPool pool("test", GetParam());
  CancellationToken token;
  std::atomic<int> leaves{0};
  TaskGroup files(pool, token);
  for (int f = 0; f < 6; ++f) {
    files.spawn([&] {
      TaskGroup chunks(pool, token);
      for (int c = 0; c < 5; ++c) {
        chunks.spawn([&] {
          TaskGroup blocks(pool, token);
          for (int b = 0; b < 4; ++b) blocks.spawn([&] { ++leaves; });
          blocks.wait();
        });
      }
      chunks.wait();
    });
  }
  files.wait();
  EXPECT_EQ(leaves.load(), 6 * 5 * 4);
}

INSTANTIATE_TEST_SUITE_P(ExecPoolSizes, ExecTaskGroupNesting, ::testing::Values(1, 2));

TEST(ExecTaskGroup, NestedWaitsAcrossPoolsDoNotDeadlock) {
  // io task -> hashing on cpu -> back to io, each pool with one thread.
  ThreadPool io("io", 1);
  ThreadPool cpu("cpu", 1);
  CancellationToken token;
  std::atomic<int> leaves{0};
  TaskGroup files(io, token);
  for (int f = 0; f < 4; ++f) {
    files.spawn([&] {
      TaskGroup hashes(cpu, token);
      for (int c = 0; c < 3; ++c) {
        hashes.spawn([&] {
          TaskGroup reads(io, token);
          for (int r = 0; r < 2; ++r) reads.spawn([&] { ++leaves; });
          reads.wait();
        });
      }
      hashes.wait();
    });
  }
  files.wait();
  EXPECT_EQ(leaves.load(), 4 * 3 * 2);
}

TEST(ExecTaskGroup, NestedErrorReachesTheOuterWait) {
  ThreadPool pool("test", 1);
  CancellationToken token;
  TaskGroup outer(pool, token);
  outer.spawn([&] {
    TaskGroup inner(pool, token.child());
    inner.spawn([] { throw StorageError("disk full"); });
    inner.wait();
  });
  try {
    outer.wait();
    FAIL() << "wait() did not throw";
  } catch (const StorageError& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
}

TEST(ExecTaskGroup, DestructorWaitsForRunningTasks) {
  ThreadPool pool("test", 4);
  std::atomic<int> finished{0};
  {
    TaskGroup group(pool, CancellationToken());
    for (int i = 0; i < 8; ++i) {
      group.spawn([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ++finished;
      });
    }
  }
  EXPECT_EQ(finished.load(), 8);
}

TEST(ExecTaskGroup, DestructorDuringUnwindingDropsQueuedTasks) {
  std::latch release(1);
  ThreadPool pool("test", 1);
  pool.submit([&] { release.wait(); });  // keeps the only thread busy
  std::atomic<int> ran{0};
  try {
    TaskGroup group(pool, CancellationToken());
    group.spawn([&] { ++ran; });
    throw std::runtime_error("spawner failed");
  } catch (const std::runtime_error&) {
  }
  release.count_down();
  EXPECT_EQ(ran.load(), 0);
}

TEST(ExecTaskGroup, MarksItsProgressJob) {
  ThreadPool pool("test", 2);
  ProgressJob root("total");
  ProgressJob* ok_job = root.add_child("ok");
  ProgressJob* bad_job = root.add_child("bad");
  {
    TaskGroup group(pool, CancellationToken(), ok_job);
    group.spawn([] {});
    group.wait();
  }
  EXPECT_TRUE(ok_job->finished());
  EXPECT_EQ(ok_job->status(), "");
  {
    TaskGroup group(pool, CancellationToken(), bad_job);
    group.spawn([] { throw FailedCommand("no"); });
    EXPECT_THROW(group.wait(), FailedCommand);
  }
  EXPECT_TRUE(bad_job->finished());
  EXPECT_EQ(bad_job->status(), "failed");
}

}  // namespace
}  // namespace wrapp::exec
