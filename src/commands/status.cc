#include "commands/status.h"

#include <chrono>
#include <algorithm>
#include <optional>
#include <mutex>
#include <set>
#include <unordered_set>

#include "commands/file_ops.h"
#include "exec/task_group.h"
#include "commands/install_lock.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

const char* status_kind_name(StatusEntry::Kind kind) {
  switch (kind) {
    case StatusEntry::Kind::kModified: return "modified";
    case StatusEntry::Kind::kMissing: return "missing";
    case StatusEntry::Kind::kAdded: return "added";
  }
  return "?";
}

bool StatusResult::clean() const {
  return install_state.empty() && std::all_of(packages.begin(), packages.end(), [](const PackageStatus& p) { return p.clean(); });
}

std::vector<StatusEntry> find_modifications(CommandContext& ctx, const Url& location, const model::Catalog& catalog) {
  auto& store = ctx.store(location);
  std::mutex mu;
  std::vector<StatusEntry> out;
  auto& progress = ctx.scheduler.sub_job("verify " + location.display());
  progress.add_total(catalog.items.size(), catalog.total_size());
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    Url url = location.join(item.relative_path);
    auto info = store.stat(url);
    std::optional<StatusEntry::Kind> kind;
    if (!info || info->is_dir) {
      kind = StatusEntry::Kind::kMissing;
    } else if ((item.size && *item.size != info->size) ||
               (!item.hash.empty() && hash_object(ctx, url, *info, &progress) != item.hash)) {
      kind = StatusEntry::Kind::kModified;
    }
    progress.add_done(1, 0);
    if (kind) {
      std::lock_guard lock(mu);
      out.push_back({*kind, item.relative_path});
    }
  });
  progress.set_finished();
  std::sort(out.begin(), out.end(),
            [](const StatusEntry& a, const StatusEntry& b) { return a.relative_path < b.relative_path; });
  return out;
}

namespace {

// One installed package of the tree status looks at.
struct Installed {
  std::string location_rel;  // relative to the top install location ("" for the top)
  std::optional<model::PackageInfo> info;  // nullopt: its marker is missing
  PackageStatus status;
};

// The top package and, recursively, its dependencies, parents first.
void collect(CommandContext& ctx, const Url& top, const Url& wrapp_file, const std::string& location_rel,
             bool recursive, std::vector<Installed>& out, std::set<std::string>& seen, size_t depth = 0) {
  if (!seen.insert(wrapp_file.str()).second) return;  // a package listed twice is reported once
  check_package_depth(depth, wrapp_file);
  auto info = require_package_info(ctx, wrapp_file, "package file");
  Installed p;
  p.location_rel = location_rel;
  p.status.package_name = info.name;
  p.status.version = info.version;
  p.status.wrapp_file = wrapp_file.str();
  p.status.install_location = wrapp_file.parent().str();
  std::vector<model::Dependency> deps = info.dependencies;
  p.info = std::move(info);
  out.push_back(std::move(p));
  if (!recursive) return;
  for (const auto& d : deps) {
    std::string rel = d.relative_destination.empty() ? location_rel
                      : location_rel.empty()          ? d.relative_destination
                                                      : location_rel + "/" + d.relative_destination;
    Url dep_location = rel.empty() ? top : top.join(rel);
    Url dep_marker = dep_location.join(model::wrapp_file_name(d.package));
    if (!ctx.store(dep_marker).stat(dep_marker)) {
      Installed missing;
      missing.location_rel = rel;
      missing.status.package_name = d.package;
      missing.status.version = d.version;
      missing.status.wrapp_file = dep_marker.str();
      missing.status.install_location = dep_location.str();
      missing.status.missing_marker = true;
      out.push_back(std::move(missing));
      continue;
    }
    collect(ctx, top, dep_marker, rel, recursive, out, seen, depth + 1);
  }
}

std::string join_rel(const std::string& base, const std::string& rel) { return base.empty() ? rel : base + "/" + rel; }

}  // namespace

StatusResult status(CommandContext& ctx, const StatusOptions& opt) {
  Url wrapp_file = parse_location(opt.wrapp_file);
  auto& store = ctx.store(wrapp_file);
  if (auto info = store.stat(wrapp_file); info && info->is_dir) {
    fail("'{}' is a folder; pass the package file in it (<folder>/.<package>.wrapp)", wrapp_file.display());
  }
  Url top = wrapp_file.parent();
  // One walk of the top location serves both questions: its stat results
  // tell whether catalog files changed (no second stat per file), and what
  // it finds beyond the catalogs is "added". It runs while the package files
  // are read.
  auto ignores = load_ignore_rules(ctx, top, opt.ignore_file);
  // On the scheduler's io pool, under the command's token: a Ctrl-C stops
  // it with the rest (the walk checks cancellation between folders).
  std::vector<storage::ListEntry> entries;
  std::vector<Installed> packages;
  {
    exec::TaskGroup group(ctx.scheduler.io_pool(), ctx.scheduler.token().child());
    group.spawn([&] { entries = walk_tree(ctx, top, ignores, storage::SymlinkPolicy::kSkipOutside); });
    std::set<std::string> seen;
    try {
      collect(ctx, top, wrapp_file, "", opt.recursive, packages, seen);
    } catch (...) {
      group.token().cancel();
      try {
        group.wait();  // the walk uses `ignores` and `top`
      } catch (...) {
      }
      throw;  // the package file's error is the one to report
    }
    group.wait();
  }

  // Modified and missing: each package against its own catalog.
  struct Check {
    Installed* package;
    const model::CatalogItem* item;
    const storage::ListEntry* walked;  // the walk's stat of this file, if it listed it
  };
  std::vector<Check> checks;
  for (auto& p : packages) {
    if (!p.info || !p.info->catalog) continue;
    // Catalog and walk are both sorted: one merge finds every file's stat,
    // instead of a binary search per file.
    std::string prefix = p.location_rel.empty() ? "" : p.location_rel + "/";
    auto e = std::lower_bound(entries.begin(), entries.end(), prefix,
                              [](const storage::ListEntry& x, const std::string& v) { return x.relative_path < v; });
    for (const auto& item : p.info->catalog->items) {
      const storage::ListEntry* hit = nullptr;
      while (e != entries.end() && e->relative_path.compare(0, prefix.size(), prefix) == 0 &&
             std::string_view(e->relative_path).substr(prefix.size()) < item.relative_path) {
        ++e;
      }
      if (e != entries.end() && e->relative_path.compare(0, prefix.size(), prefix) == 0 &&
          std::string_view(e->relative_path).substr(prefix.size()) == item.relative_path) {
        hit = &*e;
      }
      checks.push_back({&p, &item, hit});
    }
  }
  auto& progress = ctx.scheduler.sub_job("status " + top.display());
  progress.add_total(checks.size(), 0);
  std::mutex mu;
  std::string top_prefix = top.path() == "/" ? "/" : top.path() + "/";
  bool cache_usable = ctx.hash_cache && store.features().stable_identity;
  for_each_transfer(ctx, checks.size(), [&](size_t i) {
    const Check& c = checks[i];
    std::string rel = join_rel(c.package->location_rel, c.item->relative_path);
    std::optional<storage::FileInfo> info;
    if (c.walked) {
      info = c.walked->info;
    } else {
      info = store.stat(top.join(rel));  // not walked: below an ignored folder, or missing
    }
    std::optional<StatusEntry::Kind> kind;
    if (!info || info->is_dir) {
      kind = StatusEntry::Kind::kMissing;
    } else if (c.item->size && *c.item->size != info->size) {
      kind = StatusEntry::Kind::kModified;
    } else if (!c.item->hash.empty()) {
      // The common case, a cache hit, without building a Url.
      std::optional<model::ContentHash> known;
      if (cache_usable) known = ctx.hash_cache->lookup(top_prefix + rel, stamp_of(*info));
      if (!known) known = hash_object(ctx, top.join(rel), *info, &progress);
      if (*known != c.item->hash) kind = StatusEntry::Kind::kModified;
    }
    // Counted in batches: a million atomic updates of shared counters from
    // every worker cost more than the check itself.
    if (i % 256 == 255) progress.add_done(256, 0);
    if (kind) {
      std::lock_guard lock(mu);
      c.package->status.entries.push_back({*kind, c.item->relative_path});
    }
  });
  progress.add_done(checks.size() % 256, 0);
  progress.set_finished();

  // Whether any package's catalog lists this path (relative to the top).
  auto claimed = [&](const std::string& rel) {
    for (const auto& p : packages) {
      if (!p.info || !p.info->catalog) continue;
      const std::string& loc = p.location_rel;
      if (loc.empty()) {
        if (p.info->catalog->find(rel)) return true;
      } else if (rel.size() > loc.size() && rel.compare(0, loc.size(), loc) == 0 && rel[loc.size()] == '/' &&
                 p.info->catalog->find(std::string_view(rel).substr(loc.size() + 1))) {
        return true;
      }
    }
    return false;
  };

  // Added: a file no catalog claims is reported by the deepest package whose
  // location holds it; a package installed in the same folder as its parent
  // leaves it to the parent.
  for (const auto& e : entries) {
    if (is_wrapp_file_name(base_name(e.relative_path)) || claimed(e.relative_path)) continue;
    Installed* owner = &packages.front();
    for (auto& p : packages) {
      if (p.location_rel.size() <= owner->location_rel.size()) continue;
      const std::string& loc = p.location_rel;
      if (e.relative_path.size() > loc.size() && e.relative_path.compare(0, loc.size(), loc) == 0 &&
          e.relative_path[loc.size()] == '/') {
        owner = &p;
      }
    }
    std::string rel = owner->location_rel.empty() ? e.relative_path
                                                  : e.relative_path.substr(owner->location_rel.size() + 1);
    owner->status.entries.push_back({StatusEntry::Kind::kAdded, rel});
  }

  StatusResult result;
  for (auto& p : packages) {
    std::sort(p.status.entries.begin(), p.status.entries.end(),
              [](const StatusEntry& a, const StatusEntry& b) { return a.relative_path < b.relative_path; });
    result.packages.push_back(std::move(p.status));
  }
  Url lock_url = install_lock_url(top);
  if (auto holder = storage::Lock::read(ctx.store(lock_url), lock_url)) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    if (holder->is_stale(now_ms)) {
      result.install_state = fmt::format(
          "interrupted: '{}' was stopped before it finished ({}); run it again, install the previous version, or "
          "'wrapp uninstall --force' to finish",
          holder->purpose, holder->describe());
    } else {
      result.install_state = fmt::format("in progress: '{}' ({})", holder->purpose, holder->describe());
    }
  }
  return result;
}

}  // namespace wrapp::commands
