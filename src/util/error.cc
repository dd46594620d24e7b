#include "util/error.h"

#include <cstring>

namespace wrapp {

void throw_errno(const std::string& what, const std::string& target, int err) {
  throw StorageError(fmt::format("{} '{}': {}", what, target, std::strerror(err)));
}

}  // namespace wrapp
