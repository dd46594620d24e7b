#include "exec/thread_pool.h"

#include <pthread.h>

#include <fmt/format.h>

#include "util/error.h"

namespace wrapp::exec {

ThreadPool::ThreadPool(std::string name, size_t max_threads)
    : name_(std::move(name)), max_threads_(max_threads) {
  if (max_threads_ == 0) fail("the thread pool '{}' needs at least 1 thread", name_);
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  // threads_ no longer grows: submit() from a draining task sees stopping_ and
  // only queues. Join outside the lock so workers can take it.
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  queue_.push_back(std::move(task));
  // Every idle thread (woken or not) will take one queued task; start a new
  // thread only for work that none of them will pick up. While stopping, the
  // existing threads drain the queue (there is at least one: the caller, as
  // nothing else can submit during destruction).
  if (queue_.size() > idle_ && threads_.size() < max_threads_ && !stopping_) {
    size_t index = threads_.size();
    threads_.emplace_back([this, index] {
      // Linux limits thread names to 15 characters.
      std::string label = fmt::format("{}-{}", name_, index).substr(0, 15);
      pthread_setname_np(pthread_self(), label.c_str());
      worker_loop();
    });
    return;
  }
  lock.unlock();
  work_.notify_one();
}

size_t ThreadPool::thread_count() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

void ThreadPool::worker_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // destroy captures outside the lock too
      lock.lock();
      continue;
    }
    if (stopping_) return;
    ++idle_;
    work_.wait(lock);
    --idle_;
  }
}

}  // namespace wrapp::exec
