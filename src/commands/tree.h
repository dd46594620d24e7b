// Reading a folder tree into a catalog: walk (pruned by ignore rules), then
// hash every file in parallel.
#pragma once

#include <optional>
#include <string>

#include "commands/context.h"
#include "model/catalog.h"
#include "model/ignore_rules.h"
#include "storage/listing.h"
#include "storage/storage.h"

namespace wrapp::commands {

// The ignore rules for a tree rooted at `root`: the built-in rule plus the
// --ignore-file (a path resolved against the working directory, or a URL;
// missing is an error) or, without one, `<root>/.wrappignore` if present.
// Sub-folder .wrappignore files have no effect.
// With `predicate` (the Python API's IgnoreEvaluator) neither is read: the
// built-in rule and the predicate decide.
model::IgnoreEvaluator load_ignore_rules(CommandContext& ctx, const storage::Url& root, const std::optional<std::string>& ignore_file,
                                         const model::IgnoreEvaluator::Predicate& predicate = {});

// Every file below `root` that the rules keep (neither ignored nor one of
// wrapp's working files), in pages as the storage lists them: unsorted, one
// page at a time (storage::ListPage), never all held at once. `skip_dirs`
// (relative to root) are left out entirely: a repository's .packages and
// .wrapp-locks folders inside the tree being packaged. Throws FailedCommand
// when `root` is missing or a file.
void walk_tree_pages(CommandContext& ctx, const storage::Url& root, const model::IgnoreEvaluator& ignores,
                     storage::SymlinkPolicy symlinks, const std::vector<std::string>& skip_dirs,
                     const storage::ListPage& on_page);

// The same files, sorted by relative path (all held: for commands that need
// the whole tree at once).
storage::Listing walk_tree(CommandContext& ctx, const storage::Url& root, const model::IgnoreEvaluator& ignores,
                           storage::SymlinkPolicy symlinks = storage::SymlinkPolicy::kRefuseOutside,
                           const std::vector<std::string>& skip_dirs = {});

// Refuses (FailedCommand, listing them) file names that a catalog cannot
// carry or an install could not write back: control characters,
// backslashes, invalid UTF-8.
void check_packable_names(const storage::Listing& entries);

// The same check for paths that come a few at a time (a walk's pages): the
// refused ones are gathered, then reported together, sorted.
class UnpackableNames {
 public:
  // Notes `relative_path` when a catalog cannot carry it.
  void check(const std::string& relative_path);
  bool any() const { return !refused_.empty(); }
  // FailedCommand (ErrorCode::kBadInput) listing every name noted.
  void throw_if_any();

 private:
  std::vector<std::pair<std::string, std::string_view>> refused_;  // path, problem
};

// Hashes `entries` (relative to `root`) into a catalog whose items point at
// root/relative_path. Progress: one task and size bytes per file. Takes the
// entries: their paths move into the items, so a tree of a million files is
// not held twice.
model::Catalog hash_tree(CommandContext& ctx, const storage::Url& root, storage::Listing entries,
                         exec::ProgressJob* progress);

// True for names of package marker files: ".<name>.wrapp" (and the legacy
// visible "<name>.wrapp").
bool is_wrapp_file_name(std::string_view file_name);

// After deleting files (relative paths below `root`), removes the folders
// that became empty, deepest first; never `root` itself. Stores without
// real folders have none to leave behind.
void remove_emptied_folders(CommandContext& ctx, const storage::Url& root, const std::vector<std::string>& removed);

// Removes `dir` if it holds nothing but (nested) empty folders.
void remove_empty_folder_tree(CommandContext& ctx, const storage::Url& dir);

// Removes files in an unpublished version folder (no .wrapp yet) that the
// version will not hold (`catalog`): leftovers of an interrupted create or
// mirror. Called before copying, so a leftover file where the version needs
// a folder (or the other way round) is out of the way.
void remove_unpublished_leftovers(CommandContext& ctx, const storage::Url& version, const model::Catalog& catalog);

// True when `url` is a symbolic link, or one lies on its way beneath its
// anchor (storage/url.h). Nothing is ever written or deleted through it:
// storage refuses that at the moment of the call; planners ask first to
// report every such path together. When it is not, `info` (if given)
// receives what the same stat found there (nullopt: nothing).
bool behind_link(CommandContext& ctx, const storage::Url& url, std::optional<storage::FileInfo>* info = nullptr);

// True for wrapp's own working files in a tree: an install's lock and the
// temporary names of writes in flight. Never content, never "added".
bool is_wrapp_work_file(std::string_view file_name);

// Last path segment of a relative path.
std::string_view base_name(std::string_view relative_path);
// The folder part of a relative path: all but its last segment ("" for a
// name at the top).
std::string_view parent_dir(std::string_view relative_path);

}  // namespace wrapp::commands
