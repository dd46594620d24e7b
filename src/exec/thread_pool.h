// A FIFO thread pool that grows on demand.
//
// Storage operations block (open, read, HTTP round trips), so wrapp runs many
// of them at once on plain threads: --jobs defaults to 200. Starting 200
// threads for a command that touches 3 files would be waste, so threads are
// created lazily: a submit starts a new thread only when no idle thread can
// take the task and the pool is below max_threads. Threads then stay until
// the pool is destroyed (commands are short-lived; no reaping needed).
//
// Tasks should not wait on other tasks of the pool directly; use TaskGroup,
// whose wait() runs the awaited work itself instead of blocking a thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wrapp::exec {

class ThreadPool {
 public:
  // max_threads >= 1 (FailedCommand otherwise: it comes from user options).
  // `name` labels the threads (visible in debuggers and `top -H`).
  ThreadPool(std::string name, size_t max_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs every task still queued (including tasks submitted by running
  // tasks), then joins all threads.
  ~ThreadPool();

  // Queues `task` to run on a pool thread. A task must not throw: an escaping
  // exception terminates the process (TaskGroup catches and reports them).
  void submit(std::function<void()> task);

  const std::string& name() const { return name_; }
  size_t max_threads() const { return max_threads_; }
  size_t thread_count() const;  // threads started so far

 private:
  void worker_loop();

  const std::string name_;
  const size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable work_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;  // threads blocked waiting for work (notified ones included)
  bool stopping_ = false;
};

}  // namespace wrapp::exec
