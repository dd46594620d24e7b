#include "exec/throttle.h"

#include "util/error.h"

namespace wrapp::exec {

Throttle::Slot::Slot(Slot&& other) noexcept : throttle_(other.throttle_) {
  other.throttle_ = nullptr;
}

Throttle::Slot& Throttle::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    throttle_ = other.throttle_;
    other.throttle_ = nullptr;
  }
  return *this;
}

void Throttle::Slot::release() {
  if (throttle_ != nullptr) {
    throttle_->release_one();
    throttle_ = nullptr;
  }
}

Throttle::Throttle(std::string name, size_t limit) : name_(std::move(name)), limit_(limit) {
  if (limit_ == 0) fail("the limit of {} must be at least 1", name_);
}

Throttle::Slot Throttle::try_acquire() {
  std::lock_guard lock(mu_);
  if (in_use_ >= limit_ || waiting_ > 0) return Slot();
  ++in_use_;
  return Slot(this);
}

Throttle::Slot Throttle::acquire(const CancellationToken& token) {
  token.throw_if_cancelled();
  {
    // Fast path without registering a callback: most acquisitions of a
    // generous limit do not wait.
    std::lock_guard lock(mu_);
    if (in_use_ < limit_) {
      ++in_use_;
      return Slot(this);
    }
  }

  // Registered outside mu_: on_cancel runs the callback at once if already
  // cancelled, and the callback takes mu_. Destroyed after mu_ is released
  // (declared before the lock), since deregistering may wait for a running
  // callback that needs mu_.
  CancellationToken::Registration wake = token.on_cancel([this] {
    std::lock_guard lock(mu_);
    freed_.notify_all();
  });

  std::unique_lock lock(mu_);
  ++waiting_;
  freed_.wait(lock, [&] { return in_use_ < limit_ || token.cancelled(); });
  --waiting_;
  if (token.cancelled()) {
    // We may have consumed the notify_one meant for a free slot; pass it on
    // so another waiter does not sleep next to a free unit.
    if (in_use_ < limit_ && waiting_ > 0) freed_.notify_one();
    lock.unlock();
    throw Cancelled();
  }
  ++in_use_;
  return Slot(this);
}

void Throttle::release_one() {
  std::lock_guard lock(mu_);
  --in_use_;
  if (waiting_ > 0) freed_.notify_one();
}

size_t Throttle::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

size_t Throttle::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace wrapp::exec
