#include "util/error.h"

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

void throw_errno(const std::string& what, const std::string& target, int err) {
  throw StorageError(fmt::format("{} '{}': {}", what, target, std::strerror(err)));
}

}  // namespace wrapp
