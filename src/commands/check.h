// check: verify that every file of a repository version is there, with the
// recorded size and hash.
#pragma once

#include <string>
#include <vector>

#include "commands/context.h"

namespace wrapp::commands {

struct CheckOptions {
  std::string wrapp_file;  // <repo>/.packages/<name>/<version>/.<name>.wrapp
  bool recursive = false;  // also check dependencies in their repositories
};

struct CheckResult {
  enum class Status { kOk, kMissing, kSizeMismatch, kHashMismatch };
  std::string package_name;
  std::string version;
  std::string relative_path;
  std::string url;
  Status status = Status::kOk;
  uint64_t expected_size = 0;
  uint64_t actual_size = 0;
  std::string expected_hash;
  std::string actual_hash;
};

const char* check_status_name(CheckResult::Status status);  // "ok" | "missing" | "size_mismatch" | "hash_mismatch"

// One result per catalog item, sorted by path (dependencies after). Files are
// resolved next to the .wrapp file, so a repository that was moved or copied
// is checked where it is now. Hashes are computed from the bytes unless a
// hash cache was given.
std::vector<CheckResult> check_package_content(CommandContext& ctx, const CheckOptions& options);

}  // namespace wrapp::commands
