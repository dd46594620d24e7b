// Reading a folder tree into a catalog: walk (pruned by ignore rules), then
// hash every file in parallel.
#pragma once

#include <optional>
#include <string>

#include "commands/context.h"
#include "model/catalog.h"
#include "model/ignore_rules.h"
#include "storage/storage.h"

namespace wrapp::commands {

// The ignore rules for a tree rooted at `root`: the built-in rule plus the
// --ignore-file (a path resolved against the working directory, or a URL;
// missing is an error) or, without one, `<root>/.wrappignore` if present.
// Sub-folder .wrappignore files have no effect.
model::IgnoreEvaluator load_ignore_rules(const storage::Url& root, const std::optional<std::string>& ignore_file);

// Every file below `root` that the rules keep, sorted by relative path.
// `skip_dir` (relative to root) is left out entirely: a repository's
// .packages folder inside the tree being packaged.
std::vector<storage::ListEntry> walk_tree(const storage::Url& root, const model::IgnoreEvaluator& ignores,
                                          storage::SymlinkPolicy symlinks = storage::SymlinkPolicy::kRefuseOutside,
                                          const std::string& skip_dir = "");

// Hashes `entries` (relative to `root`) into a catalog whose items point at
// root/relative_path. Progress: one task and size bytes per file.
model::Catalog hash_tree(CommandContext& ctx, const storage::Url& root, const std::vector<storage::ListEntry>& entries,
                         exec::ProgressJob* progress);

// True for names of package marker files: ".<name>.wrapp" (and the legacy
// visible "<name>.wrapp").
bool is_wrapp_file_name(std::string_view file_name);

// After deleting files (relative paths below `root`), removes the folders
// that became empty, deepest first; never `root` itself. Local only: object
// stores have no folders to leave behind.
void remove_emptied_folders(const storage::Url& root, const std::vector<std::string>& removed);

// Removes files in an unpublished version folder (no .wrapp yet) that are
// not in `catalog`: leftovers of an interrupted create or mirror.
void remove_unpublished_leftovers(const storage::Url& version, const model::Catalog& catalog,
                                  const std::string& marker_name);

// Last path segment of a relative path.
std::string_view base_name(std::string_view relative_path);

}  // namespace wrapp::commands
