// status: how an installed package tree differs from what was installed,
// reported as the reference's PackageStatusItems.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "model/catalog.h"
#include "storage/url.h"

namespace wrapp::commands {

struct StatusOptions {
  std::string wrapp_file;                  // <install location>/.<name>.wrapp
  std::optional<std::string> ignore_file;  // instead of <location>/.wrappignore
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
};

// The reference's PackageStatusItemType: what one finding is about.
enum class StatusItemType {
  kExtraItem,               // a file no catalog of the tree lists (not ignored)
  kExtraPackage,            // a package file in the tree that no dependency lists
  kItemDiffers,             // a catalog file differs in size or content
  kItemMissing,             // a catalog file is gone (or is a folder)
  kPackageMissing,          // a dependency's package file is gone
  kPackageModified,         // the package's own files differ: amended by the items above
  kPackageNoCatalog,        // a package file without catalog (`wrapp new`): nothing to compare
  kPackageVersionMismatch,  // installed at another version than its parent records
  kSubpackageModified,      // a subpackage is not clean
};

// "extra_item", "package_modified", ...: the reference's enum values.
const char* status_item_type_name(StatusItemType type);

// One finding: the reference's PackageStatusItem, plus the path it is about.
struct StatusItem {
  StatusItemType type;
  std::string package_name;  // the package whose list holds the item
  std::string wrapp_file;    // absolute URL of that package's file (absolute_wrapp_file_path)
  std::string message;       // human-readable (status_message)
  // Relative to that package's install location: the file (item types,
  // extra_item), the stray package file (extra_package), the subpackage's
  // package file (subpackage_modified); "" for the package itself.
  std::string relative_path;
};

struct PackageStatus {
  std::string package_name;
  std::string version;           // as its package file says, or as its parent records when that is missing
  std::string wrapp_file;        // URL of its package file
  std::string install_location;  // URL of the folder holding it
  // Package-level items first (missing, no catalog, version mismatch,
  // modified), then the others by path.
  std::vector<StatusItem> items;
  bool clean() const { return items.empty(); }
  bool has(StatusItemType type) const;
  // The relative paths of the items of one type, in order.
  std::vector<std::string> paths(StatusItemType type) const;
};

struct StatusResult {
  // The top package first, then its dependencies depth-first, each in the
  // order of its parent's `dependencies` list.
  std::vector<PackageStatus> packages;
  // The package files of the packages that are not clean, every subpackage
  // before the package that records it: the order to create new versions in.
  std::vector<std::string> dirty;
  // "" when no install holds or left the location's lock; otherwise one line
  // naming an install in progress, or one that was interrupted and how to
  // finish it (install_lock.h).
  std::string install_state;
  bool clean() const { return dirty.empty() && install_state.empty(); }
};

// Compares the install location with the catalogs of the package tree
// (docs/design.md, "Status semantics"). Uses the hash cache, so an
// unchanged install costs one stat per file.
StatusResult status(CommandContext& ctx, const StatusOptions& options);

// The --json form: {clean, install_state, dirty, packages: [{package,
// version, wrapp_file, install_location, clean, items: [{package_name,
// absolute_wrapp_file_path, status_message, status_item_type,
// relative_path}]}]}.
nlohmann::json to_json(const StatusResult& result);

// A modified or missing file of one catalog.
struct StatusEntry {
  enum class Kind { kModified, kMissing };
  Kind kind;
  std::string relative_path;
};

const char* status_kind_name(StatusEntry::Kind kind);  // "modified" | "missing"

// The modified and missing files of `catalog` installed at `location`, by
// path (no walk for other files): what uninstall, install and create check.
std::vector<StatusEntry> find_modifications(CommandContext& ctx, const storage::Url& location,
                                            const model::Catalog& catalog);

}  // namespace wrapp::commands
