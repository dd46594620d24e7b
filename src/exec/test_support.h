// Helpers shared by the execution layer's tests (not part of the library).
#pragma once

#include <chrono>
#include <thread>

namespace wrapp::exec::testing {

// Polls `done` for up to two seconds; the tests expect it well before.
template <typename F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace wrapp::exec::testing
