// uninstall: remove an installed package's files, after checking that no
// local modification would be lost.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/status.h"

namespace wrapp::commands {

struct UninstallOptions {
  std::string package_name;
  // The install location (folder holding .<name>.wrapp), or a .wrapp file of
  // another package that recorded this one as a dependency (`wrapp new`
  // file): then the package is uninstalled from the location that file
  // records, and that record is removed from the file (by compare-and-swap,
  // dependency_file.h). When nothing is installed there any more, only the
  // record goes.
  std::string install_location;
  bool force = false;  // delete even modified files
};

struct UninstallResult {
  std::vector<std::string> removed;  // URLs of the removed markers (subpackages first)
  size_t files_removed = 0;
  std::vector<StatusEntry> modified;  // what --force discarded (or would refuse on)
  // Dependency-file mode: the file, and whether its record of the package
  // was (or, on a dry run, would be) removed.
  std::string dependency_file;
  bool record_removed = false;
  bool was_installed = true;  // false: only the record went (nothing was installed there)
};

// Steps: read the marker(s); find modified and missing files (recursively
// through subpackages); refuse listing them unless force; delete only the
// package's files and the folders they leave empty; delete the marker last.
// Files that are not the package's are never touched.
UninstallResult uninstall(CommandContext& ctx, const UninstallOptions& options);

// {"removed", "files_removed", "modified": [{"kind", "relative_path"}], "dependency_file", "record_removed",
//  "was_installed"}.
nlohmann::json to_json(const UninstallResult& result);

}  // namespace wrapp::commands
