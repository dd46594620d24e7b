// delete-packages: remove package versions from their repositories, for
// good (often the output of find-orphans).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/package_location.h"

namespace wrapp::commands {

struct DeletePackagesOptions {
  std::vector<model::UniquePackageLocation> to_delete;
  // A JSON list of {"package", "version", "repository"} (find-orphans
  // --json), deleted before `to_delete`.
  std::optional<std::string> from_file;
};

struct DeletedVersion {
  std::string package;
  std::string version;
  std::string repository;           // normalised URL
  std::vector<std::string> files;   // relative to the version folder, package files first
  uint64_t bytes = 0;
  bool published = true;  // false: a folder without package file (left by an interrupted run)
};

struct DeletePackagesResult {
  std::vector<DeletedVersion> versions;  // in the order given (duplicates once)
};

// For the whole list, before anything is deleted: every version's lock is
// taken (the lock create and mirror take, so a live writer of any of them
// refuses the whole command and nothing is deleted), and every version is
// checked to exist (a missing one fails, naming all such) and to lie behind
// no symbolic link. Then per version: the package file goes first (both
// names), so a half-deleted version is never installable; then its other
// files; then the folders this emptied, the version's and the package's
// when no other version is left. A version folder without package file
// (an interrupted delete, create or mirror) is removed too, with a warning.
// A dry run takes no lock and deletes nothing.
DeletePackagesResult delete_packages_from_repo(CommandContext& ctx, const DeletePackagesOptions& options);

nlohmann::json to_json(const DeletePackagesResult& result);

}  // namespace wrapp::commands
