// Whole files and package files read and written by a caller (the Python
// API's read_package_info/write_package_info and storage_interface's
// wrapp_read_file_content/wrapp_write_file_content), through the same
// storage layer and rules as every command: resolved beneath the location's
// root at the moment of the call, never through a link, published
// atomically (a reader sees the old file or the new one, never half).
#pragma once

#include <optional>
#include <string>

#include "commands/context.h"
#include "model/package_info.h"

namespace wrapp::commands {

// The file's bytes; nullopt when nothing exists there. A folder is
// FailedCommand; other failures StorageError naming the URL.
std::optional<std::string> read_file_content(CommandContext& ctx, const std::string& url);

// Writes `content` at `url`, replacing a file there atomically; missing
// parent folders are created.
void write_file_content(CommandContext& ctx, const std::string& url, const std::string& content);

// A .wrapp file as the reader accepts it (every format version it knows,
// bounded); nullopt when absent. Malformed: FailedCommand naming it.
std::optional<model::PackageInfo> read_package_file(CommandContext& ctx, const std::string& url);

// Writes `package` in the current format at `url`, replacing a file there
// atomically, a published version's included: scripts amend a version's
// catalog right after creating it (docs/python.md). The text is checked by
// the reader before it is written, so a file wrapp cannot read back is never
// written. Returns the URL written.
std::string write_package_file(CommandContext& ctx, const std::string& url, const model::PackageInfo& package);

}  // namespace wrapp::commands
