// Subcommands of patches: create-patch, apply-patch.
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "commands/apply_patch.h"
#include "commands/create_patch.h"
#include "commands/patch_file.h"
#include "commands/repository.h"
#include "util/log.h"

namespace wrapp::cli {

namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void add_create_patch(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "create-patch",
      "Compute the operations that turn tree A into B, keeping A's own changes since BASELINE (three-way); exit 1 "
      "when conflicts remain unresolved");
  auto o = std::make_shared<commands::CreatePatchOptions>();
  auto patch = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("a_catalog", o->a_catalog, "Catalog (or .wrapp file) of the target as it is now")->required();
  sub->add_option("b_catalog", o->b_catalog, "Catalog (or .wrapp file) of the new version")->required();
  sub->add_option("baseline", o->baseline, "Catalog (or .wrapp file) of what A and B both started from")->required();
  sub->add_option("patch_file", *patch, "Patch file to write (JSON)")->required();
  sub->add_flag("--tags", o->tags, "Also patch tags (no storage of this build has tags: no tag operations are made)");
  sub->add_flag("--overwrite", o->overwrite, "Replace an existing patch file");
  sub->add_flag("--ignore", o->ignore, "Leave conflicting paths as A has them (no operation); exit 0");
  sub->add_flag("--force", o->force, "Take B's version of conflicting paths; exit 0");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, patch, as_json] {
    o->patch = *patch;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      if (o->tags) {
        log::warn("create-patch --tags: no storage of this build has tags (Nucleus tags); the patch has no tag "
                  "operations");
      }
      auto r = commands::create_patch(ctx, *o);
      size_t open = r.patch.unresolved_conflicts();
      if (*as_json) {
        out(dump(commands::to_json(r)));
      } else {
        out(commands::describe(r.patch));
        out(fmt::format("{} {}: {} operation(s), {} conflict(s){}\n", ctx.dry_run ? "would write" : "wrote",
                        commands::parse_location(*patch).display(), r.patch.operations.size(),
                        r.patch.conflicts.size(), open ? fmt::format(", {} unresolved", open) : ""));
      }
      return open ? 1 : 0;
    });
  });
}

void add_apply_patch(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "apply-patch", "Execute a patch file: copies, then tags, then deletes (exit non-zero when an operation failed)");
  auto o = std::make_shared<commands::ApplyPatchOptions>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("patch_file", o->patch, "Patch file written by create-patch or install --patch")->required();
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::apply_patch(ctx, *o);
      std::string target = commands::parse_location(r.patch.target).display();
      if (*as_json) {
        out(dump(commands::to_json(r)));
      } else if (r.dry_run) {
        out(commands::describe(r.patch));
        out(fmt::format("would apply {} operation(s) to {}\n", r.patch.operations.size(), target));
      } else {
        for (const auto& f : r.failed) out(fmt::format("failed: {}: {}\n", commands::describe(f.operation), f.message));
        out(fmt::format("applied {} of {} operation(s) to {}{}\n", r.applied, r.patch.operations.size(), target,
                        r.failed.empty() ? "" : fmt::format("; {} failed", r.failed.size())));
      }
      if (!r.failed.empty()) {
        log::error("{} of {} operation(s) of patch '{}' failed; the others were applied", r.failed.size(),
                   r.patch.operations.size(), commands::parse_location(o->patch).display());
      }
      return r.exit_code();
    });
  });
}

}  // namespace

void add_patch_commands(CommandRegistry& registry) {
  registry["create-patch"] = add_create_patch;
  registry["apply-patch"] = add_apply_patch;
}

}  // namespace wrapp::cli
