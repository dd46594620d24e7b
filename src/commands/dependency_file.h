// Dependency files: a package file (usually written by `wrapp new`) that
// `install --dependency-file` records installs into and `uninstall NAME FILE`
// removes them from, the reference's dependency-file workflow. `create` on
// the folder then finds the installed markers and records them as the new
// version's dependencies.
//
// Such a file is shared by every install into its folder, so it is
// rewritten by compare-and-swap: read with the etag of the very version
// read, changed, written back only if that etag still holds
// (WriteOptions::if_match), read again on a conflict. A concurrent rewrite
// is never lost.
#pragma once

#include <functional>
#include <string>

#include "commands/context.h"
#include "model/package_info.h"
#include "storage/url.h"

namespace wrapp::commands {

// How often a rewrite reads again after another writer replaced the file
// between its read and its write.
inline constexpr int kMaxRewriteAttempts = 20;

// Reads `file` (FailedCommand when absent or invalid), calls `change` on
// it, and, when `change` returns true, writes it back unless another
// writer replaced it meanwhile; then everything runs again, at most
// kMaxRewriteAttempts times. Unknown top-level keys are kept. Returns what
// was written (or what was read when nothing changed).
model::PackageInfo rewrite_package_file(CommandContext& ctx, const storage::Url& file,
                                        const std::function<bool(model::PackageInfo&)>& change);

// The install location `destination` as a dependency of `file`: its path
// relative to the folder holding `file` ("" for that folder itself).
// FailedCommand when it lies outside that folder.
std::string relative_destination_in(const storage::Url& file, const storage::Url& destination);

// Refuses (FailedCommand) to record `dependency` into `info` (read from
// `file`) when it records the same package at another place: a dependency
// file names each package once, so `uninstall NAME FILE` knows which.
void check_can_record(const model::PackageInfo& info, const storage::Url& file, const model::Dependency& dependency);

// Adds `dependency` to `file`, or updates the record of that package (its
// version and repository). Returns false when the record was already there
// as it is.
bool record_dependency(CommandContext& ctx, const storage::Url& file, const model::Dependency& dependency);

// Removes the record of `package` at `relative_destination` from `file`,
// and only that one. Returns false when there was none.
bool remove_dependency(CommandContext& ctx, const storage::Url& file, const std::string& package,
                       const std::string& relative_destination);

}  // namespace wrapp::commands
