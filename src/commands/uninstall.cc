#include "commands/uninstall.h"

#include <nlohmann/json.hpp>

#include <set>

#include <fmt/ranges.h>

#include "commands/dependency_file.h"
#include "commands/file_ops.h"
#include "commands/install_lock.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct Installed {
  Url location;
  Url marker;
  model::PackageInfo info;
  // The catalog of the version an interrupted install was writing here.
  std::optional<model::Catalog> interrupted = std::nullopt;
};

// True when the file at `rel` holds what the interrupted install wrote
// there: the package's own content, not a user's change.
bool holds_interrupted_content(CommandContext& ctx, const Installed& p, const std::string& rel) {
  if (!p.interrupted) return false;
  const auto* item = p.interrupted->find(rel);
  if (!item) return false;
  Url url = p.location.join(rel);
  auto info = ctx.store(url).stat(url);
  return info && info->is_file() && item->size == info->size && hash_object(ctx, url, *info, nullptr) == item->hash;
}

// The package and its subpackages, subpackages first.
void collect(CommandContext& ctx, const Url& location, const std::string& name, std::vector<Installed>& out,
             std::set<std::string>& seen, size_t depth = 0) {
  Url marker = location.join(model::wrapp_file_name(name));
  check_package_depth(depth, marker);
  if (!seen.insert(marker.str()).second) {
    fail_with(ErrorCode::kBadInput,
              "package '{}' in '{}' is reached twice through its dependencies (a package that depends on itself?); "
              "nothing was removed",
              name, location.display());
  }
  auto info = read_package_info(ctx, marker);
  if (!info) fail("package '{}' is not installed in '{}' ('{}' not found)", name, location.display(), marker.display());
  for (const auto& d : info->dependencies) {
    Url sub = d.relative_destination.empty() ? location : location.join(d.relative_destination);
    if (ctx.store(sub).stat(sub.join(model::wrapp_file_name(d.package)))) collect(ctx, sub, d.package, out, seen, depth + 1);
  }
  out.push_back({location, marker, std::move(*info)});
}

}  // namespace

UninstallResult uninstall(CommandContext& ctx, const UninstallOptions& opt) {
  model::check_name_and_version(opt.package_name, "any");
  Url given = parse_location(opt.install_location);
  auto& store = ctx.store(given);
  auto given_info = store.stat(given);
  if (!given_info) fail("install location '{}' not found", given.display());

  // Dependency-file mode: <folder>/.<other>.wrapp recording this package.
  std::optional<Url> dependency_file;
  std::string recorded_at;  // the record's relative_destination
  Url location = given;
  if (!given_info->is_dir) {
    if (given.name() == model::wrapp_file_name(opt.package_name)) {
      location = given.parent();
    } else {
      auto parent = require_package_info(ctx, given, "package file");
      std::vector<std::string> places;
      for (const auto& d : parent.dependencies) {
        if (d.package != opt.package_name) continue;
        recorded_at = d.relative_destination;
        places.push_back(d.relative_destination.empty() ? "." : d.relative_destination);
      }
      if (places.empty()) fail("'{}' records no dependency on package '{}'", given.display(), opt.package_name);
      if (places.size() > 1) {
        fail("'{}' records package '{}' at {} places ({}); uninstall it through one of its folders, and remove the "
             "records from the file by hand",
             given.display(), opt.package_name, places.size(), fmt::join(places, ", "));
      }
      location = recorded_at.empty() ? given.parent() : given.parent().join(recorded_at);
      dependency_file = given;
      if (!store.stat(location.join(model::wrapp_file_name(opt.package_name)))) {
        // Nothing installed there any more (removed by hand): only the
        // record goes.
        log::warn("package '{}' is not installed in '{}'; removing its record from '{}'", opt.package_name,
                  location.display(), given.display());
        UninstallResult result;
        result.dependency_file = given.str();
        result.was_installed = false;
        result.record_removed = ctx.dry_run || remove_dependency(ctx, given, opt.package_name, recorded_at);
        return result;
      }
    }
  }

  // One writer per install location (install_lock.h); an install killed
  // here leaves files of the version it was writing, which go too.
  std::optional<InstallIntent> interrupted;
  auto lock = take_install_lock(ctx, location, "uninstall " + opt.package_name, &interrupted);
  // A failure while an interrupted install's intent is unfinished keeps it
  // for the next run (install_lock.h); otherwise the lock is released.
  struct AbandonOnFailure {
    storage::Lock* lock;
    bool keep;
    int uncaught = std::uncaught_exceptions();
    ~AbandonOnFailure() {
      if (lock && keep && std::uncaught_exceptions() > uncaught) lock->abandon();
    }
  } abandon_on_failure{lock.get(), interrupted.has_value()};
  std::vector<Installed> packages;
  std::set<std::string> seen;
  collect(ctx, location, opt.package_name, packages, seen);
  if (interrupted) {
    for (auto& p : packages) {
      std::string rel;
      if (p.location.relative_to(location, &rel)) p.interrupted = interrupted_catalog(ctx, *interrupted, rel, p.info.name);
    }
  }

  UninstallResult result;
  for (const auto& p : packages) {
    model::Catalog catalog = p.info.catalog ? *p.info.catalog : model::Catalog{};
    for (auto& m : find_modifications(ctx, p.location, catalog)) {
      if (m.kind == StatusEntry::Kind::kModified && holds_interrupted_content(ctx, p, m.relative_path)) continue;
      std::string rel;
      p.location.join(m.relative_path).relative_to(location, &rel);
      result.modified.push_back({m.kind, rel});
    }
  }
  bool changed = std::any_of(result.modified.begin(), result.modified.end(),
                             [](const StatusEntry& e) { return e.kind == StatusEntry::Kind::kModified; });
  if (changed && !opt.force) {
    std::string list;
    std::vector<std::string> payload;
    for (const auto& m : result.modified) {
      payload.push_back(fmt::format("{}: {}", m.relative_path, status_kind_name(m.kind)));
      list += "\n  " + payload.back();
    }
    throw FailedCommand(fmt::format("'{}' in '{}' has local modifications that uninstall would lose; keep them with "
                                    "'wrapp create', or pass --force to discard them:{}",
                                    opt.package_name, location.display(), list),
                        ErrorCode::kModified, std::move(payload));
  }
  // Never delete through a symbolic link (storage refuses it at the moment
  // of each delete; asked here first so that nothing is deleted at all).
  for (const auto& p : packages) {
    if (behind_link(ctx, p.location)) {
      fail_with(ErrorCode::kLinkOnPath, "refusing to uninstall '{}': '{}' lies behind a symbolic link",
                opt.package_name, p.marker.display());
    }
    if (!p.info.catalog) continue;
    std::set<std::string> checked;
    for (const auto& item : p.info.catalog->items) {
      size_t slash = item.relative_path.rfind('/');
      if (slash == std::string::npos) continue;
      std::string dir = item.relative_path.substr(0, slash);
      if (!checked.insert(dir).second) continue;
      if (behind_link(ctx, p.location.join(dir))) {
        fail_with(ErrorCode::kLinkOnPath, "refusing to uninstall '{}': a symbolic link lies on the way to '{}'",
                  opt.package_name, item.relative_path);
      }
    }
  }
  if (dependency_file) {
    result.dependency_file = dependency_file->str();
    result.record_removed = ctx.dry_run;
  }
  if (ctx.dry_run) return result;
  if (lock) lock->check();

  // Everything removed, relative to `location`: subpackage folders that end
  // up empty go too, the install location itself stays.
  std::vector<std::string> removed_paths;
  for (const auto& p : packages) {
    std::vector<std::string> rels;
    if (p.info.catalog) {
      for (const auto& item : p.info.catalog->items) rels.push_back(item.relative_path);
    }
    if (p.interrupted) {
      // Files only the interrupted version has: removed when they are its
      // own (or with --force, which discards changes anyway).
      for (const auto& item : p.interrupted->items) {
        if (p.info.catalog && p.info.catalog->find(item.relative_path)) continue;
        if (opt.force || holds_interrupted_content(ctx, p, item.relative_path)) rels.push_back(item.relative_path);
      }
    }
    std::atomic<size_t> removed{0};
    auto& progress = ctx.scheduler.sub_job("uninstall " + p.info.name + " " + p.info.version, "deleting");
    progress.add_total(rels.size(), 0);
    for_each_request(ctx, rels.size(), [&](size_t i) {
      if (ctx.store(p.location).remove(p.location.join(rels[i]))) ++removed;
      progress.add_done(1, 0);
    });
    progress.set_finished();
    result.files_removed += removed;
    rels.push_back(p.marker.name());
    for (const auto& rel : rels) {
      std::string top_rel;
      if (p.location.join(rel).relative_to(location, &top_rel)) removed_paths.push_back(top_rel);
    }
    ctx.store(p.marker).remove(p.marker);
    result.removed.push_back(p.marker.str());
    log::info("uninstalled {} {} from {}", p.info.name, p.info.version, p.location.display());
  }

  remove_emptied_folders(ctx, location, removed_paths);

  if (dependency_file) result.record_removed = remove_dependency(ctx, *dependency_file, opt.package_name, recorded_at);
  if (lock) lock->release();
  return result;
}

nlohmann::json to_json(const UninstallResult& r) {
  nlohmann::json modified = nlohmann::json::array();
  for (const auto& m : r.modified) modified.push_back({{"kind", status_kind_name(m.kind)}, {"relative_path", m.relative_path}});
  return {{"removed", r.removed},
          {"files_removed", r.files_removed},
          {"modified", std::move(modified)},
          {"dependency_file", r.dependency_file},
          {"record_removed", r.record_removed},
          {"was_installed", r.was_installed}};
}

}  // namespace wrapp::commands
