// status: how an installed package differs from what was installed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "model/catalog.h"
#include "storage/url.h"

namespace wrapp::commands {

struct StatusOptions {
  std::string wrapp_file;                  // <install location>/.<name>.wrapp
  std::optional<std::string> ignore_file;  // instead of <location>/.wrappignore
  bool recursive = true;                   // also report subpackages (dependencies)
};

struct StatusEntry {
  enum class Kind { kModified, kMissing, kAdded };
  Kind kind;
  std::string relative_path;
};

struct PackageStatus {
  std::string package_name;
  std::string version;
  std::string wrapp_file;        // URL of the marker
  std::string install_location;  // URL of the folder holding it
  std::vector<StatusEntry> entries;  // sorted by path
  bool missing_marker = false;       // a dependency's marker is gone
  bool clean() const { return entries.empty() && !missing_marker; }
};

struct StatusResult {
  std::vector<PackageStatus> packages;  // the top package first, then subpackages depth-first
  // "" when no install holds or left the location's lock; otherwise one line
  // naming an install in progress, or one that was interrupted and how to
  // finish it (install_lock.h).
  std::string install_state;
  bool clean() const;
};

const char* status_kind_name(StatusEntry::Kind kind);  // "modified" | "missing" | "added"

// Compares the install location with the marker's catalog: modified (size or
// hash differs), missing, and added (present, not in the catalog, not
// ignored, not another package's file or marker). Uses the hash cache, so an
// unchanged install costs one stat per file.
StatusResult status(CommandContext& ctx, const StatusOptions& options);

// The modified and missing files only (no walk for added files): what
// uninstall checks before deleting.
std::vector<StatusEntry> find_modifications(CommandContext& ctx, const storage::Url& location,
                                            const model::Catalog& catalog);

}  // namespace wrapp::commands
