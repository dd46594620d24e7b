#include "commands/status.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/listed_tree.h"
#include "commands/install_lock.h"
#include "commands/package_file_argument.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "exec/task_group.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

const char* status_kind_name(StatusEntry::Kind kind) {
  switch (kind) {
    case StatusEntry::Kind::kModified: return "modified";
    case StatusEntry::Kind::kMissing: return "missing";
  }
  return "?";
}

const char* status_item_type_name(StatusItemType type) {
  switch (type) {
    case StatusItemType::kExtraItem: return "extra_item";
    case StatusItemType::kExtraPackage: return "extra_package";
    case StatusItemType::kItemDiffers: return "item_differs";
    case StatusItemType::kItemMissing: return "item_missing";
    case StatusItemType::kPackageMissing: return "package_missing";
    case StatusItemType::kPackageModified: return "package_modified";
    case StatusItemType::kPackageNoCatalog: return "package_no_catalog";
    case StatusItemType::kPackageVersionMismatch: return "package_version_mismatch";
    case StatusItemType::kSubpackageModified: return "subpackage_modified";
  }
  return "?";
}

bool PackageStatus::has(StatusItemType type) const {
  return std::any_of(items.begin(), items.end(), [&](const StatusItem& i) { return i.type == type; });
}

std::vector<std::string> PackageStatus::paths(StatusItemType type) const {
  std::vector<std::string> out;
  for (const auto& i : items) {
    if (i.type == type) out.push_back(i.relative_path);
  }
  return out;
}

std::vector<StatusEntry> find_modifications(CommandContext& ctx, const Url& location, const model::Catalog& catalog) {
  std::mutex mu;
  std::vector<StatusEntry> out;
  std::set<std::string> folders{""};
  for (const auto& item : catalog.items) ListedTree::add_folders_of(folders, item.relative_path);
  const ListedTree listed(ctx, location, folders, catalog.items.size());
  auto& progress = ctx.scheduler.sub_job("verify " + location.display(), "checking", exec::JobKind::kPass);
  progress.add_total(catalog.items.size(), catalog.total_size());
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    auto info = listed.stat(item.relative_path);
    std::optional<StatusEntry::Kind> kind;
    if (!info || info->is_dir) {
      kind = StatusEntry::Kind::kMissing;
    } else if ((item.size && *item.size != info->size) ||
               (!item.hash.empty() &&
                hash_object(ctx, location.join(item.relative_path), *info, &progress) != item.hash)) {
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

std::string join_rel(const std::string& base, const std::string& rel) {
  return base.empty() ? rel : rel.empty() ? base : base + "/" + rel;
}

// True when `path` lies strictly below `dir` ("" holds everything).
bool below(const std::string& path, const std::string& dir) {
  return dir.empty() || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

// One package of the tree status looks at.
struct Installed {
  std::string location_rel;                // relative to the top install location ("" for the top)
  std::optional<model::PackageInfo> info;  // nullopt: its package file is missing
  PackageStatus status;
  std::vector<size_t> children;            // its dependencies, as indices into the tree
  std::optional<size_t> parent;            // the package that recorded it first
  std::string recorded_version;            // the version that parent records

  void add(StatusItemType type, std::string message, std::string relative_path = "") {
    status.items.push_back(
        {type, status.package_name, status.wrapp_file, std::move(message), std::move(relative_path)});
  }
};

class TreeReader {
 public:
  TreeReader(CommandContext& ctx, const Url& top) : ctx_(ctx), top_(top) {}

  // Reads the package file and, recursively, its dependencies' (parents
  // first). A package file reached twice is read once. Returns its index.
  size_t collect(const Url& wrapp_file, const std::string& location_rel, size_t depth = 0) {
    if (auto it = index_.find(wrapp_file.str()); it != index_.end()) return it->second;
    check_package_depth(depth, wrapp_file);
    auto info = require_package_info(ctx_, wrapp_file, "package file");
    size_t me = add(wrapp_file, location_rel, info.name, info.version);
    std::vector<model::Dependency> deps = info.dependencies;
    packages_[me].info = std::move(info);
    for (const auto& d : deps) {
      std::string rel = join_rel(location_rel, d.relative_destination);
      Url location = rel.empty() ? top_ : top_.join(rel);
      Url marker = location.join(model::wrapp_file_name(d.package));
      size_t child;
      if (auto it = index_.find(marker.str()); it != index_.end()) {
        child = it->second;
      } else if (ctx_.store(marker).stat(marker)) {
        child = collect(marker, rel, depth + 1);
      } else {
        child = add(marker, rel, d.package, d.version);  // its package file is missing
      }
      auto& c = packages_[child];
      if (!c.parent && child != me) {
        c.parent = me;
        c.recorded_version = d.version;
      }
      auto& mine = packages_[me].children;
      if (std::find(mine.begin(), mine.end(), child) == mine.end()) mine.push_back(child);
    }
    return me;
  }

  std::vector<Installed>& packages() { return packages_; }

 private:
  size_t add(const Url& wrapp_file, const std::string& location_rel, const std::string& name,
             const std::string& version) {
    Installed p;
    p.location_rel = location_rel;
    p.status.package_name = name;
    p.status.version = version;
    p.status.wrapp_file = wrapp_file.str();
    p.status.install_location = wrapp_file.parent().str();
    packages_.push_back(std::move(p));
    index_[wrapp_file.str()] = packages_.size() - 1;
    return packages_.size() - 1;
  }

  CommandContext& ctx_;
  Url top_;
  std::vector<Installed> packages_;
  std::map<std::string, size_t> index_;  // package file URL -> index
};

// Modified and missing files: each package's catalog against the walk (a
// file the walk did not list is stat'ed: below an ignored folder, behind a
// link leading outside, or absent). Returns which walked entries a catalog
// item matched: those are no extra files.
std::vector<bool> check_catalogs(CommandContext& ctx, const Url& top, std::vector<Installed>& packages,
                                 const storage::Listing& entries) {
  std::vector<bool> matched(entries.size());
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
    auto in_prefix = [&] { return e != entries.end() && e->relative_path.compare(0, prefix.size(), prefix) == 0; };
    for (const auto& item : p.info->catalog->items) {
      while (in_prefix() && std::string_view(e->relative_path).substr(prefix.size()) < item.relative_path) ++e;
      bool hit = in_prefix() && std::string_view(e->relative_path).substr(prefix.size()) == item.relative_path;
      if (hit) matched[static_cast<size_t>(e - entries.begin())] = true;
      checks.push_back({&p, &item, hit ? &*e : nullptr});
    }
  }
  auto& store = ctx.store(top);
  auto& progress = ctx.scheduler.sub_job("status " + top.display(), "checking");
  progress.add_total(checks.size(), 0);
  std::mutex mu;
  std::string top_prefix = top.path() == "/" ? "/" : top.path() + "/";
  bool cache_usable = ctx.hash_cache && store.features().stable_identity;
  for_each_transfer(ctx, checks.size(), [&](size_t i) {
    const Check& c = checks[i];
    std::string rel = join_rel(c.package->location_rel, c.item->relative_path);
    std::optional<storage::FileInfo> info = c.walked ? std::optional(c.walked->info) : store.stat(top.join(rel));
    std::optional<StatusItemType> type;
    if (!info || info->is_dir) {
      type = StatusItemType::kItemMissing;
    } else if (c.item->size && *c.item->size != info->size) {
      type = StatusItemType::kItemDiffers;
    } else if (!c.item->hash.empty()) {
      // The common case, a cache hit, without building a Url.
      std::optional<model::ContentHash> known;
      if (cache_usable) known = ctx.hash_cache->lookup(top_prefix + rel, stamp_of(*info));
      if (!known) known = hash_object(ctx, top.join(rel), *info, &progress);
      if (*known != c.item->hash) type = StatusItemType::kItemDiffers;
    }
    // Counted in batches: a million atomic updates of shared counters from
    // every worker cost more than the check itself.
    if (i % 256 == 255) progress.add_done(256, 0);
    if (!type) return;
    const std::string& path = c.item->relative_path;
    std::string message = *type == StatusItemType::kItemMissing
                              ? fmt::format("'{}' is listed in the catalog but missing", path)
                              : fmt::format("'{}' differs in size or content from the catalog", path);
    std::lock_guard lock(mu);
    c.package->add(*type, std::move(message), path);
  });
  progress.add_done(checks.size() % 256, 0);
  progress.set_finished();
  return matched;
}

// The package whose location holds `path` (relative to the top), deepest
// first; a package installed in its parent's own folder leaves it to the
// parent.
Installed& owner_of(std::vector<Installed>& packages, const std::string& path) {
  Installed* owner = &packages.front();
  for (auto& p : packages) {
    if (p.location_rel.size() > owner->location_rel.size() && below(path, p.location_rel)) owner = &p;
  }
  return *owner;
}

std::string relative_to_owner(const Installed& owner, const std::string& path) {
  return owner.location_rel.empty() ? path : path.substr(owner.location_rel.size() + 1);
}

// A package file in the tree that no package of the tree lists.
struct Stray {
  std::string path;  // relative to the top
  std::optional<model::PackageInfo> info;
  std::string error;  // why it could not be read
};

// Extra files and extra packages. A file is extra when it is not ignored,
// not a package file, and no catalog lists it: neither one of the tree's
// nor one of a stray package's (those are that package's files, reported
// once as its extra_package). A stray package that another stray lists as
// a dependency at its place is that one's subpackage, not reported again.
// `matched`: the entries check_catalogs matched with a catalog item.
void find_extras(CommandContext& ctx, const Url& top, std::vector<Installed>& packages,
                 const storage::Listing& entries, const std::vector<bool>& matched) {
  // The package files of the tree, relative to the top (compared as text:
  // a walked name need not make a valid Url).
  std::set<std::string> tree_files;
  for (const auto& p : packages) tree_files.insert(join_rel(p.location_rel, Url::parse(p.status.wrapp_file).name()));
  auto claimed_by = [](const std::string& path, const std::string& dir, const model::PackageInfo& info) {
    if (!info.catalog || !below(path, dir)) return false;
    return info.catalog->find(dir.empty() ? std::string_view(path) : std::string_view(path).substr(dir.size() + 1)) !=
           nullptr;
  };
  std::vector<Stray> strays;
  std::vector<const std::string*> unclaimed;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& path = entries[i].relative_path;
    if (is_wrapp_file_name(base_name(path))) {
      if (tree_files.count(path)) continue;
      Stray s{path, std::nullopt, ""};
      try {
        s.info = read_package_info(ctx, top.join(path));
      } catch (const FailedCommand& error) {
        s.error = error.what();
      } catch (const StorageError& error) {
        s.error = error.what();
      }
      strays.push_back(std::move(s));
      continue;
    }
    if (matched[i]) continue;  // a catalog's file
    bool claimed = std::any_of(packages.begin(), packages.end(), [&](const Installed& p) {
      return p.info && claimed_by(path, p.location_rel, *p.info);
    });
    if (!claimed) unclaimed.push_back(&path);
  }

  std::set<std::pair<std::string, std::string>> covered;  // (name, folder) a stray lists as its dependency
  for (const auto& s : strays) {
    if (!s.info) continue;
    for (const auto& d : s.info->dependencies) {
      covered.insert({d.package, join_rel(std::string(parent_dir(s.path)), d.relative_destination)});
    }
  }
  for (const auto& s : strays) {
    std::string name = s.info ? s.info->name : std::string(base_name(s.path));
    if (s.info && covered.count({name, std::string(parent_dir(s.path))})) continue;
    Installed& owner = owner_of(packages, s.path);
    std::string rel = relative_to_owner(owner, s.path);
    owner.add(StatusItemType::kExtraPackage,
              s.info ? fmt::format("'{}' is package '{}' {}, which no dependency lists", rel, s.info->name,
                                   s.info->version)
                     : fmt::format("'{}' is a package file that no dependency lists ({})", rel, s.error),
              rel);
  }
  for (const std::string* path : unclaimed) {
    bool strays_own = std::any_of(strays.begin(), strays.end(), [&](const Stray& s) {
      return s.info && claimed_by(*path, std::string(parent_dir(s.path)), *s.info);
    });
    if (strays_own) continue;
    Installed& owner = owner_of(packages, *path);
    // A package file without catalog has nothing to compare its folder with.
    if (owner.info && !owner.info->catalog) continue;
    std::string rel = relative_to_owner(owner, *path);
    owner.add(StatusItemType::kExtraItem, fmt::format("'{}' is not in the catalog", rel), rel);
  }
}

// Items about the package itself: missing, without catalog, of another
// version than its parent records, and modified (ahead of its file items).
void add_package_items(std::vector<Installed>& packages) {
  for (auto& p : packages) {
    const auto& s = p.status;
    const Installed* parent = p.parent ? &packages[*p.parent] : nullptr;
    std::string recorder = parent ? fmt::format("'{}' {}", parent->status.package_name, parent->status.version) : "";
    if (!p.info) {
      p.add(StatusItemType::kPackageMissing,
            fmt::format("package file '{}' is missing ({} records '{}' {} there)", Url::parse(s.wrapp_file).display(),
                        recorder, s.package_name, p.recorded_version));
      continue;
    }
    if (!p.info->catalog) {
      p.add(StatusItemType::kPackageNoCatalog,
            fmt::format("'{}' {} has no catalog (a 'wrapp new' file): it was never installed here, so its files "
                        "cannot be compared",
                        s.package_name, s.version));
    }
    if (parent && p.recorded_version != p.info->version) {
      p.add(StatusItemType::kPackageVersionMismatch,
            fmt::format("'{}' is installed at version {}, but {} records version {}", s.package_name, s.version,
                        recorder, p.recorded_version));
    }
    size_t differs = 0, missing = 0, extra_items = 0, extra_packages = 0;
    for (const auto& i : s.items) {
      differs += i.type == StatusItemType::kItemDiffers;
      missing += i.type == StatusItemType::kItemMissing;
      extra_items += i.type == StatusItemType::kExtraItem;
      extra_packages += i.type == StatusItemType::kExtraPackage;
    }
    if (differs + missing + extra_items + extra_packages > 0) {
      p.add(StatusItemType::kPackageModified,
            fmt::format("'{}' {} was modified: {} item(s) differ, {} missing, {} extra item(s), {} extra package(s)",
                        s.package_name, s.version, differs, missing, extra_items, extra_packages));
    }
  }
}

// subpackage_modified for every package with a dependency that is not
// clean, and the dirty list, subpackages before their parents (a cycle of
// package files is followed once).
std::vector<std::string> settle(std::vector<Installed>& packages) {
  std::vector<std::string> dirty;
  std::vector<int> state(packages.size(), 0);  // 0 new, 1 on the way, 2 settled
  std::function<void(size_t)> visit = [&](size_t i) {
    state[i] = 1;
    for (size_t c : packages[i].children) {
      if (state[c] == 0) visit(c);
      if (state[c] != 2 || packages[c].status.clean()) continue;
      const auto& sub = packages[c].status;
      std::string rel;
      Url::parse(sub.wrapp_file).relative_to(Url::parse(packages[i].status.install_location), &rel);
      packages[i].add(StatusItemType::kSubpackageModified,
                      fmt::format("subpackage '{}' {} at '{}' is not clean", sub.package_name, sub.version,
                                  parent_dir(rel).empty() ? std::string_view(".") : parent_dir(rel)),
                      rel);
    }
    state[i] = 2;
    if (!packages[i].status.clean()) dirty.push_back(packages[i].status.wrapp_file);
  };
  if (!packages.empty()) visit(0);
  return dirty;
}

// Package-level items first, in the order of kPackageLevel, then the rest
// by path.
void sort_items(std::vector<StatusItem>& items) {
  static constexpr StatusItemType kPackageLevel[] = {
      StatusItemType::kPackageMissing, StatusItemType::kPackageNoCatalog, StatusItemType::kPackageVersionMismatch,
      StatusItemType::kPackageModified};
  auto rank = [](const StatusItem& i) {
    auto at = std::find(std::begin(kPackageLevel), std::end(kPackageLevel), i.type);
    return at - std::begin(kPackageLevel);
  };
  std::stable_sort(items.begin(), items.end(), [&](const StatusItem& a, const StatusItem& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.relative_path != b.relative_path) return a.relative_path < b.relative_path;
    return a.type < b.type;
  });
}

std::string install_state_of(CommandContext& ctx, const Url& top) {
  Url lock_url = install_lock_url(top);
  auto holder = storage::Lock::read(ctx.store(lock_url), lock_url);
  if (!holder) return "";
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  if (holder->is_stale(now_ms)) {
    return fmt::format(
        "interrupted: '{}' was stopped before it finished ({}); run it again, install the previous version, or "
        "'wrapp uninstall --force' to finish",
        holder->purpose, holder->describe());
  }
  return fmt::format("in progress: '{}' ({})", holder->purpose, holder->describe());
}

}  // namespace

StatusResult status(CommandContext& ctx, const StatusOptions& opt) {
  Url wrapp_file = package_file_argument(ctx, opt.wrapp_file);
  Url top = wrapp_file.parent();
  // One walk of the top location serves every question: its stat results
  // tell whether catalog files changed (no second stat per file), and what
  // it finds beyond the catalogs is extra. It runs while the package files
  // are read.
  auto ignores = load_ignore_rules(ctx, top, opt.ignore_file, opt.ignore_predicate);
  // On the scheduler's io pool, under the command's token: a Ctrl-C stops
  // it with the rest (the walk checks cancellation between folders).
  storage::Listing entries;
  TreeReader tree(ctx, top);
  {
    exec::TaskGroup group(ctx.scheduler.io_pool(), ctx.scheduler.token().child());
    group.spawn([&] { entries = walk_tree(ctx, top, ignores, storage::SymlinkPolicy::kSkipOutside); });
    try {
      tree.collect(wrapp_file, "");
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
  auto& packages = tree.packages();
  std::vector<bool> matched = check_catalogs(ctx, top, packages, entries);
  find_extras(ctx, top, packages, entries, matched);
  add_package_items(packages);

  StatusResult result;
  result.dirty = settle(packages);
  for (auto& p : packages) {
    sort_items(p.status.items);
    result.packages.push_back(std::move(p.status));
  }
  result.install_state = install_state_of(ctx, top);
  return result;
}

nlohmann::json to_json(const StatusResult& r) {
  using nlohmann::json;
  json packages = json::array();
  for (const auto& p : r.packages) {
    json items = json::array();
    for (const auto& i : p.items) {
      items.push_back({{"package_name", i.package_name},
                       {"absolute_wrapp_file_path", i.wrapp_file},
                       {"status_message", i.message},
                       {"status_item_type", status_item_type_name(i.type)},
                       {"relative_path", i.relative_path.empty() ? json(nullptr) : json(i.relative_path)}});
    }
    packages.push_back({{"package", p.package_name},
                        {"version", p.version},
                        {"wrapp_file", p.wrapp_file},
                        {"install_location", p.install_location},
                        {"clean", p.clean()},
                        {"items", std::move(items)}});
  }
  return {{"clean", r.clean()}, {"install_state", r.install_state}, {"dirty", r.dirty},
          {"packages", std::move(packages)}};
}

}  // namespace wrapp::commands
