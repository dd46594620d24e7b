// export: one package version of a repository as an uncompressed tar, for
// offline transport; `import` publishes it into another repository.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/plan.h"

namespace wrapp::commands {

struct ExportOptions {
  std::string package_name;
  std::string version;
  std::string output;               // the tar file to write
  std::optional<std::string> repo;  // required
  // A catalog file (or .wrapp file) naming the items to export: a subset of
  // the version's catalog, matched by relative path (and hash and size,
  // where it records them). Without it, every item of the version.
  std::optional<std::string> catalog;
  bool dedup = false;      // store each distinct content once, named by its hash
  bool overwrite = false;  // replace an existing OUTPUT
};

struct ExportResult {
  std::string output;  // URL of the tar
  std::string wrapp_file;  // the version's package file that was exported
  size_t files = 0;  // catalog items exported
  // One kCopy per data member, in archive order: relative_path is the
  // member's name, `from` the file its bytes are read from. The package
  // file, first in the archive, is not listed.
  Plan plan;
};

// Steps: read the version's package file; pick the items (--catalog);
// refuse a missing file or one of another size, listing them all, and an
// existing OUTPUT unless --overwrite; write the tar through one Writer,
// published on commit: first `.<name>.wrapp` (the version's package file, its
// catalog limited to the items, with a storage map of the blobs for
// --dedup), then each member, every byte hashed on its way and compared with
// the catalog (a mismatch fails naming the file, and OUTPUT is not written).
ExportResult export_package(CommandContext& ctx, const ExportOptions& options);

nlohmann::json to_json(const ExportResult& result);

}  // namespace wrapp::commands
