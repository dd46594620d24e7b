#include "commands/status.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/listed_tree.h"
#include "commands/install_lock.h"
#include "commands/package_file_argument.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "commands/walk_work.h"
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

// The first item at or after `from` whose path is not less than `key` (all
// before `from` must be less): a galloping search, so walking a sorted page
// along a sorted catalog costs the log of each gap, not of the whole catalog.
size_t seek(const std::vector<model::CatalogItem>& items, size_t from, std::string_view key) {
  size_t lo = from, hi = from, step = 1;
  while (hi < items.size() && std::string_view(items[hi].relative_path) < key) {
    lo = hi + 1;
    hi = lo + step;
    step *= 2;
  }
  hi = std::min(hi, items.size());
  auto at = std::lower_bound(items.begin() + static_cast<std::ptrdiff_t>(lo),
                             items.begin() + static_cast<std::ptrdiff_t>(hi), key,
                             [](const model::CatalogItem& a, std::string_view k) { return a.relative_path < k; });
  return static_cast<size_t>(at - items.begin());
}

// Modified and missing files: each package's catalog against the walk of
// the top location, checked while the walk runs. Pages are matched with
// the catalogs as they come and then dropped, so the walk of a tree of a
// million files is never held (docs/design.md, "Status semantics"); what
// stays is what the walk found beyond the catalogs. The checks run in
// chunks beside the walk (WalkWork), so memory stays bounded whatever they
// cost (hashing, on a cold cache). Catalog items the walk did not list
// (below an ignored folder, behind a link leading outside, or absent) are
// stat'ed at the end.
class CatalogCheck {
 public:
  CatalogCheck(CommandContext& ctx, const Url& top, std::vector<Installed>& packages)
      : ctx_(ctx),
        top_(top),
        store_(ctx.store(top)),
        packages_(packages),
        top_prefix_(top.path() == "/" ? "/" : top.path() + "/"),
        cache_usable_(ctx.hash_cache && store_.features().stable_identity),
        progress_(ctx.scheduler.sub_job("status " + top.display(), "checking")),
        work_(ctx, store_, &progress_) {
    size_t total = 0;
    listed_.resize(packages.size());
    for (size_t i = 0; i < packages.size(); ++i) {
      if (!has_catalog(packages[i])) continue;
      listed_[i].resize(packages[i].info->catalog->items.size());
      total += packages[i].info->catalog->items.size();
    }
    progress_.add_total(total, 0);
  }

  // Walks the top location and checks every catalog item; then
  // package_files and unlisted hold what the walk found beyond the
  // catalogs. Throws the first check's error.
  void run(const model::IgnoreEvaluator& ignores) {
    work_.walk(top_, ignores, storage::SymlinkPolicy::kSkipOutside,
               [this](std::vector<storage::ListEntry>&& page) { take(std::move(page)); });
    check_unlisted();
  }

  // What the walk found beyond the catalogs, relative to the top, sorted:
  // package files (whether a catalog lists them or not), and the other
  // files that no catalog of the tree lists.
  std::vector<std::string> package_files;
  std::vector<std::string> unlisted;

 private:
  struct Check {
    Installed* package;
    const model::CatalogItem* item;
    std::optional<storage::FileInfo> walked;  // the walk's stat of the file, when it listed it
  };
  // Checks per queued task: enough that queueing costs nothing next to them.
  static constexpr size_t kChunk = 512;

  static bool has_catalog(const Installed& p) { return p.info && p.info->catalog; }

  // One page of the walk; called from one thread at a time.
  void take(std::vector<storage::ListEntry>&& page) {
    std::sort(page.begin(), page.end(), [](const storage::ListEntry& a, const storage::ListEntry& b) {
      return a.relative_path < b.relative_path;
    });
    std::vector<char> in_catalog(page.size(), 0);
    std::vector<Check> chunk;
    for (size_t p = 0; p < packages_.size(); ++p) {
      if (!has_catalog(packages_[p])) continue;
      const auto& items = packages_[p].info->catalog->items;
      const std::string& location = packages_[p].location_rel;
      size_t cursor = 0;
      for (size_t k = 0; k < page.size(); ++k) {
        const std::string& path = page[k].relative_path;
        if (!below(path, location)) continue;
        std::string_view rel = location.empty() ? std::string_view(path)
                                                : std::string_view(path).substr(location.size() + 1);
        cursor = seek(items, cursor, rel);
        if (cursor == items.size() || items[cursor].relative_path != rel) continue;
        listed_[p][cursor] = true;
        in_catalog[k] = 1;
        chunk.push_back({&packages_[p], &items[cursor], page[k].info});
        if (chunk.size() == kChunk) dispatch(std::exchange(chunk, {}));
      }
    }
    if (!chunk.empty()) dispatch(std::move(chunk));
    for (size_t k = 0; k < page.size(); ++k) {
      std::string& path = page[k].relative_path;
      if (is_wrapp_file_name(base_name(path))) {
        package_files.push_back(std::move(path));
      } else if (!in_catalog[k]) {
        unlisted.push_back(std::move(path));
      }
    }
  }

  void dispatch(std::vector<Check> chunk) {
    work_.run(std::move(chunk), [this](const Check& c) { check(c); });
  }

  // After the walk: checks the catalog items it did not list.
  void check_unlisted() {
    std::vector<Check> rest;
    for (size_t p = 0; p < packages_.size(); ++p) {
      if (!has_catalog(packages_[p])) continue;
      const auto& items = packages_[p].info->catalog->items;
      for (size_t i = 0; i < items.size(); ++i) {
        if (!listed_[p][i]) rest.push_back({&packages_[p], &items[i], std::nullopt});
      }
    }
    for_each_transfer(ctx_, rest.size(), [&](size_t i) {
      check(rest[i]);
      if (i % 256 == 255) progress_.add_done(256, 0);
    }, &store_);
    progress_.add_done(rest.size() % 256, 0);
    progress_.set_finished();
    std::sort(package_files.begin(), package_files.end());
    std::sort(unlisted.begin(), unlisted.end());
  }

  void check(const Check& c) {
    std::string rel = join_rel(c.package->location_rel, c.item->relative_path);
    std::optional<storage::FileInfo> info = c.walked ? c.walked : store_.stat(top_.join(rel));
    std::optional<StatusItemType> type;
    if (!info || info->is_dir) {
      type = StatusItemType::kItemMissing;
    } else if (c.item->size && *c.item->size != info->size) {
      type = StatusItemType::kItemDiffers;
    } else if (!c.item->hash.empty()) {
      // The common case, a cache hit, without building a Url.
      std::optional<model::ContentHash> known;
      if (cache_usable_) known = ctx_.hash_cache->lookup(top_prefix_ + rel, stamp_of(*info));
      if (!known) known = hash_object(ctx_, top_.join(rel), *info, &progress_);
      if (*known != c.item->hash) type = StatusItemType::kItemDiffers;
    }
    if (!type) return;
    const std::string& path = c.item->relative_path;
    std::string message = *type == StatusItemType::kItemMissing
                              ? fmt::format("'{}' is listed in the catalog but missing", path)
                              : fmt::format("'{}' differs in size or content from the catalog", path);
    std::lock_guard lock(mu_);
    c.package->add(*type, std::move(message), path);
  }

  CommandContext& ctx_;
  Url top_;
  storage::Storage& store_;
  std::vector<Installed>& packages_;
  std::string top_prefix_;
  bool cache_usable_;
  exec::ProgressJob& progress_;
  std::vector<std::vector<bool>> listed_;  // per package: the catalog items the walk listed
  std::mutex mu_;  // the packages' status items
  // Last: destroyed first, so no check outlives what it uses.
  WalkWork work_;
};

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
// `package_files` and `unlisted` are what CatalogCheck found.
void find_extras(CommandContext& ctx, const Url& top, std::vector<Installed>& packages,
                 const std::vector<std::string>& package_files, const std::vector<std::string>& unlisted) {
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
  for (const std::string& path : package_files) {
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
  for (const std::string& path : unlisted) {
    bool strays_own = std::any_of(strays.begin(), strays.end(), [&](const Stray& s) {
      return s.info && claimed_by(path, std::string(parent_dir(s.path)), *s.info);
    });
    if (strays_own) continue;
    Installed& owner = owner_of(packages, path);
    // A package file without catalog has nothing to compare its folder with.
    if (owner.info && !owner.info->catalog) continue;
    std::string rel = relative_to_owner(owner, path);
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
  // it finds beyond the catalogs is extra. The package files are read
  // first: the walk is checked against their catalogs as it goes, so it is
  // never held whole.
  auto ignores = load_ignore_rules(ctx, top, opt.ignore_file, opt.ignore_predicate);
  TreeReader tree(ctx, top);
  tree.collect(wrapp_file, "");
  auto& packages = tree.packages();
  CatalogCheck checks(ctx, top, packages);
  checks.run(ignores);
  find_extras(ctx, top, packages, checks.package_files, checks.unlisted);
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
