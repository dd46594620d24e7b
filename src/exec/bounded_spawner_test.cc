#include "exec/bounded_spawner.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "exec/test_support.h"

namespace wrapp::exec {
namespace {

using testing::eventually;

// Beyond its limit, the spawner runs a task on the caller's thread instead
// of queueing it: a walk that produces faster than its pages are used is
// slowed down instead of holding them all.
TEST(ExecBoundedSpawner, RunsOnTheCallersThreadWhenTheLimitIsReached) {
  ThreadPool pool("test", 2);
  TaskGroup group(pool, CancellationToken());
  BoundedSpawner spawner(group, 1);
  std::latch release(1);
  std::atomic<bool> first_started{false};
  spawner.run([&] {
    first_started = true;
    release.wait();
  });
  ASSERT_TRUE(eventually([&] { return first_started.load(); }));
  EXPECT_EQ(spawner.in_flight(), 1u);
  std::thread::id ran_on;
  spawner.run([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  release.count_down();
  group.wait();
  // Its place is given back once it has run: the next task is queued again.
  ASSERT_TRUE(eventually([&] { return spawner.in_flight() == 0; }));
  // (A waiter may run a queued task itself, so the test tells a queued task
  // by run() returning before the task went past its gate.)
  std::atomic<bool> gate{false}, queued_ran{false};
  spawner.run([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!gate.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    queued_ran = true;
  });
  EXPECT_FALSE(queued_ran.load()) << "run() ran the task itself below its limit";
  gate = true;
  group.wait();
  EXPECT_TRUE(queued_ran.load());
}

TEST(ExecBoundedSpawner, AnInlineTaskThrowsToTheCallerAndAQueuedOneToWait) {
  ThreadPool pool("test", 1);
  TaskGroup group(pool, CancellationToken());
  BoundedSpawner spawner(group, 1);
  std::latch release(1);
  spawner.run([&] {
    release.wait();
    throw std::runtime_error("queued");
  });
  EXPECT_THROW(spawner.run([] { throw std::logic_error("inline"); }), std::logic_error);
  release.count_down();
  EXPECT_THROW(group.wait(), std::runtime_error);
}

// A task the group drops without running (its token was cancelled) gives
// its place back too.
TEST(ExecBoundedSpawner, ADroppedTaskGivesItsPlaceBack) {
  ThreadPool pool("test", 1);
  CancellationToken token;
  TaskGroup group(pool, token);
  BoundedSpawner spawner(group, 4);
  std::latch release(1);
  std::atomic<int> ran{0};
  std::atomic<bool> started{false};
  spawner.run([&] {
    started = true;
    release.wait();
    ++ran;
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  token.cancel();
  spawner.run([&] { ++ran; });  // dropped: spawned after the cancellation
  release.count_down();
  EXPECT_ANY_THROW(group.wait());
  EXPECT_EQ(ran.load(), 1);
  EXPECT_TRUE(eventually([&] { return spawner.in_flight() == 0; }));
}

}  // namespace
}  // namespace wrapp::exec
