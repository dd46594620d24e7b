// import: publishes the package version an exported tar (or .tar.gz) holds
// into a repository.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/plan.h"

namespace wrapp::commands {

// The most bytes a package file member may have: it is read into memory to
// learn the catalog (about three million items).
inline constexpr uint64_t kMaxArchivedPackageFileBytes = uint64_t{1} << 30;

struct ImportOptions {
  std::string package_file;  // the archive: .tar or .tar.gz, any name
  std::string repository;
  // A version that exists with other content is unpublished (its package
  // file removed first) and rebuilt from the archive, once the whole
  // archive has been verified. Without it, such a version is refused.
  bool overwrite = false;
};

struct ImportResult {
  std::string package_name;
  std::string version;
  std::string wrapp_file;  // the version's package file in the repository
  bool no_op = false;      // the repository already had this exact version
  bool replaced = false;   // --overwrite replaced a version with other content
  // Per catalog item: kCopy from its archive member (`from`), or kKeep for
  // a file an interrupted import left that verified.
  Plan plan;
};

// Steps: find the package file member (`.<name>.wrapp` at the archive's
// root; when it is not the first member, one pass over the headers finds
// it) and check it; take the version's lock; an existing version with the
// same files is a no-op, one with other content is refused (or, with
// --overwrite, replaced once the archive verified); then one pass over the
// archive refuses every member that is not a file named by the catalog
// (links, devices, unsafe or duplicate paths, several package files),
// streams each member into the unpublished version folder verifying its
// size and hash, and checks that no item is missing; only then the package
// file is written, its catalog rooted at the new version folder. A refused
// archive publishes nothing, and the files this run wrote are removed.
ImportResult import_package(CommandContext& ctx, const ImportOptions& options);

nlohmann::json to_json(const ImportResult& result);

}  // namespace wrapp::commands
