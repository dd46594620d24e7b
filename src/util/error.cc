#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace wrapp {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kGeneric: return "failed";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kPreconditionFailed: return "precondition_failed";
    case ErrorCode::kLinkOnPath: return "link_on_path";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kLockLost: return "lock_lost";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kModified: return "modified";
    case ErrorCode::kBadInput: return "bad_input";
    case ErrorCode::kNewerFormat: return "newer_format";
    case ErrorCode::kDamaged: return "damaged";
    case ErrorCode::kIo: return "io";
  }
  return "failed";
}

bool has_code(const std::exception& e, ErrorCode code) {
  auto* err = dynamic_cast<const Error*>(&e);
  return err && err->code() == code;
}

namespace {

// "…(" + 20 digits + " bytes omitted)…", the ellipses 3 bytes each.
constexpr size_t kMarkerBytes = 42;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string shorten_for_message(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  // The marker takes at most 42 bytes; what is left of `max` is shared by
  // the head and the tail, so the result is never longer than `max` (and
  // shortening it again changes nothing).
  size_t keep = max > 2 * kMarkerBytes ? max - kMarkerBytes : max / 2;
  // Never split a character: the head ends before a continuation byte's
  // lead, the tail starts after any continuation bytes (at most 3 each).
  size_t head = keep / 2;
  for (int k = 0; k < 3 && head > 0 && is_continuation(text[head]); ++k) --head;
  size_t tail = text.size() - keep / 2;
  for (int k = 0; k < 3 && tail < text.size() && is_continuation(text[tail]); ++k) ++tail;
  return fmt::format("{}\u2026({} bytes omitted)\u2026{}", text.substr(0, head), tail - head, text.substr(tail));
}

void throw_errno(const std::string& what, const std::string& target, int err) {
  // A name no file can have is bad input (exit 1), not a failing storage.
  if (err == ENAMETOOLONG) {
    throw FailedCommand(fmt::format("{} '{}': {}", what, shorten_for_message(target), std::strerror(err)),
                        ErrorCode::kBadInput);
  }
  throw StorageError(fmt::format("{} '{}': {}", what, shorten_for_message(target), std::strerror(err)));
}

}  // namespace wrapp
