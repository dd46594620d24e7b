#include "exec/progress_sink.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "exec/scheduler.h"
#include "exec/task_group.h"
#include "exec/test_support.h"

namespace wrapp::exec {
namespace {

// Records every snapshot it is given, as a Python progress callback would.
class RecordingSink {
 public:
  ProgressSinkFactory factory() {
    return PeriodicProgressReporter::factory(std::chrono::duration<double>(0), [this](const ProgressSnapshot& s) {
      std::lock_guard lock(mu_);
      snapshots_.push_back(s);
    });
  }
  std::vector<ProgressSnapshot> snapshots() {
    std::lock_guard lock(mu_);
    return snapshots_;
  }

 private:
  std::mutex mu_;
  std::vector<ProgressSnapshot> snapshots_;
};

const ProgressSnapshot* find_job(const ProgressSnapshot& s, const std::string& name) {
  if (s.name == name) return &s;
  for (const auto& child : s.sub_jobs) {
    if (const auto* found = find_job(child, name)) return found;
  }
  return nullptr;
}

// Each counter of each job never decreases from one snapshot to the next,
// and done never exceeds total.
void expect_never_backwards(const std::vector<ProgressSnapshot>& snapshots, const std::string& job) {
  const ProgressSnapshot* previous = nullptr;
  for (const auto& root : snapshots) {
    const ProgressSnapshot* s = find_job(root, job);
    if (!s) continue;
    EXPECT_LE(s->done_tasks, s->total_tasks);
    EXPECT_LE(s->done_bytes, s->total_bytes);
    if (previous) {
      EXPECT_GE(s->done_tasks, previous->done_tasks) << job;
      EXPECT_GE(s->done_bytes, previous->done_bytes) << job;
      EXPECT_GE(s->total_tasks, previous->total_tasks) << job;
      EXPECT_GE(s->total_bytes, previous->total_bytes) << job;
    }
    previous = s;
  }
}

TEST(ExecProgressSink, SnapshotsNeverRunBackwardsAndEndFinished) {
  RecordingSink sink;
  constexpr int kFiles = 40;
  {
    Scheduler scheduler(SchedulerOptions{
        .jobs = 4, .file_transfer_jobs = 2, .cpu_threads = 2, .job_name = "WRAPP", .progress_sinks = {sink.factory()}});
    ProgressJob& copy = scheduler.sub_job("copy");
    copy.add_total(kFiles, kFiles * 100);
    TaskGroup files(scheduler.io_pool(), scheduler.token(), &copy);
    for (int f = 0; f < kFiles; ++f) {
      files.spawn([&] {
        Throttle::Slot slot = scheduler.transfers().acquire(scheduler.token());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        copy.add_done(1, 100);
      });
    }
    files.wait();
    // At least one report came while the work ran.
    EXPECT_TRUE(testing::eventually([&] { return !sink.snapshots().empty(); }));
  }
  auto snapshots = sink.snapshots();
  ASSERT_GE(snapshots.size(), 2u);
  expect_never_backwards(snapshots, "WRAPP");
  expect_never_backwards(snapshots, "copy");
  const ProgressSnapshot& last = snapshots.back();
  EXPECT_EQ(last.name, "WRAPP");
  EXPECT_TRUE(last.finished);
  EXPECT_EQ(last.done_tasks, static_cast<uint64_t>(kFiles));
  EXPECT_EQ(last.done_bytes, last.total_bytes);
  ASSERT_EQ(last.sub_jobs.size(), 1u);
  EXPECT_EQ(last.sub_jobs[0].name, "copy");
  EXPECT_TRUE(last.sub_jobs[0].finished);
  // The shared throttles are reported with the root, idle at the end.
  ASSERT_GE(last.resources.size(), 2u);
  EXPECT_EQ(last.resources[0].name, "file transfers (ftj)");
  EXPECT_EQ(last.resources[0].limit, 2u);
  EXPECT_EQ(last.resources[0].processing, 0u);
  EXPECT_EQ(last.resources[0].waiting, 0u);
}

TEST(ExecProgressSink, ReportsWhileATaskHoldsAResource) {
  RecordingSink sink;
  std::atomic<bool> release{false};
  {
    Scheduler scheduler(SchedulerOptions{.jobs = 2, .file_transfer_jobs = 1, .progress_sinks = {sink.factory()}});
    TaskGroup group(scheduler.io_pool(), scheduler.token());
    group.spawn([&] {
      Throttle::Slot slot = scheduler.transfers().acquire(scheduler.token());
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    EXPECT_TRUE(testing::eventually([&] {
      for (const auto& s : sink.snapshots()) {
        if (!s.resources.empty() && s.resources[0].processing == 1) return true;
      }
      return false;
    }));
    release = true;
    group.wait();
  }
}

TEST(ExecProgressSink, AThrowingCallbackDoesNotStopTheWork) {
  std::atomic<int> calls{0};
  {
    Scheduler scheduler(SchedulerOptions{
        .jobs = 2,
        .progress_sinks = {PeriodicProgressReporter::factory(std::chrono::duration<double>(0),
                                                             [&](const ProgressSnapshot&) {
                                                               ++calls;
                                                               throw std::runtime_error("callback broke");
                                                             })}});
    EXPECT_TRUE(testing::eventually([&] { return calls >= 2; }));
  }
  EXPECT_GE(calls.load(), 3);  // and the final report
}

}  // namespace
}  // namespace wrapp::exec
