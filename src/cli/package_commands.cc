// Subcommands of the package lifecycle: create, install, status, uninstall,
// check, mirror, new, list-repo.
#include <functional>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "commands/repository.h"
#include <fmt/format.h>
#include <fmt/ranges.h>
#include "commands/check.h"
#include "commands/create.h"
#include "commands/install.h"
#include "commands/list_repo.h"
#include "commands/mirror.h"
#include "commands/new_package.h"
#include "commands/repository.h"
#include "commands/status.h"
#include "commands/uninstall.h"
#include "exec/progress_printer.h"

namespace wrapp::cli {

namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

using ActionKind = commands::PlanAction::Kind;

size_t count_of(const commands::Plan& plan, ActionKind kind) { return plan.count(kind); }
uint64_t bytes_of(const commands::Plan& plan, ActionKind kind) { return plan.bytes(kind); }

// What whole_plan(r) counts, without making it: each package's actions, and
// a delete for each subpackage it drops.
size_t count_of(const commands::InstallResult& r, ActionKind kind) {
  size_t n = r.plan.count(kind) + (kind == ActionKind::kDelete ? r.removed_dependencies.size() : 0);
  for (const auto& d : r.dependencies) n += count_of(d, kind);
  return n;
}
uint64_t bytes_of(const commands::InstallResult& r, ActionKind kind) {
  uint64_t n = r.plan.bytes(kind);
  for (const auto& d : r.dependencies) n += bytes_of(d, kind);
  return n;
}

// A Plan, or an install's tree of them.
template <typename Planned>
std::string plan_summary(const Planned& planned) {
  using K = ActionKind;
  size_t reused = count_of(planned, K::kReuse);
  std::string reused_text =
      reused == 0 ? "" : fmt::format(", {} reused ({})", reused, exec::format_bytes(bytes_of(planned, K::kReuse)));
  return fmt::format("{} copied ({}){}, {} deleted, {} unchanged", count_of(planned, K::kCopy),
                     exec::format_bytes(bytes_of(planned, K::kCopy)), reused_text, count_of(planned, K::kDelete),
                     count_of(planned, K::kKeep));
}

void add_create(Cli& cli) {
  auto* sub = cli.app.add_subcommand("create", "Create a new package version in a repository from a folder or catalog");
  auto o = std::make_shared<commands::CreateOptions>();
  auto ignore_file = std::make_shared<std::string>();
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("version", o->version, "Version to create (must not exist yet)")->required();
  sub->add_option("source", o->source, "Folder to package, or with --catalog a catalog file")->required();
  sub->add_flag("--catalog", o->catalog, "SOURCE is a catalog file made by 'wrapp catalog'");
  sub->add_option("--repo", o->repo,
                  "Repository (folder or URL holding .packages); default: the nearest folder at or above the source "
                  "that holds .packages (in a bucket or container without one: its root)");
  sub->add_option("--ignore-file", *ignore_file, "Ignore rules (gitignore syntax) instead of SOURCE/.wrappignore");
  sub->add_flag("--skip-dirty-check", o->skip_dirty_check, "Do not verify that nested subpackages are unmodified");
  auto tags = std::make_shared<bool>(false);
  sub->add_flag("--tags", *tags, "Also capture tags (no storage of this build has tags; a catalog's recorded tags are kept)");
  sub->add_flag("--check-subpackage", o->check_subpackage,
                "Verify that every subpackage version exists in its repository (and theirs, recursively) before "
                "publishing");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, ignore_file, tags] {
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      if (*tags) warn_no_tags("create");
      auto r = commands::create(ctx, *o);
      if (ctx.dry_run) {
        out(r.plan.describe());
        return 0;
      }
      out(fmt::format("created {} {} in {}: {} files ({})\n", o->package_name, o->version, *o->repo,
                      r.package.catalog->items.size(), exec::format_bytes(r.package.catalog->total_size())));
      return 0;
    });
  });
}

void add_install(Cli& cli) {
  auto* sub = cli.app.add_subcommand("install", "Install or update a package version into a folder");
  auto o = std::make_shared<commands::InstallOptions>();
  auto link_mode = std::make_shared<std::string>("copy");
  auto patch = std::make_shared<std::string>();
  auto ignore_file = std::make_shared<std::string>();
  auto dependency_file = std::make_shared<std::string>();
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("version", o->version, "Version to install")->required();
  sub->add_option("destination", o->destination, "Folder to install into")->required();
  sub->add_option("--repo", o->repo,
                  "Repository holding the package; default: the nearest folder at or above the destination that "
                  "holds .packages (in a bucket or container without one: its root)");
  sub->add_option("--patch", *patch,
                  "Keep locally changed files that conflict, install everything else, and write the operations "
                  "that take the new version on those paths into this patch file (for apply-patch)");
  sub->add_option("--dependency-file", *dependency_file,
                  "A .wrapp file (e.g. made by 'wrapp new') whose folder holds DESTINATION: record the installed "
                  "package as a dependency in it");
  sub->add_option("--ignore-file", *ignore_file,
                  "Ignore rules instead of DESTINATION/.wrappignore: an ignored file that is not the package's is "
                  "overwritten instead of being a conflict");
  sub->add_option("--link-mode", *link_mode,
                  "copy: new files; hardlink: share the repository's (read-only) files; reflink: copy-on-write "
                  "clones where the file system has them. Both fall back to copy.")
      ->check(CLI::IsMember({"copy", "hardlink", "reflink"}))
      ->capture_default_str();
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, link_mode, patch, ignore_file, dependency_file] {
    o->link_mode = commands::parse_link_mode(*link_mode);
    if (!patch->empty()) o->patch_file = *patch;
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    if (!dependency_file->empty()) o->dependency_file = *dependency_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::install(ctx, *o);
      size_t subpackages = r.subpackage_count();
      bool kept_changes = r.patch && !r.patch->conflicts.empty();
      if (r.unchanged() && !kept_changes) {
        out(fmt::format("{} {} is already installed in {} and unmodified\n", o->package_name, o->version,
                        o->destination));
      } else if (ctx.dry_run) {
        out(commands::whole_plan(r).describe());
      } else {
        out(fmt::format("installed {} {} into {}: {}{}\n", o->package_name, o->version, o->destination,
                        plan_summary(r),
                        subpackages == 0 ? "" : fmt::format(" (with {} subpackage(s))", subpackages)));
      }
      if (r.patch) {
        std::string file = commands::parse_location(*patch).display();
        for (const auto& c : r.patch->conflicts) out(fmt::format("kept {}: {}\n", c.relative_path, c.reason));
        if (r.patch->conflicts.empty()) {
          out(fmt::format("{} {}: no conflicts, the patch is empty\n", ctx.dry_run ? "would write" : "wrote", file));
        } else {
          out(fmt::format("{} {}: {} operation(s) taking {} {} on the path(s) kept (wrapp apply-patch {})\n",
                          ctx.dry_run ? "would write" : "wrote", file, r.patch->operations.size(), o->package_name,
                          o->version, file));
        }
      }
      if (!r.dependency_file.empty()) {
        std::string file = commands::parse_location(r.dependency_file).display();
        out(!r.dependency_recorded ? fmt::format("{} already records {} {}\n", file, o->package_name, o->version)
            : ctx.dry_run          ? fmt::format("would record {} {} in {}\n", o->package_name, o->version, file)
                                   : fmt::format("recorded {} {} in {}\n", o->package_name, o->version, file));
      }
      return 0;
    });
  });
}

// Status kinds as git colours them: what is missing red, what changed
// yellow, what is there in addition green.
Color status_item_color(commands::StatusItemType type) {
  using T = commands::StatusItemType;
  switch (type) {
    case T::kItemMissing:
    case T::kPackageMissing:
      return Color::kRed;
    case T::kExtraItem:
    case T::kExtraPackage:
      return Color::kGreen;
    default:
      return Color::kYellow;
  }
}

Color check_status_color(commands::FileCheck::Status status) {
  using S = commands::FileCheck::Status;
  if (status == S::kUnverified) return Color::kYellow;
  if (status == S::kStray) return Color::kGreen;
  return Color::kRed;
}

void add_status(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "status",
      "Show how an installed package tree differs from its package files: changed, missing and extra files, "
      "missing, mismatched or unrecorded packages (exit 1 when anything is dirty)");
  auto o = std::make_shared<commands::StatusOptions>();
  auto ignore_file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("wrapp_file", o->wrapp_file, "The package file (<install location>/.<package>.wrapp), or the folder holding it")->required();
  sub->add_option("--ignore-file", *ignore_file, "Ignore rules instead of <install location>/.wrappignore");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, ignore_file, as_json] {
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::status(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return r.clean() ? 0 : 1;
      }
      if (!r.install_state.empty()) out(r.install_state + "\n");
      for (const auto& p : r.packages) {
        out(fmt::format("{} {} at {}: {}\n", p.package_name, p.version,
                        commands::parse_location(p.install_location).display(),
                        p.clean() ? colored("clean", Color::kGreen) : colored("dirty", Color::kRed)));
        for (const auto& i : p.items) {
          // The header says it; the items after it say what.
          if (i.type == commands::StatusItemType::kPackageModified) continue;
          out(fmt::format("  {} {}\n",
                          colored(fmt::format("{:<24}", commands::status_item_type_name(i.type)),
                                  status_item_color(i.type)),
                          i.relative_path.empty() ? i.message : i.relative_path));
        }
      }
      return r.clean() ? 0 : 1;
    });
  });
}

void add_uninstall(Cli& cli) {
  auto* sub = cli.app.add_subcommand("uninstall", "Remove an installed package's files after checking for local changes");
  auto o = std::make_shared<commands::UninstallOptions>();
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("install_location", o->install_location,
                  "Folder the package is installed in, or a .wrapp file that recorded it as a dependency")
      ->required();
  sub->add_flag("--force", o->force, "Uninstall even if files were modified (the modifications are lost)");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::uninstall(ctx, *o);
      // Not installed: only the record of a package gone from its folder.
      if (r.was_installed && ctx.dry_run) {
        out(fmt::format("would uninstall {} from {}\n", o->package_name, o->install_location));
      } else if (r.was_installed) {
        out(fmt::format("uninstalled {} from {}: {} files removed\n", o->package_name, o->install_location,
                        r.files_removed));
      }
      if (r.record_removed) {
        out(fmt::format("{} the record of {} from {}\n", ctx.dry_run ? "would remove" : "removed", o->package_name,
                        commands::parse_location(r.dependency_file).display()));
      }
      return 0;
    });
  });
}

void add_check(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "check", "Verify every file of a repository package version: existence, size and hash (exit 1 on any problem)");
  auto o = std::make_shared<commands::CheckOptions>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("wrapp_file", o->wrapp_file, "<repo>/.packages/<name>/<version>/.<name>.wrapp, or that version folder")->required();
  sub->add_flag("--recursive", o->recursive, "Also check the package's dependencies");
  sub->add_flag("--trust-metadata", o->trust_metadata,
                "Compare the hash stored with each object (cloud objects wrapp uploaded) instead of reading its "
                "bytes; files without one are read. Faster, but an object replaced with its old metadata passes");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::check_package_content(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return r.ok() ? 0 : 1;
      }
      using Status = commands::FileCheck::Status;
      for (const auto& f : r.files) {
        if (f.status == Status::kOk) continue;
        std::string detail;
        if (f.status == Status::kSizeMismatch) {
          detail = fmt::format(" (expected {} bytes, found {})", f.expected_size, f.actual_size);
        } else if (f.status == Status::kHashMismatch) {
          detail = fmt::format(" (expected {}, found {}{})", f.expected_hash, f.actual_hash,
                               f.by_metadata ? " stored with the object" : "");
        } else if (!f.detail.empty()) {
          detail = fmt::format(" ({})", f.detail);
        }
        out(fmt::format("{}: {}{}\n", colored(commands::check_status_name(f.status), check_status_color(f.status)),
                        commands::parse_location(f.url).display(), detail));
      }
      // Files without a recorded hash were read but not verified: said so,
      // and not counted as problems (exit 0).
      size_t bad = r.problems(), unverified = r.unverified();
      std::string notes = unverified == 0 ? "" : fmt::format(", {} unverified (no hash recorded)", unverified);
      if (size_t stored = r.by_metadata(); stored > 0) {
        notes += fmt::format(", {} by the hash stored with the object (not read)", stored);
      }
      if (bad > 0) {
        out(fmt::format("checked {} files: {} bad{}\n", r.files.size(), bad, notes));
      } else if (unverified > 0) {
        out(fmt::format("checked {} files: no problem found{}\n", r.files.size(), notes));
      } else {
        out(fmt::format("checked {} files: all ok{}\n", r.files.size(), notes));
      }
      return r.ok() ? 0 : 1;
    });
  });
}

void add_mirror(Cli& cli) {
  auto* sub = cli.app.add_subcommand("mirror", "Copy a package version from one repository to another");
  auto o = std::make_shared<commands::MirrorOptions>();
  auto mapping = std::make_shared<std::vector<std::string>>();
  auto template_version = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("version", o->version, "Version to mirror")->required();
  sub->add_option("source_repo", o->source_repo, "Repository to copy from")->required();
  sub->add_option("destination_repo", o->destination_repo, "Repository to copy to")->required();
  sub->add_flag("--resume", o->resume, "Keep files an interrupted mirror already copied (verified by size and hash)");
  sub->add_flag("--recursive", o->recursive,
                "Also mirror every dependency, recursively (each before the packages that need it)");
  sub->add_option("--repo-mapping", *mapping,
                  "SRC=DST: dependencies from repository SRC go to DST (repeatable; others go to DESTINATION_REPO)");
  sub->add_flag("--redirect-dependencies", o->redirect_dependencies,
                "Rewrite the dependencies' repository in the mirrored package file to where they are mirrored");
  sub->add_option("--template-version", *template_version,
                  "A version of the package already in DESTINATION_REPO: files with the same content are copied "
                  "from it instead of transferred from the source");
  sub->add_flag("--tags", o->tags, "Also copy tags (no storage of this build has tags: recorded tags are kept)");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, mapping, template_version, as_json] {
    for (const auto& m : *mapping) {
      size_t eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
        throw CLI::ValidationError("--repo-mapping", "expected SRC=DST, got '" + m + "'");
      }
      o->repo_mapping.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    if (!template_version->empty()) o->template_version = *template_version;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      if (o->tags) warn_no_tags("mirror");
      auto r = commands::mirror(ctx, *o);
      if (*as_json) {
        out(dump(commands::to_json(r)));
        return 0;
      }
      std::function<void(const commands::MirrorResult&)> print = [&](const commands::MirrorResult& m) {
        for (const auto& d : m.dependencies) print(d);
        auto dst = commands::parse_location(m.destination_repo).display();
        if (m.no_op) {
          out(fmt::format("{} {} is already in {}\n", m.package_name, m.version, dst));
        } else if (ctx.dry_run) {
          out(m.plan.describe());
        } else {
          out(fmt::format("mirrored {} {} to {}: {}\n", m.package_name, m.version, dst, plan_summary(m.plan)));
        }
      };
      print(r);
      return 0;
    });
  });
}

void add_new(Cli& cli) {
  auto* sub = cli.app.add_subcommand("new", "Write a new .<package>.wrapp file into a folder");
  auto o = std::make_shared<commands::NewOptions>();
  auto ignore_file = std::make_shared<std::string>();
  o->destination = ".";
  sub->add_option("package_name", o->package_name, "Name of the package")->required();
  sub->add_option("version", o->version, "Initial version")->required();
  sub->add_option("destination", o->destination, "Folder to write the file into")->capture_default_str();
  sub->add_flag("--catalog,--create-catalog", o->create_catalog, "Catalog the folder into the file");
  sub->add_option("--ignore-file", *ignore_file, "Ignore rules instead of DESTINATION/.wrappignore");
  auto tags = std::make_shared<bool>(false);
  auto local_hash = std::make_shared<bool>(false);
  sub->add_flag("--tags", *tags, "With --catalog: also catalog tags (no storage of this build has tags)");
  sub->add_flag("--local-hash", *local_hash,
                "With --catalog: allow reading files to hash them (every storage of this build is hashed by reading)");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, ignore_file, tags] {
    if (!ignore_file->empty()) o->ignore_file = *ignore_file;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      if (*tags) warn_no_tags("new");
      auto r = commands::new_package(ctx, *o);
      out(fmt::format("{} {}\n", ctx.dry_run ? "would create" : "created",
                      commands::parse_location(r.wrapp_file).display()));
      return 0;
    });
  });
}

void add_list_repo(Cli& cli) {
  auto* sub = cli.app.add_subcommand("list-repo", "List the packages and versions in a repository");
  auto repo = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("repository", *repo, "Repository (folder or URL, without .packages)")->required();
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, repo, as_json] {
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto r = commands::list_repo(ctx, {*repo});
      if (*as_json) {
        out(dump(commands::to_json(r)));
      } else {
        for (const auto& p : r.packages) out(fmt::format("{}: {}\n", p.name, fmt::join(p.versions, " ")));
      }
      return 0;
    });
  });
}

}  // namespace

void add_package_commands(CommandRegistry& registry) {
  registry["create"] = add_create;
  registry["install"] = add_install;
  registry["status"] = add_status;
  registry["uninstall"] = add_uninstall;
  registry["check"] = add_check;
  registry["mirror"] = add_mirror;
  registry["new"] = add_new;
  registry["list-repo"] = add_list_repo;
}

}  // namespace wrapp::cli
