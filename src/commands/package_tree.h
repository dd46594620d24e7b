// Package trees in repositories: a version, the versions its dependencies
// name, theirs, and so on, across repositories. Shared by extract-catalog,
// create-metapackage, find-orphans and delete-packages.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "model/package_info.h"
#include "model/package_location.h"
#include "storage/url.h"

namespace wrapp::commands {

using model::UniquePackageLocation;

// The repository a dependency lives in: the one it records, or its parent's
// when it records "" (the parent's repository is where the parent was read
// from, not its `repository` pointer).
storage::Url dependency_repository(const storage::Url& parent_repo, const model::Dependency& dep);

// `relative` below `parent` ("" is the folder itself), both relative paths.
std::string join_relative(const std::string& parent, const std::string& relative);

// Identity of a version in a repository: repositories compare by their
// normalised URL ("repo", "./repo/" and "file:///abs/repo" are one).
std::string location_key(const std::string& package, const std::string& version, const storage::Url& repo);
// "'p' 1 in <repository>" for messages.
std::string describe_location(const std::string& package, const std::string& version, const storage::Url& repo);

// A version of a package tree, as walk_repo_tree finds it.
struct RepoTreeNode {
  std::string package;
  std::string version;
  storage::Url repository;    // where it was read from
  storage::Url wrapp_file;    // its package file there (either name)
  model::PackageInfo info;
  std::string install_path;   // where install puts it, relative to the top's folder ("" = the top's)
  size_t depth = 0;           // 0 for the top
  const RepoTreeNode* parent = nullptr;
};

// Visits `top` (already read) and then, depth first in the order of each
// dependencies list, every dependency, read from its repository. `visit`
// returns whether to descend into the node's dependencies. Fails
// (FailedCommand) on a dependency whose version does not exist (naming it
// and the package that needs it), on a dependency cycle (naming the chain),
// and on trees nested deeper than kMaxPackageDepth.
void walk_repo_tree(CommandContext& ctx, const RepoTreeNode& top, const std::function<bool(const RepoTreeNode&)>& visit);

// Reads the version's package file into a tree's top node (require_repo_package:
// a missing version fails, listing the versions that exist).
RepoTreeNode read_repo_tree_top(CommandContext& ctx, const std::string& package, const std::string& version,
                                const storage::Url& repo);

// Every version the `tops` need to install, the tops included: the closure
// over dependencies, across repositories, each version read once (so a
// cycle ends where it closes), level by level in parallel. A version that
// does not exist fails, naming the package that needs it (or, for a top,
// the versions that exist). Keys (location_key) in the order found.
struct ClosureEntry {
  UniquePackageLocation location;  // repository as its normalised URL
  std::string key;
};
std::vector<ClosureEntry> dependency_closure(CommandContext& ctx, const std::vector<UniquePackageLocation>& tops);

}  // namespace wrapp::commands
