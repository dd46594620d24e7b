#include "exec/progress.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/error.h"

namespace wrapp::exec {
namespace {

TEST(ExecProgress, TotalsIncludeAllDescendants) {
  ProgressJob root("total");
  ProgressJob* hash = root.add_child("hash");
  ProgressJob* copy = root.add_child("copy");
  ProgressJob* big = copy->add_child("big.usd");
  EXPECT_EQ(hash->parent(), &root);
  EXPECT_EQ(big->parent(), copy);

  hash->add_total(2, 200);
  copy->add_total(1, 50);
  big->add_total(1, 1000);
  root.add_total(1, 0);
  big->add_done(0, 400);
  hash->add_done(2, 200);

  EXPECT_EQ(root.total_tasks(), 5u);
  EXPECT_EQ(root.total_bytes(), 1250u);
  EXPECT_EQ(root.done_tasks(), 2u);
  EXPECT_EQ(root.done_bytes(), 600u);
  EXPECT_EQ(copy->total_tasks(), 2u);
  EXPECT_EQ(copy->total_bytes(), 1050u);
  EXPECT_EQ(copy->done_bytes(), 400u);
  EXPECT_EQ(big->total_bytes(), 1000u);
  EXPECT_EQ(hash->done_tasks(), 2u);

  std::vector<ProgressJob*> children = root.children();
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0]->name(), "hash");
  EXPECT_EQ(children[1]->name(), "copy");
}

TEST(ExecProgress, APassKeepsItsCountsSoEachFileCountsOnce) {
  // An install of 3 files: planning looks at each, then copying copies each.
  ProgressJob root("total");
  ProgressJob* planning = root.add_child("inspect /dest", "planning", JobKind::kPass);
  ProgressJob* hashing = planning->add_child("hash a.usd");  // work of the pass: adds into the pass only
  ProgressJob* copying = root.add_child("install p 1.0", "copying");
  planning->add_total(3, 0);
  planning->add_done(3, 0);
  hashing->add_done(0, 100);
  copying->add_total(3, 300);
  copying->add_done(3, 300);

  EXPECT_EQ(root.total_tasks(), 3u);  // not 6
  EXPECT_EQ(root.done_tasks(), 3u);
  EXPECT_EQ(root.done_bytes(), 300u);
  EXPECT_EQ(planning->done_tasks(), 3u);
  EXPECT_EQ(planning->done_bytes(), 100u);
  EXPECT_EQ(planning->kind(), JobKind::kPass);
  EXPECT_EQ(copying->phase(), "copying");
}

TEST(ExecProgress, TheCurrentPhaseIsTheLatestUnfinishedJobWithOne) {
  ProgressJob root("total");
  EXPECT_EQ(current_phase(root), nullptr);
  ProgressJob* planning = root.add_child("inspect", "planning", JobKind::kPass);
  root.add_child("no phase");
  EXPECT_EQ(current_phase(root), planning);
  ProgressJob* copying = root.add_child("install", "copying");
  ProgressJob* nested = copying->add_child("hash big", "verifying");
  EXPECT_EQ(current_phase(root), nested);
  nested->set_finished();
  EXPECT_EQ(current_phase(root), copying);
  copying->set_finished();
  EXPECT_EQ(current_phase(root), planning);  // never finished: the latest one left
  planning->set_finished();
  EXPECT_EQ(current_phase(root), nullptr);
  EXPECT_LT(planning->sequence(), copying->sequence());
}

TEST(ExecProgress, ConcurrentAddsAreNotLost) {
  ProgressJob root("total");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    ProgressJob* child = root.add_child("worker");
    threads.emplace_back([child] {
      for (int i = 0; i < 10000; ++i) child->add_done(1, 10);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(root.done_tasks(), 80000u);
  EXPECT_EQ(root.done_bytes(), 800000u);
  EXPECT_EQ(root.children().size(), 8u);
}

TEST(ExecProgress, StatusAndFinish) {
  ProgressJob job("copy");
  EXPECT_EQ(job.status(), "");
  EXPECT_FALSE(job.finished());
  job.set_status("scanning");
  EXPECT_EQ(job.status(), "scanning");
  job.set_finished();
  EXPECT_TRUE(job.finished());
  double frozen = job.elapsed_seconds();
  EXPECT_GE(frozen, 0.0);
  job.set_finished();
  EXPECT_EQ(job.elapsed_seconds(), frozen);
  EXPECT_LE(job.start_time(), ProgressJob::Clock::now());
}

TEST(ExecProgress, ParsesVerbosity) {
  EXPECT_EQ(parse_progress_verbosity("off"), ProgressVerbosity::kOff);
  EXPECT_EQ(parse_progress_verbosity("normal"), ProgressVerbosity::kNormal);
  EXPECT_EQ(parse_progress_verbosity("verbose"), ProgressVerbosity::kVerbose);
  EXPECT_THROW(parse_progress_verbosity("loud"), FailedCommand);
  EXPECT_THROW(parse_progress_verbosity(""), FailedCommand);
  EXPECT_THROW(parse_progress_verbosity("Normal"), FailedCommand);
  for (auto v : {ProgressVerbosity::kOff, ProgressVerbosity::kNormal, ProgressVerbosity::kVerbose}) {
    EXPECT_EQ(parse_progress_verbosity(to_string(v)), v);
  }
}

}  // namespace
}  // namespace wrapp::exec
