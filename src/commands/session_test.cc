// The Session is what every face sets up: these tests run several commands
// at once on one, as the Python API's asyncio.gather does, with a body of
// plain tasks standing in for a command.
#include "commands/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exec/task_group.h"
#include "model/hash.h"
#include "util/error.h"
#include "util/log.h"
#include "util/test_dir.h"

namespace wrapp::commands {
namespace {

using namespace std::chrono_literals;

SessionOptions small_session() {
  SessionOptions options;
  options.scheduling.jobs = 4;
  options.scheduling.cpu_threads = 2;
  options.scheduling.job_name = "WRAPP";
  return options;
}

// A command body: `tasks` tasks on the io pool, each a few milliseconds of
// work that checks the command's token, counted in the command's job.
void run_tasks(CommandContext& ctx, int tasks) {
  exec::ProgressJob& job = ctx.scheduler.sub_job("work");
  job.add_total(tasks, 0);
  exec::TaskGroup group(ctx.scheduler.io_pool(), ctx.scheduler.token().child(), &job);
  for (int i = 0; i < tasks; ++i) {
    ctx.scheduler.token().throw_if_cancelled();  // stop spawning too
    group.spawn([&] {
      for (int step = 0; step < 5; ++step) {
        ctx.scheduler.token().throw_if_cancelled();
        std::this_thread::sleep_for(1ms);
      }
      job.add_done(1, 0);
    });
  }
  group.wait();
}

TEST(Session, CancellingOneOfTwoConcurrentCommandsStopsOnlyIt) {
  Session session(small_session());
  exec::CancellationToken endless_token = session.new_token();
  std::atomic<bool> endless_started{false};
  auto endless = std::async(std::launch::async, [&] {
    CommandScope command(session, {.token = endless_token, .job_name = "endless"});
    endless_started = true;
    auto started = std::chrono::steady_clock::now();
    try {
      run_tasks(command.context(), 100000);
    } catch (const Cancelled&) {
      return std::chrono::steady_clock::now() - started;
    }
    ADD_FAILURE() << "the endless command was not cancelled";
    return std::chrono::steady_clock::duration{};
  });
  auto finite = std::async(std::launch::async, [&] {
    CommandScope command(session, {.job_name = "finite"});
    run_tasks(command.context(), 200);
    return command.scheduler().root_job().done_tasks();
  });
  while (!endless_started) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  auto cancelled_at = std::chrono::steady_clock::now();
  endless_token.cancel();
  endless.get();
  // Promptly: the running tasks finish their step, the queued ones are dropped.
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 1s);
  EXPECT_EQ(finite.get(), 200u);
  EXPECT_FALSE(session.runtime().token().cancelled());

  auto jobs = session.runtime().root_job().children();
  ASSERT_EQ(jobs.size(), 2u);
  std::map<std::string, exec::ProgressJob*> by_name;
  for (auto* job : jobs) by_name[job->name()] = job;
  EXPECT_EQ(by_name["endless"]->status(), "cancelled");
  EXPECT_TRUE(by_name["endless"]->finished());
  EXPECT_EQ(by_name["finite"]->status(), "");
  EXPECT_TRUE(by_name["finite"]->finished());
  session.finish();
}

TEST(Session, CancellingTheSessionCancelsEveryCommand) {
  Session session(small_session());
  auto run = [&] {
    CommandScope command(session, {.job_name = "endless"});
    EXPECT_THROW(run_tasks(command.context(), 100000), Cancelled);
  };
  auto a = std::async(std::launch::async, run);
  auto b = std::async(std::launch::async, run);
  std::this_thread::sleep_for(20ms);
  session.runtime().token().cancel();
  a.get();
  b.get();
}

TEST(Session, CommandsShareTheThrottles) {
  SessionOptions options = small_session();
  options.scheduling.file_transfer_jobs = 1;
  Session session(options);
  std::atomic<int> in_use{0}, peak{0};
  auto run = [&](std::string name) {
    CommandScope command(session, {.job_name = name});
    auto& ctx = command.context();
    exec::TaskGroup group(ctx.scheduler.io_pool(), ctx.scheduler.token());
    for (int i = 0; i < 10; ++i) {
      group.spawn([&] {
        auto slot = ctx.scheduler.transfers().acquire(ctx.scheduler.token());
        int now = ++in_use;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(1ms);
        --in_use;
      });
    }
    group.wait();
  };
  auto a = std::async(std::launch::async, run, "a");
  auto b = std::async(std::launch::async, run, "b");
  a.get();
  b.get();
  EXPECT_EQ(peak.load(), 1);
}

TEST(Session, LogsToItsOwnLoggerOnEveryThreadOfItsCommands) {
  std::mutex mu;
  std::vector<std::string> records;
  SessionOptions options = small_session();
  options.logging = log::Options{.verbose = true, .to_stderr = false, .callback = [&](log::Level level, std::string_view m) {
                                   std::lock_guard lock(mu);
                                   records.push_back(std::string(log::level_name(level)) + ": " + std::string(m));
                                 }};
  {
    Session session(options);
    CommandScope command(session);
    auto& ctx = command.context();
    log::info("on the calling thread");
    exec::TaskGroup group(ctx.scheduler.io_pool(), ctx.scheduler.token());
    for (int i = 0; i < 3; ++i) {
      group.spawn([&ctx, i] {
        // A nested group: the logger goes down every level.
        exec::TaskGroup nested(ctx.scheduler.cpu_pool(), ctx.scheduler.token());
        nested.spawn([i] { log::warn("task {}", i); });
        nested.wait();
      });
    }
    group.wait();
    log::debug("not recorded without debug");
  }
  // The process's logger is untouched.
  EXPECT_FALSE(log::enabled(log::Level::kDebug));
  std::sort(records.begin(), records.end());
  EXPECT_EQ(records, (std::vector<std::string>{"info: on the calling thread", "warning: task 0", "warning: task 1",
                                               "warning: task 2"}));
}

TEST(Session, SavesTheHashCacheWhenItFinishes) {
  wrapp::testing::TempDir dir("session");
  SessionOptions options = small_session();
  options.hash_cache_file = dir / "hash.cache";
  {
    Session session(options);
    ASSERT_NE(session.hash_cache(), nullptr);
    session.hash_cache()->insert("/a", {1, 2, 3, 4}, model::flat_hash("a", 1));
    EXPECT_FALSE(std::filesystem::exists(options.hash_cache_file));
    session.finish();
  }
  EXPECT_TRUE(std::filesystem::exists(options.hash_cache_file));
}

}  // namespace
}  // namespace wrapp::commands
