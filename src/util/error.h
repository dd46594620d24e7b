// Errors of the whole library.
//
// Two kinds matter to a user, and they map to exit codes and to the Python
// exceptions of the reference API:
//   FailedCommand       exit 1  a precondition does not hold: conflict, dirty
//                               install, version exists, not found, bad input.
//   StorageError        exit 2  the storage or the OS failed: I/O, permission,
//                               disk full, network.
// Every message names the file or URL and the cause.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wrapp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual int exit_code() const = 0;
};

// A precondition is not met (maps to Python FailedCommand, exit code 1).
class FailedCommand : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 1; }
};

// Storage or OS failure (maps to Python StorageOperationError, exit code 2).
class StorageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// The operation was cancelled (Ctrl-C, or a sibling task failed first).
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
  int exit_code() const override { return 130; }
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw FailedCommand(fmt::format(f, std::forward<Args>(args)...));
}

// Input quoted in a message (a file name, a path, a URL, a JSON value) is
// never echoed whole: one longer than `max` bytes keeps its first and last
// max/2 bytes, cut at UTF-8 character boundaries, with
// "…(N bytes omitted)…" between them.
std::string shorten_for_message(std::string_view text, size_t max = 1024);

// The most the command line prints of one error message: a last safety net
// for messages that quote input the layers below did not shorten.
inline constexpr size_t kMaxMessageBytes = 64 * 1024;

// Throws StorageError "<what> '<target>': <strerror(err)>" (target shortened).
[[noreturn]] void throw_errno(const std::string& what, const std::string& target, int err);

}  // namespace wrapp
