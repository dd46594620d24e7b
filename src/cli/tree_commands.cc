// Subcommands that read or reshape package trees and repositories:
// create-metapackage, extract-catalog, find-orphans, delete-packages,
// installed-package-list, traceback.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "commands/create_metapackage.h"
#include "commands/delete_packages.h"
#include "commands/extract_catalog.h"
#include "commands/find_orphans.h"
#include "commands/installed_package_list.h"
#include "commands/repository.h"
#include "commands/traceback.h"
#include "exec/progress_printer.h"

namespace wrapp::cli {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

std::string shown(const std::string& url) { return commands::parse_location(url).display(); }

// A repeatable option taking `n` values each time (CLI11: one flat list).
CLI::Option* add_tuple_option(CLI::App& sub, const std::string& name, std::vector<std::string>& values, int n,
                              const std::string& help) {
  return sub.add_option(name, values, help)
      ->type_size(n)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::vector<model::UniquePackageLocation> locations_of(const std::vector<std::string>& flat) {
  std::vector<model::UniquePackageLocation> out;
  for (size_t i = 0; i + 2 < flat.size(); i += 3) out.push_back({flat[i], flat[i + 1], flat[i + 2]});
  return out;
}

void add_create_metapackage(Cli& cli) {
  auto* sub = cli.app.add_subcommand("create-metapackage",
                                     "Publish a package with no files of its own, only dependencies on other packages");
  auto o = std::make_shared<commands::CreateMetapackageOptions>();
  auto deps = std::make_shared<std::vector<std::string>>();
  auto deps_file = std::make_shared<std::string>();
  sub->add_option("package_name", o->package_name, "Name of the metapackage")->required();
  sub->add_option("version", o->version, "Version to create (must not exist yet)")->required();
  sub->add_option("repo", o->repo, "Repository to publish it in")->required();
  add_tuple_option(*sub, "--dependency", *deps, 4,
                   "A dependency: NAME VERSION REPO RELATIVE_PATH (REPO '' = this repository, RELATIVE_PATH '' or "
                   "'.' = the install folder itself); repeatable");
  sub->add_option("--dependencies-file", *deps_file,
                  "JSON list of {package, version, repository, relative_destination} objects");
  sub->add_flag("--skip-dependency-check", o->skip_dependency_check,
                "Do not read the dependencies: publish even if they do not exist (yet)");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, deps, deps_file] {
    for (size_t i = 0; i + 3 < deps->size(); i += 4) {
      o->dependencies.push_back({(*deps)[i], (*deps)[i + 1], (*deps)[i + 2], (*deps)[i + 3]});
    }
    if (!deps_file->empty()) o->dependencies_file = *deps_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::create_metapackage(ctx, *o);
      std::string tree = o->skip_dependency_check
                             ? std::string(", not checked")
                             : fmt::format(", a tree of {} packages and {} files", r.tree_packages, r.tree_items);
      out(fmt::format("{} metapackage {} {} in {}: {} dependencies{}\n", ctx.dry_run ? "would create" : "created",
                      o->package_name, o->version, o->repo, r.package.dependencies.size(), tree));
      return 0;
    });
  });
}

void add_extract_catalog(Cli& cli) {
  auto* sub = cli.app.add_subcommand("extract-catalog",
                                     "Write the catalog of a repository package version (with --recursive: of its "
                                     "whole dependency tree)");
  auto o = std::make_shared<commands::ExtractCatalogOptions>();
  auto output = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("package", o->package, "Name of the package")->required();
  sub->add_option("version", o->version, "Version")->required();
  sub->add_option("repo", o->repo, "Repository holding it")->required();
  sub->add_option("output", *output, "Catalog file to write")->required();
  sub->add_flag("--recursive", o->recursive,
                "Flatten the whole dependency tree: each subpackage's files below the folder install puts it in");
  sub->add_flag("--add-wrapp-files", o->add_wrapp_files, "Also list each package's .wrapp file");
  sub->add_flag("--overwrite", o->overwrite, "Replace OUTPUT if it exists");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, output, as_json] {
    o->output = *output;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::extract_catalog(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return 0;
      }
      size_t subpackages = r.packages.empty() ? 0 : r.packages.size() - 1;
      out(fmt::format("{} {} items ({}) of {} {}{} into {}\n", ctx.dry_run ? "would extract" : "extracted",
                      r.catalog.items.size(), exec::format_bytes(r.catalog.total_size()), o->package, o->version,
                      subpackages ? fmt::format(" and {} subpackage(s)", subpackages) : "", *output));
      return 0;
    });
  });
}

void add_find_orphans(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "find-orphans", "List the versions in repositories that no given top-level version needs (through all its "
                      "dependencies)");
  auto locking = std::make_shared<std::vector<std::string>>();
  auto repos = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  add_tuple_option(*sub, "--package", *locking, 3,
                   "A top-level version to keep, with all it needs: NAME VERSION REPO; repeatable")
      ->required();
  sub->add_option("--repo", *repos, "A repository to look for orphans in; repeatable")->required();
  sub->add_flag("--json", *as_json, "Print a JSON list of {package, version, repository} (delete-packages --from-file)");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, locking, repos, as_json] {
    commands::FindOrphansOptions o{locations_of(*locking), *repos};
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::find_orphaned_package_versions(ctx, o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
      } else {
        for (const auto& l : r.orphans) out(fmt::format("{} {} {}\n", l.package, l.version, shown(l.repository)));
      }
      return 0;
    });
  });
}

void add_delete_packages(Cli& cli) {
  auto* sub = cli.app.add_subcommand("delete-packages",
                                     "Delete package versions from their repositories, for good (the package file "
                                     "first, then the files, then the emptied folders)");
  auto o = std::make_shared<commands::DeletePackagesOptions>();
  auto flat = std::make_shared<std::vector<std::string>>();
  auto from_file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  add_tuple_option(*sub, "--package", *flat, 3, "A version to delete: NAME VERSION REPO; repeatable");
  sub->add_option("--from-file", *from_file, "JSON list of {package, version, repository} (find-orphans --json)");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, flat, from_file, as_json] {
    o->to_delete = locations_of(*flat);
    if (!from_file->empty()) o->from_file = *from_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::delete_packages_from_repo(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return 0;
      }
      for (const auto& v : r.versions) {
        out(fmt::format("{} {} {} from {}: {} files ({}){}\n", ctx.dry_run ? "would delete" : "deleted", v.package,
                        v.version, shown(v.repository), v.files.size(), exec::format_bytes(v.bytes),
                        v.published ? "" : ", no package file (an interrupted run's leftovers)"));
      }
      return 0;
    });
  });
}

void add_installed_package_list(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "installed-package-list",
      "List the packages of an installed tree: recorded dependencies and package files lying in the tree");
  auto o = std::make_shared<commands::InstalledPackageListOptions>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("wrapp_file", o->wrapp_file, "The top-level package file, or the folder holding it")->required();
  sub->add_flag("--direct-only", o->direct_only, "Only the top-level file's recorded direct dependencies");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::installed_package_list(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return 0;
      }
      for (const auto& p : r.packages) {
        out(fmt::format("{} {} at {} (from {}, {}): {}{}\n", p.name, p.version,
                        p.install_location.empty() ? "." : p.install_location,
                        p.repository ? shown(*p.repository) : "no repository",
                        p.num_items ? fmt::format("{} items", *p.num_items) : "no catalog", shown(p.wrapp_file_url),
                        p.recorded ? "" : " [not recorded as a dependency]"));
      }
      return 0;
    });
  });
}

void add_traceback(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "traceback", "Show where a package file came from, following its repository and source pointers");
  auto o = std::make_shared<commands::TracebackOptions>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("wrapp_file", o->wrapp_file, "The package file to trace, or the folder holding it")->required();
  sub->add_flag("--json", *as_json, "Print the tree as JSON");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::traceback(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return 0;
      }
      for (size_t depth = 0; depth < r.steps.size(); ++depth) {
        out(std::string(2 * depth, ' ') + commands::traceback_line(r.steps[depth]) + "\n");
      }
      return 0;
    });
  });
}

}  // namespace

void add_tree_commands(CommandRegistry& registry) {
  registry["create-metapackage"] = add_create_metapackage;
  registry["extract-catalog"] = add_extract_catalog;
  registry["find-orphans"] = add_find_orphans;
  registry["delete-packages"] = add_delete_packages;
  registry["installed-package-list"] = add_installed_package_list;
  registry["traceback"] = add_traceback;
}

}  // namespace wrapp::cli
