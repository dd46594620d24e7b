// install: put a package version into a working folder, or update the
// version installed there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/file_ops.h"
#include "commands/plan.h"

namespace wrapp::commands {

struct InstallOptions {
  std::string package_name;
  std::string version;
  std::string destination;
  std::optional<std::string> repo;  // required
  LinkMode link_mode = LinkMode::kCopy;
};

struct InstallResult {
  std::string wrapp_file;  // the install marker
  bool no_op = false;      // the version was already installed and unmodified
  Plan plan;
  std::vector<InstallResult> dependencies;  // installed subpackages
};

// A path in the destination that install will not touch: a package file the
// user modified or deleted, or a user's own file where the package brings one.
struct Conflict {
  std::string relative_path;
  std::string reason;  // "modified", "missing", "not part of the package", "folder in the way"
};

// Steps: read the version's .wrapp; read the destination marker if any;
// inspect every path of both catalogs in the destination (stat, hash only
// when sizes match); plan keep/copy/delete; refuse with every conflict
// listed and nothing changed; copy, delete, sync; write the marker last.
// A destination file already equal to the new version's counts as done, so
// an interrupted install or update can simply be run again.
InstallResult install(CommandContext& ctx, const InstallOptions& options);

}  // namespace wrapp::commands
