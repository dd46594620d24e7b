// Cooperative cancellation.
//
// wrapp never kills a thread: a task that is cancelled must notice it and
// unwind, so files being written are aborted (not published half-written) and
// locks and slots are released on the way out. A CancellationToken is the
// flag all tasks of a command share; long loops call throw_if_cancelled() at
// natural boundaries (per file, per chunk), and blocking waits (Throttle)
// register an on_cancel() callback so they wake up instead of sleeping
// through a Ctrl-C.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace wrapp::exec {

class CancellationToken {
 public:
  struct State;  // shared by all copies; defined in cancellation.cc

  // Deregisters an on_cancel() callback when destroyed. If the callback is
  // running on another thread at that moment, the destructor waits for it to
  // return, so whatever the callback captured may be destroyed right after
  // (the contract of std::stop_callback).
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();

   private:
    friend class CancellationToken;
    Registration(std::shared_ptr<State> state, uint64_t id);
    void reset();

    std::shared_ptr<State> state_;
    uint64_t id_ = 0;
  };

  // A fresh token that is not cancelled.
  CancellationToken();

  // A token that is cancelled when this one is, but can also be cancelled on
  // its own without affecting this one. Lets a sub-operation stop its own
  // tasks while the command as a whole goes on.
  CancellationToken child() const;

  // Copies share state; all methods are thread-safe and const because the
  // token is a handle, which lets lambdas capture it by value.
  void cancel() const;
  bool cancelled() const;
  void throw_if_cancelled() const;  // throws wrapp::Cancelled

  // Runs `fn` once when the token is cancelled (on the cancelling thread), or
  // right away on this thread if it already is. `fn` must not throw and must
  // not destroy its own Registration.
  [[nodiscard]] Registration on_cancel(std::function<void()> fn) const;

 private:
  explicit CancellationToken(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// Makes the first Ctrl-C cancel `token` instead of killing the process, so
// running commands stop at their next check and clean up. The signal handler
// only sets an atomic flag and wakes a watcher thread through a pipe (both
// async-signal-safe); the watcher calls token.cancel() on an ordinary thread.
// The handler is one-shot: a second Ctrl-C gets the default action, so a user
// can always force-quit a command that hangs.
//
// Keep the returned guard alive for as long as the handler should stay; its
// destructor restores the previous SIGINT disposition and joins the watcher.
// Only one guard may exist at a time (std::logic_error otherwise).
class SigintGuard {
 public:
  SigintGuard(SigintGuard&& other) noexcept;
  SigintGuard& operator=(SigintGuard&&) = delete;
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;
  ~SigintGuard();

 private:
  friend SigintGuard install_sigint_handler(CancellationToken token);
  SigintGuard() = default;
  bool active_ = false;
};

[[nodiscard]] SigintGuard install_sigint_handler(CancellationToken token);

// True once SIGINT was caught by the handler (for an exit message or code).
bool sigint_received();

}  // namespace wrapp::exec
