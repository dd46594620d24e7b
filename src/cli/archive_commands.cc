// Subcommands that move packages and trees out of repositories and back:
// export, import, freeze.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/app.h"
#include "commands/export_package.h"
#include "commands/freeze.h"
#include "commands/import_package.h"
#include "commands/repository.h"
#include "exec/progress_printer.h"

namespace wrapp::cli {

namespace {

std::string pretty(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void add_export(Cli& cli) {
  auto* sub = cli.app.add_subcommand("export", "Write a package version of a repository into an uncompressed tar file");
  auto o = std::make_shared<commands::ExportOptions>();
  auto catalog = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("version", o->version, "Version to export")->required();
  sub->add_option("output", o->output, "Tar file to write")->required();
  sub->add_option("--repo", o->repo, "Repository holding the package")->required();
  sub->add_option("--catalog", *catalog,
                  "Catalog file naming the items to export (a subset of the version's, by relative path)");
  sub->add_flag("--dedup", o->dedup,
                "Store each distinct content once, as .wrapp-blobs/<hash>, mapped by the catalog's storage map");
  sub->add_flag("--overwrite", o->overwrite, "Replace OUTPUT if it exists");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, catalog, as_json] {
    if (!catalog->empty()) o->catalog = *catalog;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::export_package(ctx, *o);
      if (*as_json) {
        out(pretty(commands::to_json(r)));
      } else if (ctx.dry_run) {
        out(r.plan.describe());
      } else {
        out(fmt::format("exported {} {} to {}: {} files in {} members ({})\n", o->package_name, o->version,
                        commands::parse_location(r.output).display(), r.files, r.plan.actions.size() + 1,
                        exec::format_bytes(r.plan.bytes(commands::PlanAction::Kind::kCopy))));
      }
      return 0;
    });
  });
}

void add_import(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "import", "Publish the package version an exported tar (or .tar.gz) holds into a repository");
  auto o = std::make_shared<commands::ImportOptions>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("package_file", o->package_file, "The archive: .tar or .tar.gz made by 'wrapp export'")->required();
  sub->add_option("repository", o->repository, "Repository to publish into (folder or URL, without .packages)")
      ->required();
  sub->add_flag("--overwrite", o->overwrite,
                "Replace a version that exists with other content (unpublished first, once the archive verified)");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::import_package(ctx, *o);
      if (*as_json) {
        out(pretty(commands::to_json(r)));
      } else if (r.no_op) {
        out(fmt::format("{} {} is already in {}\n", r.package_name, r.version, o->repository));
      } else if (ctx.dry_run) {
        out(fmt::format("would import {} {}{}\n", r.package_name, r.version, r.replaced ? " (replacing it)" : ""));
        out(r.plan.describe());
      } else {
        using K = commands::PlanAction::Kind;
        out(fmt::format("imported {} {} into {}{}: {} files ({})\n", r.package_name, r.version, o->repository,
                        r.replaced ? ", replacing the version there" : "", r.plan.actions.size(),
                        exec::format_bytes(r.plan.bytes(K::kCopy) + r.plan.bytes(K::kKeep))));
      }
      return 0;
    });
  });
}

void add_freeze(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "freeze", "Copy a folder, or the files a catalog lists, into a plain folder: a frozen copy");
  auto o = std::make_shared<commands::FreezeOptions>();
  auto ignore_file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("source", o->source, "Folder to freeze, or with --catalog a catalog file")->required();
  sub->add_option("destination", o->destination, "Folder to write (absent or empty unless --overwrite)")->required();
  sub->add_flag("--catalog", o->catalog, "SOURCE is a catalog file: freeze the files it lists, verifying their hashes");
  sub->add_option("--ignore-file", *ignore_file, "Ignore rules instead of SOURCE/.wrappignore (folders only)");
  sub->add_flag("--skip-missing", o->skip_missing, "With --catalog: leave out files that no longer exist");
  sub->add_flag("--overwrite", o->overwrite,
                "Write into a destination that is not empty (files at the same paths are replaced)");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, ignore_file, as_json] {
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::freeze(ctx, *o);
      if (*as_json) {
        out(pretty(commands::to_json(r)));
      } else if (ctx.dry_run) {
        out(r.plan.describe());
      } else {
        using K = commands::PlanAction::Kind;
        out(fmt::format("froze {} files ({}) into {}{}\n", r.plan.count(K::kCopy),
                        exec::format_bytes(r.plan.bytes(K::kCopy)), o->destination,
                        r.skipped.empty() ? "" : fmt::format(" ({} missing file(s) left out)", r.skipped.size())));
      }
      return 0;
    });
  });
}

}  // namespace

void add_archive_commands(CommandRegistry& registry) {
  registry["export"] = add_export;
  registry["import"] = add_import;
  registry["freeze"] = add_freeze;
}

}  // namespace wrapp::cli
