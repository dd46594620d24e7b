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

// Last path segment of a relative path.
std::string_view base_name(std::string_view relative_path);

}  // namespace wrapp::commands
