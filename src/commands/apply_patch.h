// apply-patch: execute a patch file (create-patch, install --patch).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/patch.h"
#include "util/error.h"

namespace wrapp::commands {

struct ApplyPatchOptions {
  std::string patch;  // the patch file (a path or URL)
  // The patch file's content instead of reading `patch` (the Python API's
  // Patch.execute): parsed and checked as a file is; `patch` then only
  // names it in messages.
  std::optional<std::string> patch_text;
};

struct FailedOperation {
  model::PatchOperation operation;
  std::string message;
  ErrorCode code = ErrorCode::kGeneric;
  int exit_code = 2;  // 1: a precondition (bytes that do not match, no tags); 2: the storage failed
};

struct ApplyPatchResult {
  std::string patch_file;  // URL
  model::Patch patch;      // operations in the order they are executed
  bool dry_run = false;    // checked and listed, nothing executed
  size_t applied = 0;      // operations that succeeded (0 on a dry run)
  std::vector<FailedOperation> failed;  // in execution order

  // 0 when every operation succeeded, else the highest exit code among the
  // failures.
  int exit_code() const;
};

// Steps:
//  1. read the patch file (missing: exit 1 naming it);
//  2. check every operation before anything is written: each `dst`/`url`
//     lies strictly beneath the patch's target and is a safe relative path
//     there (never one of wrapp's own working files), each copy source is a
//     URL some backend serves, no path is changed twice, no copy lands
//     inside another copy, no symbolic link lies on the way; every problem
//     is listed in one error (kBadInput) and nothing is written;
//  3. --dry-run stops here;
//  4. take the target's install lock (refused while an install into it is
//     running, or was interrupted and not finished);
//  5. execute in the reference's order: copies (and delete_tag), then
//     add_tag, then deletes. Deletes that clear the way for a copy (a file
//     where a copy needs a folder, files in a folder a copy replaces by a
//     file) run first. Copies verify the bytes against the operation's
//     hash and size while they pass and publish atomically: a file is never
//     left with bytes other than the patch promised. Emptied folders go.
// Every operation runs; the failures are gathered, each with its message,
// and returned (never thrown). Tag operations fail: no store of this wrapp
// holds tags.
ApplyPatchResult apply_patch(CommandContext& ctx, const ApplyPatchOptions& options);

// {"patch_file", "target", "dry_run", "applied", "failed": [{"operation": {...}, "message", "code"}],
//  "operations": [...], "conflicts": [...]} (operations and conflicts as the patch file has them).
nlohmann::json to_json(const ApplyPatchResult& result);

}  // namespace wrapp::commands
