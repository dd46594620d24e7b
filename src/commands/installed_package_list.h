// installed-package-list: every package of an installed tree (or a folder
// holding a `wrapp new` file): the recorded dependencies, recursively, and
// the package files lying in the tree that no dependency records.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"

namespace wrapp::commands {

struct InstalledPackageListOptions {
  std::string wrapp_file;    // the top-level package file
  bool direct_only = false;  // only the top file's recorded direct dependencies
};

// The reference's InstalledPackage.
struct InstalledPackage {
  std::string name;
  std::string version;
  std::string wrapp_file_url;    // absolute URL of its package file
  std::string install_location;  // its folder relative to the top file's ("" = the top's)
  std::optional<std::string> repository;  // installed from; none for a fresh `wrapp new` package
  std::optional<size_t> num_items;        // none without catalog
  // Reached through recorded dependencies (the top included); false for a
  // stray package file found in the tree, which only the next create
  // records.
  bool recorded = true;
};

struct InstalledPackageListResult {
  // The top first, then its dependencies depth first in the order recorded,
  // then stray package files by path.
  std::vector<InstalledPackage> packages;
  // Recorded dependencies whose package file is not there (also logged as
  // warnings): "<name> <version> at <install location>".
  std::vector<std::string> not_installed;
};

// Package files of recorded dependencies are `.<name>.wrapp` (or the older
// `<name>.wrapp`) in their folder. Stray files are every other `*.wrapp`
// in the top file's folder tree (links leading outside, `.packages` and
// `.wrapp-locks` folders left out); one that cannot be read is skipped with
// a warning. With direct_only, neither the top nor strays are listed.
InstalledPackageListResult installed_package_list(CommandContext& ctx, const InstalledPackageListOptions& options);

// A JSON list of objects with the InstalledPackage fields (name, version,
// wrapp_file_url, install_location, repository, num_items, recorded).
nlohmann::json to_json(const InstalledPackageListResult& result);

}  // namespace wrapp::commands
