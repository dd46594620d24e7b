#include "commands/install.h"

#include <algorithm>
#include <mutex>
#include <set>

#include <unistd.h>

#include "commands/repository.h"
#include "commands/tree.h"
#include "storage/local_storage.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

const model::Catalog kEmptyCatalog;

std::string describe_conflicts(const std::string& name, const Url& dest, std::vector<Conflict> conflicts) {
  std::sort(conflicts.begin(), conflicts.end(),
            [](const Conflict& a, const Conflict& b) { return a.relative_path < b.relative_path; });
  std::string out = fmt::format(
      "cannot install '{}' into '{}': {} conflicting path(s); nothing was changed. Keep your changes with "
      "'wrapp create', or discard them (wrapp uninstall --force) and install again:",
      name, dest.display(), conflicts.size());
  for (const auto& c : conflicts) out += fmt::format("\n  {}: {}", c.relative_path, c.reason);
  return out;
}

// Removes folders emptied by deletions, deepest first, never `root` itself.
void remove_empty_parents(const Url& root, const std::vector<std::string>& deleted) {
  if (!root.is_local()) return;
  std::set<std::string, std::greater<>> dirs;
  for (const auto& rel : deleted) {
    for (size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0; slash = rel.rfind('/', slash - 1)) {
      dirs.insert(rel.substr(0, slash));
    }
  }
  for (const auto& d : dirs) ::rmdir(root.join(d).path().c_str());  // fails harmlessly when not empty
}

}  // namespace

InstallResult install(CommandContext& ctx, const InstallOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  if (!opt.repo) fail("no repository given: pass --repo (the folder or URL that holds .packages)");
  Url repo = parse_location(*opt.repo);
  Url dest = parse_location(opt.destination);
  auto& dest_store = storage::storage_for(dest);
  if (auto info = dest_store.stat(dest); info && !info->is_dir) fail("destination '{}' is a file", dest.display());

  model::PackageInfo pkg = require_repo_package(repo, opt.package_name, opt.version);
  if (pkg.name != opt.package_name) {
    fail("'{}' names package '{}', expected '{}'", repo_marker_url(repo, opt.package_name, opt.version).display(),
         pkg.name, opt.package_name);
  }
  Url source_version = version_url(repo, opt.package_name, opt.version);
  Url marker = dest.join(model::wrapp_file_name(opt.package_name));
  auto installed = read_package_info(marker);
  if (installed && installed->name != opt.package_name) {
    fail("'{}' belongs to package '{}', not '{}'", marker.display(), installed->name, opt.package_name);
  }
  const model::Catalog& old_cat = installed && installed->catalog ? *installed->catalog : kEmptyCatalog;
  const model::Catalog& new_cat = pkg.catalog ? *pkg.catalog : kEmptyCatalog;

  InstallResult result;
  result.wrapp_file = marker.str();

  // Subpackages first: each writes its own marker, and the parent's marker,
  // written last, is what says the whole tree is installed.
  for (const auto& dep : pkg.dependencies) {
    InstallOptions sub = opt;
    sub.package_name = dep.package;
    sub.version = dep.version;
    sub.destination = dest.join(dep.relative_destination).str();
    sub.repo = dep.repository.empty() ? repo.str() : dep.repository;
    result.dependencies.push_back(install(ctx, sub));
  }

  // Every path either catalog names, with what each says about it.
  std::vector<std::string> paths;
  paths.reserve(old_cat.items.size() + new_cat.items.size());
  for (const auto& i : old_cat.items) paths.push_back(i.relative_path);
  for (const auto& i : new_cat.items) paths.push_back(i.relative_path);
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());

  auto& inspect = ctx.scheduler.sub_job("inspect " + dest.display());
  inspect.add_total(paths.size(), 0);
  std::vector<PlanAction> actions(paths.size());
  std::vector<char> is_action(paths.size(), 0);  // not vector<bool>: workers write neighbouring entries
  std::mutex conflicts_mu;
  std::vector<Conflict> conflicts;
  auto conflict = [&](const std::string& path, const char* reason) {
    std::lock_guard lock(conflicts_mu);
    conflicts.push_back({path, reason});
  };
  // A symbolic link inside the destination must not carry a write outside.
  std::set<std::string> escaping_dirs;
  if (dest.is_local()) {
    std::set<std::string> dirs;
    for (const auto& p : paths) {
      if (size_t slash = p.rfind('/'); slash != std::string::npos) dirs.insert(p.substr(0, slash));
    }
    for (const auto& d : dirs) {
      if (!storage::stays_inside(dest.join(d).path() + "/x", dest.path())) escaping_dirs.insert(d);
    }
  }
  for_each_transfer(ctx, paths.size(), [&](size_t i) {
    const std::string& path = paths[i];
    if (size_t slash = path.rfind('/'); slash != std::string::npos && escaping_dirs.count(path.substr(0, slash))) {
      return conflict(path, "a symbolic link on its way leads outside the destination");
    }
    const model::CatalogItem* o = old_cat.find(path);
    const model::CatalogItem* n = new_cat.find(path);
    Url target = dest.join(path);
    auto info = dest_store.stat(target);
    PlanAction& a = actions[i];
    a.relative_path = path;
    inspect.add_done(1, 0);
    if (!info) {
      if (o && n) return conflict(path, "missing (a package file was deleted)");
      if (n) {
        a = {PlanAction::Kind::kCopy, path, source_version.join(path).str(), n->size.value_or(0), n->hash};
        is_action[i] = 1;
      }
      return;  // dropped by the new version and already gone
    }
    if (info->is_dir) return conflict(path, "a folder is in the way");
    std::string current;
    auto current_hash = [&]() -> const std::string& {
      if (current.empty()) current = hash_object(ctx, target, *info, nullptr);
      return current;
    };
    if (n && n->size == info->size && current_hash() == n->hash) {
      a = {PlanAction::Kind::kKeep, path, "", info->size, n->hash};
      is_action[i] = 1;
      return;
    }
    if (o && o->size == info->size && current_hash() == o->hash) {
      if (n) {
        a = {PlanAction::Kind::kCopy, path, source_version.join(path).str(), n->size.value_or(0), n->hash};
      } else {
        a = {PlanAction::Kind::kDelete, path, "", info->size, o->hash};
      }
      is_action[i] = 1;
      return;
    }
    conflict(path, o ? "modified" : "not part of the package; install would overwrite it");
  });
  inspect.set_finished();
  if (!conflicts.empty()) fail("{}", describe_conflicts(opt.package_name, dest, std::move(conflicts)));

  result.plan.target = dest.str();
  for (size_t i = 0; i < paths.size(); ++i) {
    if (is_action[i]) result.plan.actions.push_back(std::move(actions[i]));
  }
  bool changes = result.plan.count(PlanAction::Kind::kCopy) + result.plan.count(PlanAction::Kind::kDelete) > 0;
  if (!changes && installed && installed->version == opt.version) {
    result.no_op = true;
    return result;
  }
  if (ctx.dry_run) return result;

  auto& progress = ctx.scheduler.sub_job("install " + opt.package_name + " " + opt.version);
  std::vector<const PlanAction*> copies, deletes;
  for (const auto& a : result.plan.actions) {
    if (a.kind == PlanAction::Kind::kCopy) copies.push_back(&a);
    if (a.kind == PlanAction::Kind::kDelete) deletes.push_back(&a);
  }
  progress.add_total(copies.size() + deletes.size(), result.plan.bytes(PlanAction::Kind::kCopy));
  for_each_transfer(ctx, copies.size(), [&](size_t i) {
    const PlanAction& a = *copies[i];
    CopyRequest req;
    req.from = source_version.join(a.relative_path);
    req.to = dest.join(a.relative_path);
    req.size = a.size;
    req.expected_hash = a.hash;
    req.link = opt.link_mode;
    req.write.overwrite = true;  // replaces the old version's file, checked unmodified above
    copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  });
  std::vector<std::string> deleted;
  for (const auto* a : deletes) deleted.push_back(a->relative_path);
  for_each_request(ctx, deleted.size(), [&](size_t i) {
    dest_store.remove(dest.join(deleted[i]));
    progress.add_done(1, 0);
  });
  remove_empty_parents(dest, deleted);

  model::PackageInfo marker_info = pkg;
  marker_info.repository = repo.str();
  marker_info.catalog.emplace();
  marker_info.catalog->root = dest.str();
  for (const auto& item : new_cat.items) {
    marker_info.catalog->items.push_back({item.relative_path, dest.join(item.relative_path).str(), item.hash, item.size});
  }
  dest_store.sync(dest);
  storage::WriteOptions wopts;
  wopts.overwrite = true;
  storage::write_all(marker, marker_info.serialize(), wopts);
  progress.set_finished();
  log::info("installed {} {} into {}", opt.package_name, opt.version, dest.display());
  return result;
}

}  // namespace wrapp::commands
