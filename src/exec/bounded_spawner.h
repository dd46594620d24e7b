// Work handed from a producer that must not run ahead of it: a walk whose
// pages are checked or hashed as they come (status, catalog).
//
// A TaskGroup queues whatever it is given. A walk produces pages faster than
// they are hashed on a cold cache, so its queue, and the pages it holds,
// would grow to the whole tree: the memory the streaming was meant to save.
// A BoundedSpawner hands a task to the group only while fewer than `limit`
// of its tasks are queued or running; beyond that the producer's own thread
// runs the task, which paces the producer to the workers. No thread ever
// blocks waiting for room, so a producer that is itself a pool thread
// cannot deadlock the pool.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include "exec/task_group.h"

namespace wrapp::exec {

class BoundedSpawner {
 public:
  // `group` must outlive every task run through this spawner; limit >= 1.
  BoundedSpawner(TaskGroup& group, size_t limit)
      : group_(group), limit_(limit < 1 ? 1 : limit), in_flight_(std::make_shared<std::atomic<size_t>>(0)) {}

  // Queues `task` in the group, or runs it here (its exceptions propagate to
  // the caller) when `limit` tasks are queued or running. Thread-safe, but
  // the bound is only as exact as a check then an increment: two producers
  // may both pass it at once.
  void run(std::function<void()> task) {
    if (in_flight_->load() >= limit_) {
      task();
      return;
    }
    ++*in_flight_;
    // A task the group drops (cancelled before it ran) is destroyed
    // without running: the guard it owns still gives its place back.
    struct Release {
      std::shared_ptr<std::atomic<size_t>> count;
      ~Release() {
        if (count) --*count;
      }
    };
    group_.spawn([release = std::shared_ptr<Release>(new Release{in_flight_}), task = std::move(task)]() mutable {
      task();
      release.reset();  // its place is free as soon as it has run
    });
  }

  // Tasks queued or running now (for tests).
  size_t in_flight() const { return in_flight_->load(); }

 private:
  TaskGroup& group_;
  size_t limit_;
  std::shared_ptr<std::atomic<size_t>> in_flight_;
};

}  // namespace wrapp::exec
