#include "commands/delete_packages.h"

#include <memory>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/package_tree.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct Target {
  model::UniquePackageLocation location;
  Url repo;
  Url folder;  // <repo>/.packages/<name>/<version>
  std::vector<storage::ListEntry> entries;  // package files first
  size_t package_files = 0;                  // how many of them
  DeletedVersion result;
};

std::vector<model::UniquePackageLocation> read_location_file(CommandContext& ctx, const std::string& path) {
  Url file = parse_location(path);
  auto doc = ctx.store(file).read_document(file);
  if (!doc) fail_with(ErrorCode::kNotFound, "file '{}' not found", file.display());
  return model::parse_package_locations(doc->text(), file.display());
}

std::vector<Target> targets_of(CommandContext& ctx, const DeletePackagesOptions& opt) {
  std::vector<model::UniquePackageLocation> all;
  if (opt.from_file) all = read_location_file(ctx, *opt.from_file);
  all.insert(all.end(), opt.to_delete.begin(), opt.to_delete.end());
  if (all.empty()) fail_with(ErrorCode::kBadInput, "no package version to delete given");
  std::vector<Target> out;
  std::unordered_set<std::string> seen, repos;
  for (const auto& l : all) {
    model::check_name_and_version(l.package, l.version);
    Url repo = parse_location(l.repository);
    refuse_inside_packages(repo, "repository");
    if (repos.insert(repo.str()).second) {
      // Checked before any lock object is written into it.
      auto info = ctx.store(repo).stat(repo);
      if (!info) fail_with(ErrorCode::kNotFound, "repository '{}' not found", repo.display());
      if (!info->is_dir) fail_with(ErrorCode::kBadInput, "repository '{}' is a file, not a folder", repo.display());
    }
    if (!seen.insert(location_key(l.package, l.version, repo)).second) continue;
    Target t;
    t.location = {l.package, l.version, repo.str()};
    t.repo = repo;
    t.folder = version_url(repo, l.package, l.version);
    t.result.package = l.package;
    t.result.version = l.version;
    t.result.repository = repo.str();
    out.push_back(std::move(t));
  }
  return out;
}

// What each version holds; every version that is missing or behind a link
// is named in one error, before anything is deleted.
void inspect(CommandContext& ctx, std::vector<Target>& targets) {
  std::vector<std::string> problems;
  for (auto& t : targets) {
    t.entries.clear();
    t.result.files.clear();
    t.result.bytes = 0;
    const std::string& name = t.location.package;
    if (behind_link(ctx, t.folder)) {
      problems.push_back(fmt::format("{}: '{}' is a symbolic link or lies behind one; not deleting through it",
                                     describe_location(name, t.location.version, t.repo), t.folder.display()));
      continue;
    }
    auto& store = ctx.store(t.folder);
    storage::ListOptions options;
    options.symlinks = storage::SymlinkPolicy::kReportLinks;  // a link is removed itself, never followed
    options.include_other = true;
    t.entries = storage::list_all(store, t.folder, options);
    // The package files first, canonical name before the older one.
    std::vector<storage::ListEntry> ordered;
    t.result.published = false;
    for (const std::string& file : {model::wrapp_file_name(name), legacy_wrapp_file_name(name)}) {
      for (const auto& e : t.entries) {
        if (e.relative_path != file) continue;
        t.result.published = t.result.published || e.info.is_file();
        ordered.push_back(e);
      }
    }
    t.package_files = ordered.size();
    for (auto& e : t.entries) {
      if (e.relative_path != model::wrapp_file_name(name) && e.relative_path != legacy_wrapp_file_name(name)) {
        ordered.push_back(std::move(e));
      }
    }
    t.entries = std::move(ordered);
    for (const auto& e : t.entries) t.result.files.push_back(e.relative_path);
    for (const auto& e : t.entries) t.result.bytes += e.info.size;
    if (t.entries.empty() && !store.stat(t.folder)) {
      problems.push_back(fmt::format("package '{}' version '{}' not found in repository '{}'", name,
                                     t.location.version, t.repo.display()));
    }
  }
  if (problems.empty()) return;
  std::string list;
  for (const auto& p : problems) list += "\n  " + p;
  throw FailedCommand(fmt::format("nothing was deleted:{}", list), ErrorCode::kNotFound, std::move(problems));
}

void delete_version(CommandContext& ctx, Target& t, const storage::Lock* lock) {
  auto& store = ctx.store(t.folder);
  const std::string& name = t.location.package;
  if (!t.result.published) {
    log::warn("{} has no package file (left by an interrupted delete, create or mirror): removing what is there",
              describe_location(name, t.location.version, t.repo));
  }
  auto& progress = ctx.scheduler.sub_job("delete " + name + " " + t.location.version, "deleting");
  progress.add_total(t.entries.size(), 0);
  // The package files first, one after the other: from the first removal
  // on, the version is no longer installable.
  size_t first_data = t.package_files;
  for (size_t i = 0; i < first_data; ++i) {
    if (lock) lock->check();
    store.remove(t.folder.join(t.entries[i].relative_path));
    progress.add_done(1, 0);
  }
  if (lock) lock->check();
  for_each_request(ctx, t.entries.size() - first_data, [&](size_t i) {
    store.remove(t.folder.join(t.entries[first_data + i].relative_path));
    progress.add_done(1, 0);
  }, &store);
  progress.set_finished();
  // Then the folders: those emptied inside, the version's, and the
  // package's when no other version is left (stores without folders have
  // none).
  remove_empty_folder_tree(ctx, t.folder);
  if (store.features().real_folders) store.remove_folder(t.folder.parent());
  log::info("deleted {} ({} files)", describe_location(name, t.location.version, t.repo), t.entries.size());
}

}  // namespace

DeletePackagesResult delete_packages_from_repo(CommandContext& ctx, const DeletePackagesOptions& opt) {
  std::vector<Target> targets = targets_of(ctx, opt);
  // Missing versions are named before any lock object is written.
  inspect(ctx, targets);
  // Every lock before any deletion: a live writer of one version refuses
  // the whole command, and the locks taken so far are released. What each
  // version holds is then looked at again, under its lock.
  std::vector<std::unique_ptr<storage::Lock>> locks;
  if (!ctx.dry_run) {
    for (const auto& t : targets) {
      locks.push_back(take_command_lock(ctx, version_lock_url(t.repo, t.location.package, t.location.version),
                                        "delete-packages " + t.location.package + " " + t.location.version,
                                        nullptr));
    }
    inspect(ctx, targets);
  }
  DeletePackagesResult result;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!ctx.dry_run) {
      delete_version(ctx, targets[i], locks[i].get());
      locks[i]->release();
    }
    result.versions.push_back(std::move(targets[i].result));
  }
  return result;
}

nlohmann::json to_json(const DeletePackagesResult& r) {
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& v : r.versions) {
    versions.push_back({{"package", v.package}, {"version", v.version}, {"repository", v.repository},
                        {"published", v.published}, {"files", v.files}, {"bytes", v.bytes}});
  }
  return {{"deleted", std::move(versions)}};
}

}  // namespace wrapp::commands
