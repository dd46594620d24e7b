// create-patch: the operations that turn a tree A into B, keeping A's own
// changes since their common ancestor (the baseline), and the conflicts.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/patch.h"

namespace wrapp::commands {

struct CreatePatchOptions {
  // Catalog files (`wrapp catalog`) or .wrapp files (their catalogs).
  std::string a_catalog;  // the target as it is now; its root is the patch's target
  std::string b_catalog;  // the new version
  std::string baseline;   // what A and B both started from
  std::optional<std::string> patch;  // file to write; none: only compute
  // The reference's: also patch tags. No storage of this build has tags, so
  // no tag operations are made (the CLI warns); tags are never compared.
  bool tags = false;
  bool overwrite = false;  // replace an existing patch file
  bool ignore = false;     // conflicts get no operation (and count as resolved)
  bool force = false;      // conflicts take B's version
};

struct CreatePatchResult {
  model::Patch patch;
  std::string patch_file;  // URL written; "" when none was (no file given, --dry-run)
};

// Steps: refuse an existing patch file (unless overwrite) and --ignore with
// --force; read the three catalogs; compute the patch three-way
// (model::compute_patch); write it (atomically) unless dry-run. Conflicts
// are data, not errors: the caller decides what unresolved ones mean.
CreatePatchResult create_patch(CommandContext& ctx, const CreatePatchOptions& options);

// {"patch_file": ..., "unresolved_conflicts": N, "patch": <the patch file's JSON>}
nlohmann::json to_json(const CreatePatchResult& result);

}  // namespace wrapp::commands
