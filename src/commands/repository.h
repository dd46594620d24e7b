// The repository layout: <repo>/.packages/<name>/<version>/ holds every file
// of the version at its relative path plus .<name>.wrapp, written last. A
// version exists only once its .wrapp file is there (docs/design.md).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "commands/context.h"
#include "model/package_info.h"
#include "storage/storage.h"
#include "storage/url.h"

namespace wrapp::commands {

storage::Url packages_url(const storage::Url& repo);
storage::Url version_url(const storage::Url& repo, const std::string& name, const std::string& version);
storage::Url repo_marker_url(const storage::Url& repo, const std::string& name, const std::string& version);

// Runs parse(text, window) on the document at `url` (Storage::read_document:
// mapped where the backend can, and handed back as the parse moves on).
// Returns nullopt when the document does not exist.
template <typename T>
std::optional<T> parse_document(CommandContext& ctx, const storage::Url& url,
                                const std::function<T(std::string_view, const TextWindow*)>& parse);

// Reads and parses a .wrapp file; nullopt when absent. Parse errors throw
// FailedCommand naming the file.
std::optional<model::PackageInfo> read_package_info(CommandContext& ctx, const storage::Url& wrapp_file);

// Like read_package_info, but a missing file is a FailedCommand naming it
// and `what` ("install marker", "package file").
model::PackageInfo require_package_info(CommandContext& ctx, const storage::Url& wrapp_file, const std::string& what);

// A version's package file as found: the canonical `.<name>.wrapp`, or the
// `<name>.wrapp` of older and hand-written repositories when only that one
// exists (the canonical name wins when both do).
struct RepoPackageFile {
  storage::Url url;
  model::PackageInfo info;
};
std::optional<RepoPackageFile> find_repo_package(CommandContext& ctx, const storage::Url& repo,
                                                 const std::string& name, const std::string& version);
// "<name>.wrapp": the older name of a package file.
std::string legacy_wrapp_file_name(std::string_view package_name);

// Reads the version's .wrapp file (either name) or fails with "package 'n' version 'v' not
// found in repository 'r'" (listing the versions that exist).
model::PackageInfo require_repo_package(CommandContext& ctx, const storage::Url& repo, const std::string& name,
                                        const std::string& version, storage::Url* found_at = nullptr);

// Refuses a catalog that lists the package's own .wrapp file as content:
// copying it would put a file where the marker goes.
void check_no_marker_item(const model::Catalog& catalog, const std::string& package_name, const std::string& origin);

// Writes a JSON document produced by `fill` to `url` as it is produced (a
// megabyte at a time), then a final newline; published on commit as any
// write. A catalog of a million items never sits in memory as text.
void write_json(CommandContext& ctx, const storage::Url& url, const storage::WriteOptions& options,
                const std::function<void(JsonWriter&)>& fill);

// How deep package trees may nest (a package, its subpackage, theirs...).
// Deeper trees are refused (FailedCommand naming the package file): a
// dependency cycle that no name check catches must end in an error, never
// in a stack overflow.
inline constexpr size_t kMaxPackageDepth = 64;
void check_package_depth(size_t depth, const storage::Url& wrapp_file);

// The repository of a command given none (create, install): the nearest
// folder at or above `start` that holds a `.packages` folder, as git finds
// its repository. The reference's default, "the root of the server", would
// be the file system's root for a local path; the nearest repository is
// what a user means there. None found: for a local folder FailedCommand
// (kNotFound) asking for --repo; in an object store, the root of the bucket
// or container, as the reference has it.
storage::Url default_repository(CommandContext& ctx, const storage::Url& start);

// Parses a URL or path given on the command line or in Python.
storage::Url parse_location(const std::string& text);

}  // namespace wrapp::commands
