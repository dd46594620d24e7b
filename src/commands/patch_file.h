// Patch files (docs/formats.md, "Patch files"): reading and writing them
// through the storage layer, and their JSON form for --json, shared by
// create-patch, apply-patch and install --patch.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "model/patch.h"
#include "storage/url.h"

namespace wrapp::commands {

// Reads and parses a patch file; a missing one is FailedCommand code
// kNotFound naming it ("patch file '...' not found").
model::Patch read_patch_file(CommandContext& ctx, const storage::Url& url);

// Writes the patch, published atomically. Without `overwrite` an existing
// file is refused (code kAlreadyExists) and left as it is.
void write_patch_file(CommandContext& ctx, const model::Patch& patch, const storage::Url& url, bool overwrite);

// Refuses (kAlreadyExists) an existing file at `url` unless `overwrite`:
// asked before any work, so a command does not compute what it cannot write.
void refuse_existing_patch_file(CommandContext& ctx, const storage::Url& url, bool overwrite);

// The patch as its file holds it (the same keys), for --json.
nlohmann::json to_json(const model::Patch& patch);

// One line per operation ("copy <src> -> <dst> (<size>)", "delete <url>",
// "add_tag <url> <tag>") and per conflict ("conflict <path>: <reason>
// [<resolution>]"), URLs shown as local paths where they are local.
std::string describe(const model::Patch& patch);
std::string describe(const model::PatchOperation& op);

}  // namespace wrapp::commands
