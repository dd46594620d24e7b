#include "exec/cancellation.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "util/error.h"

namespace wrapp::exec {

struct CancellationToken::State {
  // Read on every check, so lock-free; the mutex only guards callbacks.
  std::atomic<bool> cancelled{false};

  std::mutex mu;
  std::condition_variable callback_done;
  std::map<uint64_t, std::function<void()>> callbacks;  // ordered: run in registration order
  uint64_t next_id = 1;
  uint64_t running_id = 0;  // callback being run by cancel(), 0 if none
  std::thread::id running_thread;

  // A child holds its parent's state and its registration there; the
  // registration is released when the child's last copy goes away, so
  // short-lived children do not pile up callbacks in a long-lived parent.
  std::shared_ptr<State> parent;
  uint64_t parent_registration = 0;

  ~State() {
    if (parent && parent_registration != 0) parent->deregister(parent_registration);
  }

  void cancel() {
    if (cancelled.exchange(true)) return;
    std::unique_lock lock(mu);
    // Callbacks run without the lock so they may take their own locks (a
    // Throttle's mutex) and even register further callbacks.
    while (!callbacks.empty()) {
      auto it = callbacks.begin();
      std::function<void()> fn = std::move(it->second);
      running_id = it->first;
      running_thread = std::this_thread::get_id();
      callbacks.erase(it);
      lock.unlock();
      fn();
      lock.lock();
      running_id = 0;
      callback_done.notify_all();
    }
  }

  void deregister(uint64_t id) {
    std::unique_lock lock(mu);
    if (callbacks.erase(id) > 0) return;
    // Already taken by cancel(): if it is running elsewhere, wait so the
    // caller may destroy what the callback uses. On the cancelling thread
    // itself (a callback dropping a registration) waiting would deadlock.
    if (running_id == id && running_thread != std::this_thread::get_id()) {
      callback_done.wait(lock, [&] { return running_id != id; });
    }
  }
};

// --- Registration ---------------------------------------------------------

CancellationToken::Registration::Registration(std::shared_ptr<State> state, uint64_t id)
    : state_(std::move(state)), id_(id) {}

CancellationToken::Registration::Registration(Registration&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_) {
  other.id_ = 0;
}

CancellationToken::Registration& CancellationToken::Registration::operator=(
    Registration&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

CancellationToken::Registration::~Registration() { reset(); }

void CancellationToken::Registration::reset() {
  if (state_ && id_ != 0) state_->deregister(id_);
  state_.reset();
  id_ = 0;
}

// --- CancellationToken ----------------------------------------------------

CancellationToken::CancellationToken() : state_(std::make_shared<State>()) {}

CancellationToken::CancellationToken(std::shared_ptr<State> state) : state_(std::move(state)) {}

CancellationToken CancellationToken::child() const {
  auto child_state = std::make_shared<State>();
  // The callback holds the child weakly: the parent must not keep children
  // alive, and a child that is gone needs no cancelling.
  std::weak_ptr<State> weak = child_state;
  Registration reg = on_cancel([weak] {
    if (auto c = weak.lock()) c->cancel();
  });
  // on_cancel ran the callback already if the parent is cancelled; otherwise
  // hand the registration to the child state, which releases it on death.
  child_state->parent = std::move(reg.state_);
  child_state->parent_registration = reg.id_;
  reg.id_ = 0;
  return CancellationToken(std::move(child_state));
}

void CancellationToken::cancel() const { state_->cancel(); }

bool CancellationToken::cancelled() const {
  return state_->cancelled.load(std::memory_order_acquire);
}

void CancellationToken::throw_if_cancelled() const {
  if (cancelled()) throw Cancelled();
}

CancellationToken::Registration CancellationToken::on_cancel(std::function<void()> fn) const {
  {
    std::lock_guard lock(state_->mu);
    // Checked under the lock: cancel() sets the flag before draining under
    // the same lock, so a callback is either drained or run here, never lost.
    if (!state_->cancelled.load()) {
      uint64_t id = state_->next_id++;
      state_->callbacks.emplace(id, std::move(fn));
      return Registration(state_, id);
    }
  }
  fn();
  return Registration();
}

// --- SIGINT ---------------------------------------------------------------

namespace {

std::atomic<bool> g_sigint{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the handler needs a lock-free flag");

std::mutex g_install_mu;
bool g_installed = false;
int g_pipe[2] = {-1, -1};
struct sigaction g_previous;
std::thread g_watcher;

constexpr char kWakeCancel = 'c';
constexpr char kWakeQuit = 'q';

extern "C" void on_sigint(int) {
  // Only async-signal-safe operations here: an atomic store and write(2).
  int saved_errno = errno;
  g_sigint.store(true);
  char c = kWakeCancel;
  ssize_t ignored = write(g_pipe[1], &c, 1);
  (void)ignored;
  errno = saved_errno;
}

}  // namespace

bool sigint_received() { return g_sigint.load(); }

SigintGuard install_sigint_handler(CancellationToken token) {
  std::lock_guard lock(g_install_mu);
  if (g_installed) throw std::logic_error("install_sigint_handler: a handler is already installed");
  if (pipe2(g_pipe, O_CLOEXEC) != 0) throw_errno("cannot create pipe", "SIGINT watcher", errno);
  g_sigint.store(false);

  g_watcher = std::thread([token = std::move(token)] {
    for (;;) {
      char c = 0;
      ssize_t n = read(g_pipe[0], &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == kWakeQuit) return;
      if (c == kWakeCancel) token.cancel();
    }
  });

  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: one-shot, so a second Ctrl-C force-quits.
  // SA_RESTART: blocking syscalls of other threads are not failed with EINTR.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  if (sigaction(SIGINT, &action, &g_previous) != 0) {
    int err = errno;
    char c = kWakeQuit;
    (void)!write(g_pipe[1], &c, 1);
    g_watcher.join();
    close(g_pipe[0]);
    close(g_pipe[1]);
    throw_errno("cannot install handler", "SIGINT", err);
  }
  g_installed = true;
  SigintGuard guard;
  guard.active_ = true;
  return guard;
}

SigintGuard::SigintGuard(SigintGuard&& other) noexcept : active_(other.active_) {
  other.active_ = false;
}

SigintGuard::~SigintGuard() {
  if (!active_) return;
  std::lock_guard lock(g_install_mu);
  // Restore first, so no signal can reach a handler writing to a closed pipe.
  sigaction(SIGINT, &g_previous, nullptr);
  char c = kWakeQuit;
  (void)!write(g_pipe[1], &c, 1);
  g_watcher.join();
  close(g_pipe[0]);
  close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
  g_installed = false;
}

}  // namespace wrapp::exec
