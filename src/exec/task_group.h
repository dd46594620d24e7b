// Fork/join over a ThreadPool with fail-fast error handling.
//
// A command fans out (per file, then per chunk of a big file) and must stop
// as soon as anything fails: copying 10 000 files after the first permission
// error only delays the report. So the first exception a task throws cancels
// the group's token; the other tasks stop at their next check, queued tasks
// are dropped, and wait() rethrows that first exception.
//
// Nesting without deadlock: wait() does not just block. While tasks of this
// group are still queued, the waiting thread takes them off the group's own
// queue and runs them itself; it sleeps only when every remaining task is
// already running on some thread. Each pool thread only ever waits for
// descendants of the task it runs, so a pool of a single thread still
// completes any depth of nesting, and so do groups nested across pools (an io
// task waiting on hashing chunks in the cpu pool). The price: a waiting
// thread works as one extra worker for its own group, which is work it would
// otherwise sleep through.
//
// Each group queues its tasks itself and submits one "run one of my tasks"
// ticket to the pool per spawn; a ticket finding the queue empty (its task
// was run by a waiter) does nothing. The pool thus never holds a task that a
// waiter cannot reach.
#pragma once

#include <functional>
#include <memory>

#include "exec/cancellation.h"
#include "exec/progress.h"
#include "exec/thread_pool.h"

namespace wrapp::exec {

class TaskGroup {
 public:
  // The group cancels `token` on the first failure, so pass token.child() to
  // stop only this group's tasks rather than the whole command. If `job` is
  // given, wait() marks it finished (status "failed" or "cancelled" when it
  // throws). Counting files and bytes is left to the tasks: only they know
  // what a unit of progress is.
  TaskGroup(ThreadPool& pool, CancellationToken token, ProgressJob* job = nullptr);
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Waits for all tasks (never leaves a task running that refers to the
  // group or to the caller's stack). If wait() was not called, errors of the
  // tasks are lost; if the destructor runs during unwinding, tasks that have
  // not started are dropped.
  ~TaskGroup();

  // Thread-safe; tasks may spawn more tasks into their own group. A task
  // spawned after the token is cancelled is dropped without running.
  void spawn(std::function<void()> task);

  // Blocks until every spawned task has finished (or was dropped), helping to
  // run them. Then throws: the first exception other than Cancelled that a
  // task threw; otherwise Cancelled if a task threw Cancelled or was dropped;
  // otherwise returns. The group may be reused after wait(); an error stays
  // recorded and is thrown again by later waits.
  //
  // Never call wait() from inside a task of the same group (it would wait for
  // itself); a task that needs to join its own sub-tasks uses a nested group.
  void wait();

  const CancellationToken& token() const { return token_; }

 private:
  struct State;
  ThreadPool& pool_;
  CancellationToken token_;
  ProgressJob* job_;
  int uncaught_at_start_;  // tells the destructor whether it runs during unwinding
  std::shared_ptr<State> state_;  // shared with the pool tickets, which may outlive the group
};

}  // namespace wrapp::exec
