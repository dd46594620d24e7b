// install: put a package version into a working folder, or update the
// version installed there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "commands/file_ops.h"
#include "commands/plan.h"
#include "model/patch.h"

namespace wrapp::commands {

struct InstallOptions {
  std::string package_name;
  std::string version;
  std::string destination;
  std::optional<std::string> repo;  // required
  LinkMode link_mode = LinkMode::kCopy;
  // install --patch: a path whose content is neither the installed
  // version's nor the new one's (modified, deleted, a user's file) is left
  // as it is instead of refusing the install; the operation that takes the
  // new version there goes into this patch file (replaced if it exists),
  // with the conflict. Other conflicts (links, folders in the way) still
  // refuse.
  std::optional<std::string> patch_file;
  // Ignore rules for the destination, instead of <destination>/.wrappignore
  // (as status uses them): a file at an ignored path that is not the
  // package's is no conflict, install overwrites it.
  std::optional<std::string> ignore_file;
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
  // A package file (a `wrapp new` file) whose folder holds the destination:
  // after the install, the dependency {package, version, repository,
  // relative destination} is recorded in it (dependency_file.h).
  std::optional<std::string> dependency_file;
};

struct InstallResult {
  std::string package_name;
  std::string version;
  std::string wrapp_file;  // the install marker
  bool no_op = false;      // this version was already installed and unmodified
  Plan plan;
  std::vector<InstallResult> dependencies;  // subpackages, installed before their parent
  std::vector<std::string> removed_dependencies;  // markers of subpackages the new version dropped
  // install --patch (top package only): what was left as it is, and the
  // operations that take the new version there; written to patch_file.
  std::optional<model::Patch> patch;
  // With a dependency file: its URL, and whether its record changed (or, on
  // a dry run, would change).
  std::string dependency_file;
  bool dependency_recorded = false;

  // True when neither this package nor any subpackage changed anything.
  bool unchanged() const;
  // The plan actions of this package and all its subpackages.
  std::vector<const PlanAction*> all_actions() const;
  // Subpackages installed with it, at any depth.
  size_t subpackage_count() const;
};

// The whole tree's plan as one (a subpackage may change while its parent
// does not), as install shows it: each package's actions, then its dropped
// subpackages (one delete "<path> (subpackage, with its files)" each), then
// its subpackages', every path relative to this package's destination
// (plan.target).
Plan whole_plan(const InstallResult& result);

// {"package_name", "version", "wrapp_file", "no_op", "plan": Plan::to_json(), "dependencies": [the same, each subpackage],
//  "removed_dependencies", "patch": the patch file's JSON or null, "dependency_file", "dependency_recorded"}.
nlohmann::json to_json(const InstallResult& result);

// Steps, all planned before anything changes:
//  1. read the version's .wrapp and, recursively, its dependencies' (each
//     from the repository it names, else the same repository);
//  2. read the destination marker, if any: the installed version;
//  3. inspect every path of both catalogs in the destination (stat; hash
//     only when the size matches) and plan keep / copy / delete; plan the
//     removal of subpackages the new version no longer has;
//  4. refuse with every conflict listed when any path holds content that is
//     neither the installed version's nor the new one's (a modified or
//     deleted package file, a user's own file where the package brings one,
//     a symbolic link leading outside), and change nothing;
//  5. execute: dropped subpackages, then subpackages, then this package's
//     copies and deletes; sync; write the marker last.
// A destination file already equal to the new version counts as done, so an
// interrupted install or update can simply be run again.
InstallResult install(CommandContext& ctx, const InstallOptions& options);

}  // namespace wrapp::commands
