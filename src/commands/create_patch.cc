#include "commands/create_patch.h"

#include <nlohmann/json.hpp>

#include "commands/catalog.h"
#include "commands/patch_file.h"
#include "commands/repository.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

CreatePatchResult create_patch(CommandContext& ctx, const CreatePatchOptions& opt) {
  if (opt.ignore && opt.force) {
    fail_with(ErrorCode::kBadInput,
              "--ignore and --force contradict each other: a conflict is either left out or taken from B");
  }
  std::optional<Url> patch_file;
  if (opt.patch) {
    patch_file = parse_location(*opt.patch);
    refuse_existing_patch_file(ctx, *patch_file, opt.overwrite);
  }
  model::Catalog a = load_catalog_file(ctx, opt.a_catalog);
  model::Catalog b = load_catalog_file(ctx, opt.b_catalog);
  model::Catalog baseline = load_catalog_file(ctx, opt.baseline);
  if (a.root.empty()) {
    fail_with(ErrorCode::kBadInput, "catalog A '{}' has no root: a patch needs the root URL of the tree it changes",
              opt.a_catalog);
  }
  Url target = parse_location(a.root);
  CreatePatchResult result;
  result.patch = model::compute_patch(a, b, baseline, {.ignore = opt.ignore, .force = opt.force});
  if (patch_file && !ctx.dry_run) {
    write_patch_file(ctx, result.patch, *patch_file, opt.overwrite);
    result.patch_file = patch_file->str();
    log::info("wrote patch {} ({} operations, {} conflicts)", patch_file->display(), result.patch.operations.size(),
              result.patch.conflicts.size());
  }
  return result;
}

nlohmann::json to_json(const CreatePatchResult& result) {
  return {{"patch_file", result.patch_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.patch_file)},
          {"unresolved_conflicts", result.patch.unresolved_conflicts()},
          {"patch", to_json(result.patch)}};
}

}  // namespace wrapp::commands
