#include "exec/scheduler.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "exec/task_group.h"
#include "util/error.h"

namespace wrapp::exec {
namespace {

TEST(ExecScheduler, SizesComeFromOptions) {
  Scheduler scheduler(SchedulerOptions{.jobs = 7, .file_transfer_jobs = 3, .cpu_threads = 2});
  EXPECT_EQ(scheduler.io_pool().max_threads(), 7u);
  EXPECT_EQ(scheduler.cpu_pool().max_threads(), 2u);
  EXPECT_EQ(scheduler.requests().limit(), 7u);
  EXPECT_EQ(scheduler.transfers().limit(), 3u);
  EXPECT_EQ(scheduler.io_pool().thread_count(), 0u);  // nothing started yet
}

TEST(ExecScheduler, Defaults) {
  Scheduler scheduler(SchedulerOptions{});
  EXPECT_EQ(scheduler.io_pool().max_threads(), 200u);
  EXPECT_EQ(scheduler.transfers().limit(), 50u);
  size_t cores = std::thread::hardware_concurrency();
  EXPECT_EQ(scheduler.cpu_pool().max_threads(), cores == 0 ? 1u : cores);
}

TEST(ExecScheduler, RejectsZeroLimits) {
  EXPECT_THROW(Scheduler(SchedulerOptions{.jobs = 0}), FailedCommand);
  EXPECT_THROW(Scheduler(SchedulerOptions{.file_transfer_jobs = 0}), FailedCommand);
}

TEST(ExecScheduler, SubJobsAreChildrenOfTheRoot) {
  Scheduler scheduler(SchedulerOptions{.jobs = 2});
  ProgressJob& copy = scheduler.sub_job("copy");
  EXPECT_EQ(copy.parent(), &scheduler.root_job());
  copy.add_total(3, 30);
  EXPECT_EQ(scheduler.root_job().total_tasks(), 3u);
  EXPECT_EQ(scheduler.root_job().total_bytes(), 30u);
  EXPECT_NE(&scheduler.sub_job("copy"), &copy);
}

TEST(ExecScheduler, TokenIsShared) {
  Scheduler scheduler(SchedulerOptions{.jobs = 2});
  scheduler.token().cancel();
  EXPECT_TRUE(scheduler.token().cancelled());
}

TEST(ExecScheduler, FinalLineSaysCancelled) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Scheduler scheduler(SchedulerOptions{
        .jobs = 2, .progress = ProgressVerbosity::kNormal, .progress_output = out});
    scheduler.sub_job("copy").add_total(5, 0);
    scheduler.token().cancel();
  }
  std::fflush(out);
  std::rewind(out);
  char buffer[1024] = {};
  std::string text(buffer, std::fread(buffer, 1, sizeof buffer - 1, out));
  EXPECT_EQ(text.rfind("cancelled: 0/5 files, 0 B/0 B in ", 0), 0u) << text;
  std::fclose(out);
}

// What a copy command does: per-file tasks on the io pool take a transfer
// slot, split the file into chunks hashed on the cpu pool, and report bytes.
TEST(ExecScheduler, RunsACopyShapedWorkload) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    Scheduler scheduler(SchedulerOptions{.jobs = 4,
                                         .file_transfer_jobs = 2,
                                         .cpu_threads = 2,
                                         .progress = ProgressVerbosity::kNormal,
                                         .progress_output = out});
    ProgressJob& copy = scheduler.sub_job("copy");
    constexpr int kFiles = 20;
    constexpr int kChunks = 4;
    copy.add_total(kFiles, kFiles * kChunks * 1024);  // the plan, before any transfer
    std::atomic<int> peak_transfers{0};
    TaskGroup files(scheduler.io_pool(), scheduler.token(), &copy);
    for (int f = 0; f < kFiles; ++f) {
      files.spawn([&] {
        Throttle::Slot slot = scheduler.transfers().acquire(scheduler.token());
        int in_use = static_cast<int>(scheduler.transfers().in_use());
        int seen = peak_transfers.load();
        while (in_use > seen && !peak_transfers.compare_exchange_weak(seen, in_use)) {
        }
        TaskGroup chunks(scheduler.cpu_pool(), scheduler.token());
        for (int c = 0; c < kChunks; ++c) chunks.spawn([&] { copy.add_done(0, 1024); });
        chunks.wait();
        copy.add_done(1, 0);
      });
    }
    files.wait();
    EXPECT_TRUE(copy.finished());
    EXPECT_EQ(scheduler.root_job().done_tasks(), static_cast<uint64_t>(kFiles));
    EXPECT_EQ(scheduler.root_job().done_bytes(), scheduler.root_job().total_bytes());
    EXPECT_LE(peak_transfers.load(), 2);
  }
  std::fflush(out);
  std::rewind(out);
  char buffer[1024] = {};
  size_t n = std::fread(buffer, 1, sizeof buffer - 1, out);
  std::string text(buffer, n);
  // A run this short shows no progress, so it ends without a summary line.
  EXPECT_EQ(text.find("done:"), std::string::npos) << text;
  std::fclose(out);
}

}  // namespace
}  // namespace wrapp::exec
