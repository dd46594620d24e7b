// Errors of the whole library.
//
// Two kinds matter to a user, and they map to exit codes and to the Python
// exceptions of the reference API:
//   FailedCommand       exit 1  a precondition does not hold: conflict, dirty
//                               install, version exists, not found, bad input.
//   StorageError        exit 2  the storage or the OS failed: I/O, permission,
//                               disk full, network.
// Every message names the file or URL and the cause. Behaviour never depends
// on message text: an error carries a code, and a payload (the conflicting or
// modified paths) for callers that present or act on them (CLI, Python).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>
#include <string_view>

#include <fmt/format.h>

namespace wrapp {

enum class ErrorCode {
  kGeneric,
  kNotFound,            // a package, version, file or location does not exist
  kAlreadyExists,       // a create-only write found its target
  kPreconditionFailed,  // a conditional write's etag no longer matched
  kLinkOnPath,          // a symbolic link lies on the way beneath the anchor
  kLocked,              // another live writer holds the lock
  kLockLost,            // our lock expired or was taken over while we worked
  kConflict,            // install would overwrite files that are not the package's
  kModified,            // local modifications would be lost
  kBadInput,            // malformed file, name, URL or argument
  kNewerFormat,         // written by a newer wrapp
  kDamaged,             // bytes do not match their catalog
  kIo,                  // the OS or the network failed
};

// The code's stable name, for JSON output and Python ("link_on_path").
const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorCode code = ErrorCode::kGeneric,
                 std::vector<std::string> payload = {})
      : std::runtime_error(message), code_(code), payload_(std::move(payload)) {}
  virtual int exit_code() const = 0;
  ErrorCode code() const { return code_; }
  // The items the message lists (paths, conflicts), one string each.
  const std::vector<std::string>& payload() const { return payload_; }

 private:
  ErrorCode code_;
  std::vector<std::string> payload_;
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
  explicit StorageError(const std::string& message, ErrorCode code = ErrorCode::kIo,
                        std::vector<std::string> payload = {})
      : Error(message, code, std::move(payload)) {}
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

// The same, with a code.
template <typename... Args>
[[noreturn]] void fail_with(ErrorCode code, fmt::format_string<Args...> f, Args&&... args) {
  throw FailedCommand(fmt::format(f, std::forward<Args>(args)...), code);
}

// True when `e` is a wrapp error with `code`.
bool has_code(const std::exception& e, ErrorCode code);


// Input quoted in a message (a file name, a path, a URL, a JSON value) is
// never echoed whole: one longer than `max` bytes keeps its first and last
// max/2 bytes, cut at UTF-8 character boundaries, with
// "…(N bytes omitted)…" between them.
std::string shorten_for_message(std::string_view text, size_t max = 1024);

// The most the command line prints of one error message: a last safety net
// for messages that quote input the layers below did not shorten.
inline constexpr size_t kMaxMessageBytes = 64 * 1024;

// Throws StorageError "<what> '<target>': <strerror(err)>" (target shortened);
// FailedCommand (bad input) for ENAMETOOLONG, a name no file can have.
[[noreturn]] void throw_errno(const std::string& what, const std::string& target, int err);

}  // namespace wrapp
