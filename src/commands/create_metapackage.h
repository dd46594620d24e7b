// create-metapackage: publish a version with an empty catalog whose only
// content is its dependencies (installing it installs them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/package_info.h"

namespace wrapp::commands {

struct CreateMetapackageOptions {
  std::string package_name;
  std::string version;
  std::string repo;
  // The reference's DependencySet: in this order, after those of the file.
  std::vector<model::Dependency> dependencies;
  // A JSON list of dependency objects (or an object with a "dependencies" list).
  std::optional<std::string> dependencies_file;
  // Publish without reading the dependencies (they may be published later);
  // only names, versions and locations are checked.
  bool skip_dependency_check = false;
};

struct CreateMetapackageResult {
  std::string wrapp_file;  // URL of the published package file
  model::PackageInfo package;
  size_t tree_packages = 0;  // packages in the checked tree, the metapackage included (0 when skipped)
  size_t tree_items = 0;     // files installing it writes (0 when skipped)
};

// Checks: safe name and version; at least one dependency; each one's name,
// version and location safe (locations normalised: "./x" is "x", "." is "");
// no two of one package at one location (they would share a package file).
// Then, unless skip_dependency_check, every dependency exists in its
// repository ("" is the metapackage's), all missing ones named together,
// and the whole tree installs without clashes (no path of two packages, no
// cycle). Publishes through VersionPublisher: the version lock, then the
// .wrapp file; an existing version is refused (versions are immutable).
CreateMetapackageResult create_metapackage(CommandContext& ctx, const CreateMetapackageOptions& options);

// {"wrapp_file", "package": the package file written, "tree_packages", "tree_items"}.
nlohmann::json to_json(const CreateMetapackageResult& result);

}  // namespace wrapp::commands
