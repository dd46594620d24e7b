// A named counting semaphore for a limited resource.
//
// Threads are cheap to have but some resources are not: open files being
// copied (--file-transfer-jobs), requests in flight to a server (--jobs).
// A Throttle caps how many of them are in use at once, independently of how
// many threads exist, and its counters tell the progress display what the
// command is waiting on. The name says which resource it is, for messages
// such as "waiting for file transfers (ftj)".
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "exec/cancellation.h"

namespace wrapp::exec {

class Throttle {
 public:
  // Holds one unit of the resource; returns it when destroyed or release()d.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    void release();
    bool held() const { return throttle_ != nullptr; }

   private:
    friend class Throttle;
    explicit Slot(Throttle* throttle) : throttle_(throttle) {}
    Throttle* throttle_ = nullptr;
  };

  // limit >= 1 (FailedCommand otherwise: it comes from user options).
  Throttle(std::string name, size_t limit);
  Throttle(const Throttle&) = delete;
  Throttle& operator=(const Throttle&) = delete;

  // Blocks until a unit is free. Throws Cancelled if the token is cancelled
  // before or while waiting, so a Ctrl-C does not wait for a slot to free up.
  // Must outlive every Slot it hands out.
  //
  // Do not acquire while holding a slot of the same throttle and waiting for
  // tasks that need it: with every slot held that way nothing can proceed.
  [[nodiscard]] Slot acquire(const CancellationToken& token);

  // A unit if one is free and nobody waits for one (extra capacity is never
  // taken ahead of a waiter); otherwise a Slot that holds nothing. Never
  // blocks: for work that can go on with fewer units (more streams of one
  // big download).
  [[nodiscard]] Slot try_acquire();

  const std::string& name() const { return name_; }
  size_t limit() const { return limit_; }
  size_t in_use() const;
  size_t waiting() const;

 private:
  void release_one();

  const std::string name_;
  const size_t limit_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  size_t in_use_ = 0;
  size_t waiting_ = 0;
};

}  // namespace wrapp::exec
