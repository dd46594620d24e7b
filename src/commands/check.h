// check: verify that every file of a repository version is there, with the
// recorded size and hash.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"

namespace wrapp::commands {

struct CheckOptions {
  std::string wrapp_file;  // <repo>/.packages/<name>/<version>/.<name>.wrapp
  bool recursive = false;  // also check dependencies in their repositories
  // Compare the hash stored with each object (object metadata, written by
  // wrapp's uploads) with the catalog instead of reading the bytes: a check
  // of a cloud version that downloads nothing. Metadata is a hint: an object
  // replaced with other bytes but the old metadata passes, which the default
  // check (every byte read) catches. Files without a stored hash are read.
  bool trust_metadata = false;
};

// One file of a checked version.
struct FileCheck {
  enum class Status {
    kOk,
    kMissing,
    kSizeMismatch,
    kHashMismatch,
    kUnreadable,  // could not be read (detail: the cause); the check goes on
    kNotAFile,    // a symbolic link, folder or special file where a file belongs
    kStray,       // in a repository version folder but not in its catalog (a
                  // leftover, a link, a nested .packages): detail says which
    kUnverified,  // present and read, but the catalog records no hash (detail
                  // says what it lacks): not a problem, and never "ok"
  };
  std::string package_name;
  std::string version;
  std::string relative_path;
  std::string url;
  Status status = Status::kOk;
  uint64_t expected_size = 0;
  uint64_t actual_size = 0;
  std::string expected_hash;
  std::string actual_hash;
  std::string detail;  // for kUnreadable, kNotAFile and kStray
  // actual_hash is the hash stored in the object's metadata, its bytes were
  // not read (CheckOptions::trust_metadata).
  bool by_metadata = false;
};

// "ok" | "missing" | "size_mismatch" | "hash_mismatch" | "unreadable" | "not_a_file" | "stray" | "unverified"
const char* check_status_name(FileCheck::Status status);

// A problem: anything but ok and unverified.
bool is_problem(const FileCheck& file);

struct CheckResult {
  std::vector<FileCheck> files;

  size_t problems() const;    // files that are a problem (is_problem)
  size_t unverified() const;  // files read but without a recorded hash to verify
  size_t by_metadata() const;  // files compared by their stored hash, not read
  bool ok() const { return problems() == 0; }
};

// As `check --json` prints it: {"ok", "unverified", "by_metadata", "files"}.
nlohmann::json to_json(const CheckResult& result);

// One file per catalog item, sorted by path (dependencies after), then, for
// a .wrapp file in a repository version folder, one per entry of that folder
// that the version does not hold (stray files, symbolic links, nested
// .packages folders). Each file is looked for where its catalog item says
// (item_source.h): the storage_map entry, else its source_path; a path
// below the catalog's root is resolved next to the .wrapp file, so a
// repository that was moved or copied is checked where it is now, and a
// redirect package's files where they lie. Hashes are computed from the
// bytes unless a hash cache was given (or trust_metadata and the object
// carries one). An unreadable file is reported and
// the check goes on.
CheckResult check_package_content(CommandContext& ctx, const CheckOptions& options);

}  // namespace wrapp::commands
