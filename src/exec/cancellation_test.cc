#include "exec/cancellation.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exec/test_support.h"

#include "util/error.h"

namespace wrapp::exec {
namespace {

using testing::eventually;

TEST(ExecCancellation, CopiesShareState) {
  CancellationToken token;
  CancellationToken copy = token;
  EXPECT_FALSE(copy.cancelled());
  EXPECT_NO_THROW(copy.throw_if_cancelled());
  token.cancel();
  EXPECT_TRUE(copy.cancelled());
  EXPECT_THROW(copy.throw_if_cancelled(), Cancelled);
  token.cancel();  // idempotent
  EXPECT_TRUE(token.cancelled());
}

TEST(ExecCancellation, ChildFollowsParentButNotTheOtherWay) {
  CancellationToken parent;
  CancellationToken a = parent.child();
  CancellationToken b = parent.child();
  CancellationToken grandchild = a.child();
  a.cancel();
  EXPECT_TRUE(grandchild.cancelled());
  EXPECT_FALSE(parent.cancelled());
  EXPECT_FALSE(b.cancelled());
  parent.cancel();
  EXPECT_TRUE(b.cancelled());
  EXPECT_TRUE(parent.child().cancelled());  // born cancelled
}

TEST(ExecCancellation, ManyShortLivedChildrenLeaveNoCallbacksBehind) {
  CancellationToken parent;
  std::atomic<int> runs{0};
  auto keep = parent.on_cancel([&] { ++runs; });
  for (int i = 0; i < 1000; ++i) {
    CancellationToken child = parent.child();
    (void)child;
  }
  parent.cancel();
  EXPECT_EQ(runs.load(), 1);
}

TEST(ExecCancellation, CallbacksRunOnceOnCancel) {
  CancellationToken token;
  int first = 0;
  int second = 0;
  auto r1 = token.on_cancel([&] { ++first; });
  auto r2 = token.on_cancel([&] { ++second; });
  token.cancel();
  token.cancel();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(ExecCancellation, CallbackRunsAtOnceWhenAlreadyCancelled) {
  CancellationToken token;
  token.cancel();
  int runs = 0;
  auto r = token.on_cancel([&] { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(ExecCancellation, DroppedRegistrationDoesNotRun) {
  CancellationToken token;
  int runs = 0;
  {
    auto r = token.on_cancel([&] { ++runs; });
    auto moved = std::move(r);
  }
  token.cancel();
  EXPECT_EQ(runs, 0);
}

TEST(ExecCancellation, CancelFromAnotherThreadIsSeen) {
  CancellationToken token;
  std::thread t([token] { token.cancel(); });
  t.join();
  EXPECT_TRUE(token.cancelled());
}

TEST(ExecCancellation, SigintCancelsTheToken) {
  // What SIGINT did before: SIG_DFL, or SIG_IGN for a process started in
  // the background by a shell without job control (nohup ... &).
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  CancellationToken token;
  {
    SigintGuard guard = install_sigint_handler(token);
    EXPECT_THROW((void)install_sigint_handler(CancellationToken()), std::logic_error);
    EXPECT_FALSE(sigint_received());
    raise(SIGINT);
    EXPECT_TRUE(sigint_received());
    EXPECT_TRUE(eventually([&] { return token.cancelled(); }));
  }
  // The guard restored the previous disposition; a new one can be installed.
  struct sigaction current {};
  sigaction(SIGINT, nullptr, &current);
  EXPECT_EQ(current.sa_handler, before.sa_handler);
  SigintGuard again = install_sigint_handler(CancellationToken());
}

}  // namespace
}  // namespace wrapp::exec
