// The layout of the tar archives that export writes and import reads
// (docs/formats.md, "Package archives"): every member sits at the archive's
// root under the package-relative path of its item, and the package file
// `.<name>.wrapp`, first, says what the archive holds.
#pragma once

#include <string>
#include <string_view>

#include "commands/tree.h"
#include "model/hash.h"

namespace wrapp::commands {

// The folder of export --dedup's blobs: each distinct content once, as
// ".wrapp-blobs/<64 hex digits of its hash>", which the package file's
// catalog maps the hash to (storage_map).
inline constexpr std::string_view kBlobFolder = ".wrapp-blobs";

inline std::string blob_member_name(const model::ContentHash& hash) {
  return std::string(kBlobFolder) + "/" + model::to_hex(hash.digest());
}

// A member import takes for a package file: `.<name>.wrapp` at the root.
// No content may have such a name (export refuses it).
inline bool is_package_file_member(std::string_view path) {
  return path.size() > 7 && path.find('/') == std::string_view::npos && path.starts_with('.') &&
         is_wrapp_file_name(path);
}

}  // namespace wrapp::commands
