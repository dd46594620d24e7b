#include "exec/task_group.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

#include "util/error.h"
#include "util/log.h"

namespace wrapp::exec {

struct TaskGroup::State {
  explicit State(CancellationToken t) : token(std::move(t)) {}

  const CancellationToken token;
  std::mutex mu;
  std::condition_variable changed;  // all tasks finished, or a task was queued
  std::deque<std::function<void()>> queue;
  size_t pending = 0;  // queued + running
  size_t waiters = 0;
  bool abandoned = false;  // the group is being destroyed by an exception
  std::exception_ptr error;  // first failure other than Cancelled
  bool saw_cancel = false;   // a task threw Cancelled or was dropped

  // Pops and runs the front task. Called and returns with `lock` held; the
  // task itself runs unlocked so it can spawn.
  void run_front(std::unique_lock<std::mutex>& lock) {
    std::function<void()> task = std::move(queue.front());
    queue.pop_front();
    bool run = !abandoned && !token.cancelled();
    lock.unlock();

    std::exception_ptr failure;
    bool cancelled = !run;
    if (run) {
      try {
        task();
      } catch (const Cancelled&) {
        cancelled = true;
      } catch (...) {
        failure = std::current_exception();
      }
    }
    task = nullptr;  // captured objects die before the group can be seen as done
    // Fail fast: siblings stop at their next check, queued tasks are dropped.
    // Outside the lock, as cancel() runs callbacks that take other locks.
    if (failure || cancelled) token.cancel();

    lock.lock();
    if (failure && !error) error = failure;
    if (cancelled) saw_cancel = true;
    if (--pending == 0) changed.notify_all();
  }

  // Runs queued tasks and waits for running ones until none is left.
  void drain() {
    std::unique_lock lock(mu);
    ++waiters;
    while (pending > 0) {
      if (!queue.empty()) {
        run_front(lock);
      } else {
        changed.wait(lock);
      }
    }
    --waiters;
  }
};

TaskGroup::TaskGroup(ThreadPool& pool, CancellationToken token, ProgressJob* job)
    : pool_(pool),
      token_(token),
      job_(job),
      uncaught_at_start_(std::uncaught_exceptions()),
      state_(std::make_shared<State>(std::move(token))) {}

TaskGroup::~TaskGroup() {
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    // Unwinding through the scope that owns the group: whoever spawned the
    // tasks is failing anyway, so do not start work that nobody will use.
    std::lock_guard lock(state_->mu);
    state_->abandoned = true;
  }
  state_->drain();
  // The first error is let go here, on the owner's thread, not by whichever
  // pool thread drops the state last: the thread that caught it may still be
  // reading it, and the exception's reference count (inside libstdc++) is a
  // synchronisation ThreadSanitizer cannot see.
  std::exception_ptr error;
  std::lock_guard lock(state_->mu);
  error = std::move(state_->error);
}

void TaskGroup::spawn(std::function<void()> task) {
  // The spawning thread's logger goes with the task (a session's own, say),
  // whichever thread runs it.
  task = [logger = &log::current(), task = std::move(task)] {
    log::LoggerScope use(logger);
    task();
  };
  {
    std::lock_guard lock(state_->mu);
    state_->queue.push_back(std::move(task));
    ++state_->pending;
    if (state_->waiters > 0) state_->changed.notify_all();  // a waiter may help
  }
  // The ticket holds the state, not the group: it may run after the group is
  // gone (its task having been run by a waiter), and then finds nothing to do.
  // If submit throws, the task stays queued and wait() runs it.
  pool_.submit([state = state_] {
    std::unique_lock lock(state->mu);
    if (!state->queue.empty()) state->run_front(lock);
  });
}

void TaskGroup::wait() {
  state_->drain();
  std::exception_ptr error;
  bool cancelled = false;
  {
    std::lock_guard lock(state_->mu);
    error = state_->error;
    cancelled = state_->saw_cancel;
  }
  if (job_ != nullptr) {
    if (error) {
      job_->set_status("failed");
    } else if (cancelled) {
      job_->set_status("cancelled");
    }
    job_->set_finished();
  }
  if (error) std::rethrow_exception(error);
  if (cancelled) throw Cancelled();
}

}  // namespace wrapp::exec
