#include "util/bus_error_guard.h"

#include <setjmp.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace wrapp::util {
namespace {

struct Guard {
  const char* begin;
  const char* end;
  sigjmp_buf env;
};

// The calling thread's guarded range, read by the handler on the same thread.
thread_local Guard* volatile t_guard = nullptr;

// Guards set anywhere. The handler looks at t_guard only while one is:
// in a module loaded with dlopen (the Python one), the first use of a
// thread-local on a thread may allocate, which a handler must not do, and a
// thread that faults inside a guard has used it before. (The initial-exec
// model, which never allocates, cannot be loaded by dlopen here: "cannot
// allocate memory in static TLS block".)
std::atomic<int> g_guards{0};

struct sigaction g_previous;

void forward(int sig, siginfo_t* info, void* context) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) {
      g_previous.sa_sigaction(sig, info, context);
      return;
    }
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  // The default action (ignoring a fault would repeat it forever): raised
  // again, it is delivered as this handler returns, from a fault re-executed
  // or from a signal sent by another process alike.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  Guard* guard = g_guards.load(std::memory_order_acquire) > 0 ? t_guard : nullptr;
  // si_code > 0: raised by the kernel for a fault, whose si_addr is the
  // address touched (not a signal sent by kill or raise).
  if (guard && info && info->si_code > 0) {
    const char* at = static_cast<const char*>(info->si_addr);
    if (at >= guard->begin && at < guard->end) {
      t_guard = nullptr;
      siglongjmp(guard->env, 1);
    }
  }
  forward(sig, info, context);
}

void install_handler() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

bool run_catching_bus_error(const void* begin, size_t len, void (*fn)(void*), void* arg) {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  Guard guard;
  guard.begin = static_cast<const char*>(begin);
  guard.end = guard.begin + len;
  g_guards.fetch_add(1, std::memory_order_acq_rel);
  // Clears the thread's guard however fn leaves: returning, throwing or
  // (through the handler, which clears it first) jumping back here.
  struct Reset {
    ~Reset() {
      t_guard = nullptr;
      g_guards.fetch_sub(1, std::memory_order_acq_rel);
    }
  } reset;
  // Saves the signal mask (1), restored by the jump: SIGBUS is blocked while
  // its handler runs and must not stay blocked after it.
  if (sigsetjmp(guard.env, 1) != 0) return false;
  t_guard = &guard;
  fn(arg);
  return true;
}

}  // namespace wrapp::util
