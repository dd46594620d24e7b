// find-orphans: the versions in some repositories that no given top-level
// version needs, through its whole dependency closure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/package_location.h"

namespace wrapp::commands {

struct FindOrphansOptions {
  // The top-level versions to keep, with everything they need.
  std::vector<model::UniquePackageLocation> locking_packages;
  // The repositories whose versions are looked at (uncorrelated with the
  // repositories of the locking packages).
  std::vector<std::string> repos_to_inspect;
};

struct FindOrphansResult {
  // Sorted by repository (in the order given), name, then version (natural
  // order); each repository as its normalised URL.
  std::vector<model::UniquePackageLocation> orphans;
  size_t needed = 0;     // versions in the closure of the locking packages
  size_t inspected = 0;  // versions found in the inspected repositories
};

// The closure is followed across repositories (a dependency that records
// no repository lives in its parent's); repositories compare by normalised
// URL. A locking version that does not exist, or a dependency in the closure
// that does not exist, fails naming it: what it would need is unknowable,
// so nothing could safely be called an orphan. A cycle ends where it closes.
FindOrphansResult find_orphaned_package_versions(CommandContext& ctx, const FindOrphansOptions& options);

// The orphans as `find-orphans --json` prints them: a JSON list of
// {"package", "version", "repository"}, what delete-packages --from-file reads.
nlohmann::json to_json(const FindOrphansResult& result);

}  // namespace wrapp::commands
