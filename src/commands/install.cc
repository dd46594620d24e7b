#include "commands/install.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_set>

#include "commands/dependency_file.h"
#include "commands/folder_batches.h"
#include "commands/install_lock.h"
#include "commands/item_source.h"
#include "commands/listed_tree.h"
#include "commands/patch_file.h"
#include "commands/publish.h"
#include "commands/repo_package_read_ahead.h"
#include "commands/repository.h"
#include "commands/status.h"
#include "commands/tree.h"
#include "exec/task_group.h"
#include "model/hash.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

const model::Catalog kEmptyCatalog;

// One path of the catalogs an install compares, with its item in each
// (nullptr where that catalog lacks it).
struct PathItems {
  const std::string* path;
  const model::CatalogItem* o;  // the installed version's
  const model::CatalogItem* n;  // the new version's
  const model::CatalogItem* k;  // the interrupted install's
};

// Every path of the three catalogs once, in order. Catalogs are sorted by
// path, so one merge does what a sort of every path and three binary
// searches per path did (the string compares were most of an update's
// planning).
std::vector<PathItems> merge_catalogs(const model::Catalog& old_cat, const model::Catalog& new_cat,
                                      const model::Catalog& mid_cat) {
  std::vector<PathItems> merged;
  merged.reserve(std::max({old_cat.items.size(), new_cat.items.size(), mid_cat.items.size()}));
  size_t a = 0, b = 0, c = 0;
  auto at = [](const model::Catalog& cat, size_t i) -> const model::CatalogItem* {
    return i < cat.items.size() ? &cat.items[i] : nullptr;
  };
  for (;;) {
    const model::CatalogItem* o = at(old_cat, a);
    const model::CatalogItem* n = at(new_cat, b);
    const model::CatalogItem* k = at(mid_cat, c);
    const std::string* least = nullptr;
    for (const auto* item : {o, n, k}) {
      if (item && (!least || item->relative_path < *least)) least = &item->relative_path;
    }
    if (!least) break;
    PathItems entry{least, nullptr, nullptr, nullptr};
    if (o && o->relative_path == *least) entry.o = &old_cat.items[a++];
    if (n && n->relative_path == *least) entry.n = &new_cat.items[b++];
    if (k && k->relative_path == *least) entry.k = &mid_cat.items[c++];
    merged.push_back(entry);
  }
  return merged;
}

// `info` without its catalog, which is not copied (every other member is).
model::PackageInfo without_catalog(model::PackageInfo& info) {
  std::optional<model::Catalog> catalog;
  catalog.swap(info.catalog);  // moved out and back: no copy
  try {
    model::PackageInfo copy = info;
    info.catalog.swap(catalog);
    return copy;
  } catch (...) {
    info.catalog.swap(catalog);
    throw;
  }
}

struct Conflict {
  std::string path;    // relative to the top destination
  std::string reason;
};

// An installed subpackage that the new version no longer has.
struct DroppedPackage {
  Url location;
  Url marker;
  model::PackageInfo info;
  std::set<std::string> keep;  // its paths another package of the new tree holds
};

// Everything install will do for one package, decided before any change.
struct PackagePlan {
  InstallOptions options;
  Url repo;
  Url dest;
  Url marker;
  model::PackageInfo package;  // the repository's .wrapp
  std::optional<ItemSources> sources;  // where its files are read from (item_source.h)
  std::unordered_map<std::string, Url> copy_from;  // relative path -> source, for each copy
  // Copies that replace a folder the plan found at their path (a folder of
  // the old version that the new one has as a file).
  std::set<std::string> folders_replaced;
  std::optional<model::PackageInfo> installed;
  InstallResult result;
  std::vector<PackagePlan> dependencies;
  std::vector<DroppedPackage> dropped;
  std::string location;  // relative to the top destination
  // The catalog of the version an interrupted install was writing here: its
  // files are the package's own, not user modifications.
  std::optional<model::Catalog> interrupted;
  // The installed version's folders (`listed_dirs`, "" the destination),
  // listed while the repository's package file was still being read.
  std::unique_ptr<ListedTree> listed;
  std::set<std::string> listed_dirs;
};

class Planner {
 public:
  // `defer_conflicts`: install --patch (InstallOptions::patch_file).
  Planner(CommandContext& ctx, const Url& top, const InstallIntent* interrupted, bool defer_conflicts)
      : ctx_(ctx), top_(top), interrupted_(interrupted) {
    if (defer_conflicts) deferred_.emplace().target = top.str();
  }

  PackagePlan plan(const InstallOptions& opt, std::set<std::string>& visiting, size_t depth = 0) {
    model::check_name_and_version(opt.package_name, opt.version);
    PackagePlan p;
    p.options = opt;
    if (!opt.repo) fail("no repository given: pass --repo (the folder or URL that holds .packages)");
    p.repo = parse_location(*opt.repo);
    p.dest = parse_location(opt.destination);
    check_package_depth(depth, p.dest.join(model::wrapp_file_name(opt.package_name)));
    // Every package of the tree is written beneath the top destination, the
    // one anchor: links below it are never followed.
    if (p.dest.relative_to(top_, &p.location)) p.dest = top_.join(p.location);
    if (interrupted_) p.interrupted = interrupted_catalog(ctx_, *interrupted_, p.location, opt.package_name);
    auto& store = ctx_.store(p.dest);
    if (auto info = store.stat(p.dest); info && !info->is_dir) fail("destination '{}' is a file", p.dest.display());
    std::string key = p.dest.str() + "|" + opt.package_name;
    installing_.insert(key);
    if (!visiting.insert(key).second) {
      fail("package '{}' depends on itself (installing into '{}' again)", opt.package_name, p.dest.display());
    }

    p.marker = p.dest.join(model::wrapp_file_name(opt.package_name));
    // An update reads the version's package file too: when the installed
    // one names another version at its head (or an interrupted install
    // left this destination), that read starts at once on another thread.
    // A re-install of the installed version may need no repository file at
    // all, and reads none ahead.
    RepoPackageReadAhead ahead(ctx_);
    std::string marker_origin = p.marker.display();
    p.installed = parse_document<model::PackageInfo>(
        ctx_, p.marker, [&](std::string_view text, const TextWindow* window) {
          auto named = model::PackageInfo::peek_version(text);
          if (p.interrupted || (named && *named != opt.version)) {
            ahead.start(p.repo, opt.package_name, opt.version);
          }
          return model::PackageInfo::parse(text, marker_origin, window);
        });
    if (p.installed && p.installed->name != opt.package_name) {
      fail("'{}' belongs to package '{}', not '{}'", p.marker.display(), p.installed->name, opt.package_name);
    }
    p.result.package_name = opt.package_name;
    p.result.version = opt.version;
    p.result.wrapp_file = p.marker.str();
    p.result.plan.target = p.dest.str();

    if (intact(p)) {
      // This version is installed and unmodified: nothing to read from the
      // repository. Its subpackages are checked the same way below. A no-op
      // reads its catalog from `installed` only (never copied: it can hold
      // a million items); `package` carries the rest.
      p.package = without_catalog(*p.installed);
      p.result.no_op = true;
    } else {
      // Files will be copied, and every copy is hashed: the hashing library
      // loads on another thread while the planning goes on. Not for links,
      // which hash nothing (a file that cannot be linked is copied, and
      // loads it then): a cold load of libcrypto took 15 ms of the 17 ms
      // between a hard-linked install of four big files and `cp -al`
      // (docs/performance.md).
      if (opt.link_mode == LinkMode::kCopy) preload_hash_library();
      if (ahead.started()) list_installed_folders(p);
      Url repo_marker;
      p.package = ahead.started() ? ahead.take(&repo_marker)
                                  : require_repo_package(ctx_, p.repo, opt.package_name, opt.version, &repo_marker);
      if (p.package.name != opt.package_name) {
        fail("'{}' names package '{}', expected '{}'", repo_marker.display(), p.package.name, opt.package_name);
      }
      if (p.package.catalog) check_no_marker_item(*p.package.catalog, opt.package_name, repo_marker.display());
      p.sources.emplace(p.package.catalog ? *p.package.catalog : kEmptyCatalog, repo_marker,
                        fmt::format("package '{}' {}", opt.package_name, opt.version));
    }

    for (const auto& dep : p.package.dependencies) {
      InstallOptions sub = opt;
      sub.package_name = dep.package;
      sub.version = dep.version;
      sub.destination = (dep.relative_destination.empty() ? p.dest : p.dest.join(dep.relative_destination)).str();
      sub.repo = dep.repository.empty() ? p.repo.str() : dep.repository;
      p.dependencies.push_back(plan(sub, visiting, depth + 1));
    }
    if (!p.result.no_op) plan_files(p);
    visiting.erase(key);
    return p;
  }

  // An update, while the version's package file is still being read on
  // another thread: the installed version's folders are listed now, for
  // the plan (which lists again only if the new version has others). On
  // two cores the listing and the parse overlap instead of following each
  // other.
  void list_installed_folders(PackagePlan& p) {
    if (!p.installed || !p.installed->catalog || p.interrupted) return;
    const model::Catalog& installed = *p.installed->catalog;
    if (installed.items.size() < kMinLookupsToList) return;  // stat'ed one by one: nothing to overlap
    p.listed_dirs.insert("");
    std::string_view previous;  // paths are sorted: a folder's files follow each other
    for (const auto& item : installed.items) {
      std::string_view parent = parent_dir(item.relative_path);
      if (parent == previous) continue;
      previous = parent;
      ListedTree::add_folders_of(p.listed_dirs, item.relative_path);
    }
    p.listed = std::make_unique<ListedTree>(ctx_, p.dest, p.listed_dirs, installed.items.size());
  }

  // Loads the hashing library on the io pool, once (model::load_hash_library).
  // A failure is left to the first hash, which reports it.
  void preload_hash_library() {
    if (preload_) return;
    preload_ = std::make_unique<exec::TaskGroup>(ctx_.scheduler.io_pool(), ctx_.scheduler.token().child());
    preload_->spawn([] {
      try {
        model::load_hash_library();
      } catch (const Error&) {
      }
    });
  }

  std::vector<Conflict>& conflicts() { return conflicts_; }
  // Files of the new versions that cannot be read where their catalogs say.
  std::vector<ItemFailure>& unreadable() { return unreadable_; }
  // install --patch: the conflicts left as they are, and the operations
  // taking the new version there.
  std::optional<model::Patch>& deferred() { return deferred_; }

  // The destination's ignore rules, as status applies them (paths relative
  // to the top destination): an ignored file that is not the package's is
  // expendable, like an ignored file in git, and is overwritten.
  void set_ignore_rules(model::IgnoreEvaluator rules) { ignores_ = std::move(rules); }

  // Once the whole new tree is planned: the subpackages each installed
  // version had that the new tree no longer installs at the same place.
  void plan_drops(PackagePlan& p) {
    for (auto& dep : p.dependencies) plan_drops(dep);
    if (p.installed) plan_dropped(p);
  }

  // Packages a killed or failed install was installing at places where the
  // new tree installs nothing (a subpackage the interrupted version added):
  // what it wrote there goes, as for a dropped subpackage. If it got as far
  // as its marker, that marker's catalog says what; otherwise the catalog of
  // the version it was installing, and only files that still hold that
  // version's bytes are removed (modified ones conflict).
  void plan_interrupted_leftovers(PackagePlan& top) {
    if (!interrupted_) return;
    for (const auto& e : interrupted_->packages) {
      Url location = e.location.empty() ? top_ : top_.join(e.location);
      std::string key = location.str() + "|" + e.name;
      if (installing_.count(key) || dropping_.count(key)) continue;
      if (behind_link(ctx_, location)) {
        conflict(location, "package '" + e.name + "' left by an interrupted install lies behind a symbolic link");
        continue;
      }
      Url marker = location.join(model::wrapp_file_name(e.name));
      if (ctx_.store(marker).stat(marker)) {
        drop(top, location, e.name);
        continue;
      }
      auto catalog = interrupted_catalog(ctx_, *interrupted_, e.location, e.name);
      if (!catalog) continue;
      dropping_.insert(key);
      model::PackageInfo info;
      info.name = e.name;
      info.version = e.version;
      info.catalog = std::move(*catalog);
      for (const auto& m : find_modifications(ctx_, location, *info.catalog)) {
        if (m.kind == StatusEntry::Kind::kModified) {
          conflict(location.join(m.relative_path),
                   "modified (written by an interrupted install of '" + e.name + "', which this version lacks)");
        }
      }
      top.dropped.push_back({location, marker, std::move(info)});
    }
  }

 private:
  std::string shown(const Url& url) const {
    std::string rel;
    return url.relative_to(top_, &rel) && !rel.empty() ? rel : url.display();
  }

  void conflict(const Url& url, std::string reason) {
    std::lock_guard lock(mu_);
    conflicts_.push_back({shown(url), std::move(reason)});
  }

  // A path whose content is neither the installed version's (o) nor the new
  // one's (n): a conflict, or with install --patch the path is left as it
  // is, and the operation that takes n there (a copy, or a delete when n
  // drops the path) goes into the patch.
  // `from`: where n's bytes are, as the plan's copies read them.
  void content_conflict(const PackagePlan& p, const std::string& path, std::string reason,
                        std::optional<model::CatalogItem> local, const model::CatalogItem* o,
                        const model::CatalogItem* n, std::string from) {
    Url target = p.dest.join(path);
    if (!deferred_) return conflict(target, std::move(reason));
    model::PatchOperation op;
    op.url = target.str();
    model::PatchConflict c;
    c.relative_path = shown(target);
    c.reason = std::move(reason);
    c.resolution = model::ConflictResolution::kForced;  // the operation takes the new version
    c.a = std::move(local);
    if (o) c.baseline = model::make_item(path, target.str(), o->hash, o->size);
    if (n) {
      op.src = std::move(from);
      op.hash = n->hash;
      op.size = n->size;
      c.b = model::make_item(path, op.src, n->hash, n->size);
    } else {
      op.type = model::PatchOperationType::kDelete;
    }
    std::lock_guard lock(mu_);
    deferred_->operations.push_back(std::move(op));
    deferred_->conflicts.push_back(std::move(c));
  }

  // The requested version is what is installed, and every file of it is
  // unmodified (stat, and hash only where the hash cache cannot vouch).
  bool intact(const PackagePlan& p) {
    if (!p.installed || p.installed->version != p.options.version || !p.installed->catalog) return false;
    if (p.interrupted) return false;  // files of the interrupted version may lie beside it
    return find_modifications(ctx_, p.dest, *p.installed->catalog).empty();
  }

  // Subpackages the installed version had at a location the new one does not.
  void plan_dropped(PackagePlan& p) {
    for (const auto& old : p.installed->dependencies) {
      bool kept = std::any_of(p.package.dependencies.begin(), p.package.dependencies.end(), [&](const auto& d) {
        return d.package == old.package && d.relative_destination == old.relative_destination;
      });
      if (kept) continue;
      Url location = old.relative_destination.empty() ? p.dest : p.dest.join(old.relative_destination);
      drop(p, location, old.package);
    }
  }

  // Plans removing an installed package and, first, its own subpackages;
  // never one that the new tree installs at that very place.
  void drop(PackagePlan& p, const Url& location, const std::string& name, size_t depth = 0) {
    if (installing_.count(location.str() + "|" + name)) return;
    Url marker = location.join(model::wrapp_file_name(name));
    check_package_depth(depth, marker);
    // A dropped package reached twice (a dependency on itself) is removed once.
    if (!dropping_.insert(location.str() + "|" + name).second) return;
    if (behind_link(ctx_, location)) {
      return conflict(location, "subpackage '" + name + "' to remove lies behind a symbolic link");
    }
    auto info = read_package_info(ctx_, marker);
    if (!info) return;  // already gone
    for (const auto& sub : info->dependencies) {
      drop(p, sub.relative_destination.empty() ? location : location.join(sub.relative_destination), sub.package,
           depth + 1);
    }
    model::Catalog catalog = info->catalog ? *info->catalog : model::Catalog{};
    for (const auto& m : find_modifications(ctx_, location, catalog)) {
      if (m.kind == StatusEntry::Kind::kModified) {
        conflict(location.join(m.relative_path), "modified (in subpackage '" + name + "', which the new version drops)");
      }
    }
    p.dropped.push_back({location, marker, std::move(*info)});
  }

  void plan_files(PackagePlan& p) {
    const model::Catalog& old_cat = p.installed && p.installed->catalog ? *p.installed->catalog : kEmptyCatalog;
    const model::Catalog& new_cat = p.package.catalog ? *p.package.catalog : kEmptyCatalog;
    const model::Catalog& mid_cat = p.interrupted ? *p.interrupted : kEmptyCatalog;
    auto& store = ctx_.store(p.dest);

    std::vector<PathItems> paths = merge_catalogs(old_cat, new_cat, mid_cat);

    // Folders the new version needs: a symbolic link there must not carry a
    // write outside, and a file there must be one the update deletes.
    std::set<std::string> escaping_dirs;
    std::set<std::string> dirs{""};  // of every path ("" = the destination)
    {
      std::set<std::string> new_dirs;  // of the new version's paths
      // Paths are sorted: a path in the same folder as the one before adds
      // no folder (to either set) that this one did not add already.
      std::string_view previous_parent, previous_new_parent;
      for (const auto& entry : paths) {
        const std::string& path = *entry.path;
        std::string_view parent = parent_dir(path);
        bool all_known = parent == previous_parent && (!entry.n || parent == previous_new_parent);
        previous_parent = parent;
        if (entry.n) previous_new_parent = parent;
        if (all_known) continue;
        for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
          dirs.insert(path.substr(0, slash));
          if (entry.n) new_dirs.insert(path.substr(0, slash));
        }
      }
      for (const auto& d : dirs) {
        Url dir = d.empty() ? p.dest : p.dest.join(d);
        // Beneath the top destination: a subpackage's own folder may be the link.
        std::optional<storage::FileInfo> info;
        if (behind_link(ctx_, dir, &info)) {
          escaping_dirs.insert(d);
          continue;
        }
        if (!new_dirs.count(d)) continue;
        if (info && !info->is_dir && !old_cat.find(d)) {
          conflict(dir, "a file that is not the package's stands where the package needs a folder");
        }
      }
    }

    if (escaping_dirs.count("")) {  // the package's own folder: its marker too would land outside
      conflict(p.marker, "a symbolic link lies on its way");
    }
    // The new version's files looked up at the source: those whose content
    // the update changes (every file of a fresh install). Listed at once
    // where that saves requests.
    if (p.sources) {
      size_t changing = 0;
      for (const auto& e : paths) changing += e.n && (!e.o || e.o->hash.empty() || e.o->hash != e.n->hash);
      p.sources->list_folder_once(ctx_, changing);
      // On a disk: the version's folders, which mirror the destination's.
      p.sources->list_folders_once(ctx_, changing, dirs);
    }
    // One listing of the package's folders answers the stats below.
    std::unique_ptr<ListedTree> relisted;
    if (!p.listed || !std::includes(p.listed_dirs.begin(), p.listed_dirs.end(), dirs.begin(), dirs.end())) {
      relisted = std::make_unique<ListedTree>(ctx_, p.dest, dirs, paths.size());
    }
    const ListedTree& listed = relisted ? *relisted : *p.listed;
    auto& inspect = ctx_.scheduler.sub_job("inspect " + p.dest.display(), "planning", exec::JobKind::kPass);
    inspect.add_total(paths.size(), 0);
    // One entry a path; a source only for the (few) copies: a Url for each
    // path touched a megabyte of fresh pages in an update of 5,000 files.
    std::vector<PlanAction> actions(paths.size());
    std::vector<std::unique_ptr<Url>> copy_from(paths.size());
    std::vector<char> planned(paths.size(), 0);  // not vector<bool>: workers write neighbouring entries
    for_each_transfer(ctx_, paths.size(), [&](size_t i) {
      const std::string& path = *paths[i].path;
      // The destination's URL, made when needed: a fresh install copies
      // every file and never asks for it.
      std::optional<Url> target_url;
      auto target = [&]() -> const Url& {
        if (!target_url) target_url = p.dest.join(path);
        return *target_url;
      };
      inspect.add_done(1, 0);
      if (!escaping_dirs.empty() && escaping_dirs.count(std::string(parent_dir(path)))) {
        return conflict(target(), "a symbolic link lies on its way");
      }
      const model::CatalogItem* o = paths[i].o;
      const model::CatalogItem* n = paths[i].n;
      const model::CatalogItem* k = paths[i].k;
      // The new version's file where its catalog says it is (looked up once,
      // when needed): a copy reads it, and a catalog without size or hash
      // is completed from it.
      std::optional<ItemSources::Found> source;
      bool unreadable = false;
      auto find_source = [&]() -> const ItemSources::Found* {
        if (source || unreadable) return source ? &*source : nullptr;
        try {
          source = p.sources->locate(ctx_, *n);
        } catch (const Cancelled&) {
          throw;
        } catch (const Error& e) {
          source.reset();
          unreadable = true;
          std::lock_guard lock(mu_);
          unreadable_.push_back(ItemFailure::of(e));
        }
        return source ? &*source : nullptr;
      };
      // Where n's bytes are read from, for a deferred conflict's patch
      // (install --patch). Unreadable: the install fails on that anyway.
      auto new_source = [&]() -> std::string {
        const auto* from = find_source();
        return from ? from->url.str() : "";
      };
      auto copy = [&] {
        const auto* from = find_source();
        if (!from) return;
        actions[i] = {PlanAction::Kind::kCopy, path, from->url.str(), from->info.size, n->hash};
        copy_from[i] = std::make_unique<Url>(from->url);
        planned[i] = 1;
      };
      std::optional<storage::FileInfo> info = listed.stat(path);
      if (!info) {
        // The interrupted install deleted the files its version drops.
        bool deleted_by_interrupted = p.interrupted && !k;
        if (o && n && !deleted_by_interrupted) {
          return content_conflict(p, path, "missing (a package file was deleted)", std::nullopt, o, n, new_source());
        }
        if (n) copy();
        return;  // dropped by the new version and already gone
      }
      if (info->is_dir) {
        // Allowed only when the folder holds nothing but files the update
        // deletes (a folder of the old version becomes a file of the new).
        if (!n) return;
        storage::ListOptions lo;
        lo.symlinks = storage::SymlinkPolicy::kSkipOutside;
        for (const auto& e : storage::list_all(store, target(), lo)) {
          std::string inner = path + "/" + e.relative_path;
          if (!old_cat.find(inner) || new_cat.find(inner)) {
            return conflict(target(), "a folder is in the way (it holds '" + inner + "', which is not the package's)");
          }
        }
        {
          std::lock_guard lock(mu_);
          p.folders_replaced.insert(path);
        }
        return copy();
      }
      model::ContentHash current;
      auto current_hash = [&]() -> const model::ContentHash& {
        if (current.empty()) current = hash_object(ctx_, target(), *info, &inspect);
        return current;
      };
      // Whether the file already is the new version's. A catalog that
      // records no hash is completed from the source's bytes.
      auto is_new = [&] {
        if (!n || (n->size && *n->size != info->size)) return false;
        if (!n->hash.empty()) return current_hash() == n->hash;
        const auto* from = find_source();
        return from && from->info.size == info->size &&
               hash_object(ctx_, from->url, from->info, &inspect) == current_hash();
      };
      if (is_new()) {
        actions[i] = {PlanAction::Kind::kKeep, path, "", info->size, current_hash()};
        planned[i] = 1;
        return;
      }
      // The package's own content: the installed version's, or what an
      // interrupted install wrote (a file only that version has: no `o`).
      // What the catalog does not record (a null size or hash) is not
      // compared.
      auto holds = [&](const model::CatalogItem* item) {
        return item && (!item->size || *item->size == info->size) &&
               (item->hash.empty() || current_hash() == item->hash);
      };
      const model::CatalogItem* own = holds(o) ? o : holds(k) ? k : nullptr;
      if (own) {
        if (n) {
          copy();
        } else {
          actions[i] = {PlanAction::Kind::kDelete, path, "", info->size, own->hash};
          planned[i] = 1;
        }
        return;
      }
      if (!o && !k && ignores_.is_ignored(p.location.empty() ? path : p.location + "/" + path)) return copy();
      content_conflict(p, path, o || k ? "modified" : "not part of the package; install would overwrite it",
                       model::make_item(path, target().str(), current, info->size), o, n, n ? new_source() : "");
    });
    inspect.set_finished();
    relisted.reset();
    p.listed.reset();

    p.result.plan.target = p.dest.str();
    // The planned actions, compacted in place and moved whole into the
    // result: no second array of 5,000 actions grown by doubling.
    size_t kept = 0;
    p.copy_from.reserve(p.copy_from.size() +
                        static_cast<size_t>(std::count_if(copy_from.begin(), copy_from.end(),
                                                          [](const auto& from) { return from != nullptr; })));
    for (size_t i = 0; i < paths.size(); ++i) {
      if (!planned[i]) continue;
      if (actions[i].kind == PlanAction::Kind::kCopy && copy_from[i]) {
        p.copy_from.emplace(*paths[i].path, std::move(*copy_from[i]));
      }
      if (kept != i) actions[kept] = std::move(actions[i]);
      ++kept;
    }
    actions.resize(kept);
    if (p.result.plan.actions.empty()) {
      p.result.plan.actions = std::move(actions);
    } else {
      std::move(actions.begin(), actions.end(), std::back_inserter(p.result.plan.actions));
    }
    bool changes = p.result.plan.count(PlanAction::Kind::kCopy) + p.result.plan.count(PlanAction::Kind::kDelete) > 0;
    p.result.no_op = !changes && p.dropped.empty() && p.installed && p.installed->version == p.options.version;
  }

  CommandContext& ctx_;
  Url top_;
  const InstallIntent* interrupted_;
  std::set<std::string> installing_;  // "<destination URL>|<name>" of every package of the new tree
  std::set<std::string> dropping_;    // the same, of every package planned for removal
  std::mutex mu_;
  std::vector<Conflict> conflicts_;
  std::vector<ItemFailure> unreadable_;
  std::optional<model::Patch> deferred_;
  model::IgnoreEvaluator ignores_;
  std::unique_ptr<exec::TaskGroup> preload_;  // last: destroyed (waited for) first
};

// The error for a refused install: the message lists every conflict, and
// the payload carries them as "<path>: <reason>", one each.
[[noreturn]] void fail_with_conflicts(const InstallOptions& opt, const Url& dest, std::vector<Conflict> conflicts) {
  std::sort(conflicts.begin(), conflicts.end(), [](const Conflict& a, const Conflict& b) { return a.path < b.path; });
  std::string out = fmt::format(
      "cannot install '{}' {} into '{}': {} conflicting path(s); nothing was changed. Keep local changes with "
      "'wrapp create', or discard them (wrapp uninstall --force) and install again:",
      opt.package_name, opt.version, dest.display(), conflicts.size());
  std::vector<std::string> payload;
  for (const auto& c : conflicts) {
    payload.push_back(c.path + ": " + c.reason);
    out += "\n  " + payload.back();
  }
  throw FailedCommand(out, ErrorCode::kConflict, std::move(payload));
}

// Removes a dropped subpackage's files and marker, and the folders that
// leaves empty up to (not including) the parent's destination.
void remove_package_files(CommandContext& ctx, const DroppedPackage& d, const Url& parent_dest) {
  std::vector<std::string> rels;
  if (d.info.catalog) {
    for (const auto& item : d.info.catalog->items) {
      if (!d.keep.count(item.relative_path)) rels.push_back(item.relative_path);
    }
  }
  auto& store = ctx.store(d.location);
  for_each_request(ctx, rels.size(), [&](size_t i) { store.remove(d.location.join(rels[i])); }, &store);
  store.remove(d.marker);
  rels.push_back(d.marker.name());
  std::vector<std::string> from_parent;
  for (const auto& rel : rels) {
    std::string r;
    if (d.location.join(rel).relative_to(parent_dest, &r)) from_parent.push_back(r);
  }
  remove_emptied_folders(ctx, parent_dest, from_parent);
  log::info("removed {} {} from {} (dropped by the new version)", d.info.name, d.info.version, d.location.display());
}

void execute(CommandContext& ctx, PackagePlan& p) {
  for (const auto& d : p.dropped) {
    remove_package_files(ctx, d, p.dest);
    p.result.removed_dependencies.push_back(d.marker.str());
  }
  for (auto& dep : p.dependencies) {
    execute(ctx, dep);
    p.result.dependencies.push_back(std::move(dep.result));
  }
  if (p.result.no_op) return;

  auto& store = ctx.store(p.dest);
  Plan& plan = p.result.plan;
  auto& progress = ctx.scheduler.sub_job("install " + p.options.package_name + " " + p.options.version, "copying");
  std::vector<PlanAction*> copies;
  std::vector<std::string> deleted;
  for (auto& a : plan.actions) {
    if (a.kind == PlanAction::Kind::kCopy) copies.push_back(&a);
    if (a.kind == PlanAction::Kind::kDelete) deleted.push_back(a.relative_path);
  }
  progress.add_total(copies.size() + deleted.size(), plan.bytes(PlanAction::Kind::kCopy));
  // Deletes first: a file of the old version may stand where the new one
  // needs a folder (and the other way round).
  for_each_request(ctx, deleted.size(), [&](size_t i) {
    store.remove(p.dest.join(deleted[i]));
    progress.add_done(1, 0);
  }, &store);
  remove_emptied_folders(ctx, p.dest, deleted);
  {
    std::set<std::string> folders;  // created once each, before the copies
    for (const auto* a : copies) {
      for (size_t slash = a->relative_path.find('/'); slash != std::string::npos;
           slash = a->relative_path.find('/', slash + 1)) {
        folders.insert(a->relative_path.substr(0, slash));
      }
    }
    if (!copies.empty()) store.prepare_folders(p.dest, {folders.begin(), folders.end()});
  }
  // A folder of the old version that the new one has as a file: its files
  // were just deleted; empty folders left inside go too. (A folder made at
  // another copy's path since the plan is not removed: that copy fails.)
  for (const auto& path : p.folders_replaced) {
    Url target = p.dest.join(path);
    if (auto info = store.stat(target); info && info->is_dir) {
      remove_empty_folder_tree(ctx, target);
      if (auto still = store.stat(target); still && still->is_dir) {
        fail("'{}' is a folder where the new version has a file, and it still holds entries that are not the "
             "package's (symbolic links, sockets, fifos); remove them and install again",
             target.display());
      }
    }
  }
  storage::WriteOptions replace;
  replace.overwrite = true;  // replaces the installed version's file, checked unmodified in the plan
  if (p.options.link_mode != LinkMode::kCopy) {
    // Links go in batches per folder; what cannot be linked is copied below.
    std::vector<LinkItem> items;
    items.reserve(copies.size());
    for (const auto* a : copies) {
      items.push_back({&p.copy_from.at(a->relative_path), a->relative_path, a->size, &a->hash});
    }
    std::vector<char> linked = link_objects(ctx, p.dest, items, p.options.link_mode, replace, &progress);
    size_t kept = 0;
    for (size_t i = 0; i < copies.size(); ++i) {
      if (!linked[i]) copies[kept++] = copies[i];
    }
    copies.resize(kept);
  }
  std::vector<const Url*> sources;  // looked up once each
  sources.reserve(copies.size());
  for (const auto* a : copies) sources.push_back(&p.copy_from.at(a->relative_path));
  FolderBatches folders(
      ctx, copies.size(), [&](size_t i) -> const Url& { return *sources[i]; }, p.dest,
      [&](size_t i) -> std::string_view { return copies[i]->relative_path; });
  for_each_transfer(ctx, folders.work_runs(), [&](size_t i) {
    PlanAction& a = *copies[i];
    CopyRequest req;
    req.from = *sources[i];
    req.to = p.dest.join(a.relative_path);
    FolderBatches::Use use(folders, i);
    use.apply(req);
    req.size = a.size;
    req.expected_hash = a.hash;
    // Copies are verified against the catalog while the bytes pass: a
    // damaged repository file is refused, never installed and never
    // remembered as intact in the hash cache.
    req.need_hash = true;
    req.trust_hash_cache = true;  // a working copy, not a version: see CopyRequest
    req.owner_writable = true;    // the user's working file, with the package's other mode bits
    req.write = replace;
    // The hash of what was written: the catalog's, or (where it records
    // none) the one computed from the bytes, which the marker records.
    a.hash = copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  }, &store);

  // The marker describes the installed files: each at its relative path
  // (no storage_map), with the size and hash of the bytes installed. The
  // repository's catalog is read no more once the files are copied: it
  // becomes the marker's in place (a copy of 5,000 items was a millisecond,
  // mostly fresh pages).
  model::PackageInfo marker_info = without_catalog(p.package);
  marker_info.repository = p.repo.str();
  marker_info.catalog.emplace();
  p.sources.reset();  // it refers to the catalog
  if (p.package.catalog) {
    std::swap(*marker_info.catalog, *p.package.catalog);
    p.package.catalog.reset();
  }
  model::Catalog& installed = *marker_info.catalog;
  installed.root = p.dest.str();
  installed.storage_map.clear();
  // The plan's actions and the catalog are both in path order (the plan
  // follows merge_catalogs): one walk pairs each item with its keep or
  // copy action.
  const auto& actions = plan.actions;
  size_t next = 0;
  for (auto& item : installed.items) {
    item.set_source_path("");  // the installed file
    while (next < actions.size() && actions[next].relative_path < item.relative_path) ++next;
    if (next < actions.size() && actions[next].relative_path == item.relative_path &&
        actions[next].kind != PlanAction::Kind::kDelete) {
      item.size = actions[next].size;
      if (!actions[next].hash.empty()) item.hash = actions[next].hash;
    }
  }
  progress.set_finished();
  auto& publishing = ctx.scheduler.sub_job("write " + p.marker.display(), "publishing");
  if (ctx.durable) store.sync(p.dest);
  storage::WriteOptions wopts;
  wopts.overwrite = true;
  wopts.durable = ctx.durable;
  write_json(ctx, p.marker, wopts, [&](JsonWriter& w) { marker_info.write(w); });
  publishing.set_finished();
  log::info("installed {} {} into {}", p.options.package_name, p.options.version, p.dest.display());
}

// The results of a plan that is not executed (--dry-run).
InstallResult planned_result(PackagePlan& p) {
  for (const auto& d : p.dropped) p.result.removed_dependencies.push_back(d.marker.str());
  for (auto& dep : p.dependencies) p.result.dependencies.push_back(planned_result(dep));
  return std::move(p.result);
}

}  // namespace

bool InstallResult::unchanged() const {
  return no_op && removed_dependencies.empty() &&
         std::all_of(dependencies.begin(), dependencies.end(), [](const InstallResult& d) { return d.unchanged(); });
}

std::vector<const PlanAction*> InstallResult::all_actions() const {
  std::vector<const PlanAction*> out;
  for (const auto& a : plan.actions) out.push_back(&a);
  for (const auto& d : dependencies) {
    auto more = d.all_actions();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

size_t InstallResult::subpackage_count() const {
  size_t n = dependencies.size();
  for (const auto& d : dependencies) n += d.subpackage_count();
  return n;
}

Plan whole_plan(const InstallResult& result) {
  Plan all;
  all.target = result.plan.target;
  Url top = parse_location(result.plan.target);
  std::function<void(const InstallResult&)> add = [&](const InstallResult& r) {
    std::string prefix;
    parse_location(r.wrapp_file).parent().relative_to(top, &prefix);
    for (auto a : r.plan.actions) {
      if (!prefix.empty()) a.relative_path = prefix + "/" + a.relative_path;
      all.actions.push_back(std::move(a));
    }
    for (const auto& removed : r.removed_dependencies) {
      std::string rel;
      parse_location(removed).relative_to(top, &rel);
      all.actions.push_back({PlanAction::Kind::kDelete, rel + " (subpackage, with its files)", "", 0, {}});
    }
    for (const auto& d : r.dependencies) add(d);
  };
  add(result);
  return all;
}

namespace {

// A file that moves between packages of the tree (into a subpackage, out of
// one) is deleted by the package that drops it and kept by the one that now
// holds it: the delete must not happen. Paths are compared as URLs.
void keep_files_held_elsewhere(PackagePlan& root) {
  // Most installs delete nothing: then there is nothing to keep, and no set
  // of every file's URL to build.
  std::function<bool(const PackagePlan&)> deletes = [&](const PackagePlan& p) {
    auto is_delete = [](const PlanAction& a) { return a.kind == PlanAction::Kind::kDelete; };
    bool own = !p.dropped.empty() ||
               std::any_of(p.result.plan.actions.begin(), p.result.plan.actions.end(), is_delete);
    return own || std::any_of(p.dependencies.begin(), p.dependencies.end(), deletes);
  };
  if (!deletes(root)) return;
  std::unordered_set<std::string> held;
  std::function<void(const PackagePlan&)> collect = [&](const PackagePlan& p) {
    const model::PackageInfo& now = p.result.no_op ? *p.installed : p.package;
    if (now.catalog) {
      for (const auto& item : now.catalog->items) held.insert(p.dest.join(item.relative_path).str());
    }
    for (const auto& d : p.dependencies) collect(d);
  };
  collect(root);
  std::function<void(PackagePlan&)> prune = [&](PackagePlan& p) {
    std::erase_if(p.result.plan.actions, [&](const PlanAction& a) {
      return a.kind == PlanAction::Kind::kDelete && held.count(p.dest.join(a.relative_path).str());
    });
    for (auto& d : p.dropped) {
      if (!d.info.catalog) continue;
      for (const auto& item : d.info.catalog->items) {
        if (held.count(d.location.join(item.relative_path).str())) d.keep.insert(item.relative_path);
      }
    }
    for (auto& d : p.dependencies) prune(d);
  };
  prune(root);
}

// install --patch: copies, then deletes, each by URL; conflicts by path.
void sort_patch(model::Patch& patch) {
  std::sort(patch.operations.begin(), patch.operations.end(), [](const auto& x, const auto& y) {
    return std::pair(model::execution_phase(x.type), x.url) < std::pair(model::execution_phase(y.type), y.url);
  });
  std::sort(patch.conflicts.begin(), patch.conflicts.end(),
            [](const auto& x, const auto& y) { return x.relative_path < y.relative_path; });
}

// What install is about to change, for the lock: a later run reads it if
// this one is killed.
void collect_intent(const PackagePlan& p, InstallIntent& intent) {
  if (!p.result.no_op) intent.packages.push_back({p.location, p.options.package_name, p.options.version, p.repo.str()});
  for (const auto& d : p.dependencies) collect_intent(d, intent);
}

}  // namespace

namespace {

// Runs the install (the lock is held), and leaves no folder behind when the
// destination did not exist and nothing was installed.
InstallResult install_locked(CommandContext& ctx, const InstallOptions& opt, const Url& top,
                             std::unique_ptr<storage::Lock>& lock, const std::optional<InstallIntent>& interrupted);

}  // namespace

namespace {

// The same file as `before`: size, times, inode and etag unchanged (a
// marker is replaced, never rewritten in place, so a new one differs).
bool same_file(const std::optional<storage::FileInfo>& before, const std::optional<storage::FileInfo>& after) {
  return before && after && before->size == after->size && before->mtime_ns == after->mtime_ns &&
         before->ctime_ns == after->ctime_ns && before->inode == after->inode && before->etag == after->etag;
}

// A re-install of what is installed, unmodified, changes nothing, and is
// found without the install lock, whose file made and removed in the
// destination was most of what such a run wrote (and what failed on a
// read-only one). Planned without the lock only when no install holds or
// left one (no lock file) and the marker names this version; the answer
// counts only if no install began meanwhile: the lock file still absent and
// the marker the same file. Otherwise (or when anything would change)
// nullopt: the install is planned again under the lock. Like status, a
// reader: every file it checked was as the marker says.
std::optional<InstallResult> unlocked_no_op(CommandContext& ctx, const InstallOptions& opt, const Url& top) {
  if (opt.patch_file) return std::nullopt;  // writes its (empty) patch file
  auto& store = ctx.store(top);
  Url marker = top.join(model::wrapp_file_name(opt.package_name));
  Url lock = install_lock_url(top);
  std::optional<storage::FileInfo> before;
  InstallResult result;
  try {
    before = store.stat(marker);
    if (!before || !before->is_file() || store.stat(lock)) return std::nullopt;
    // The head only (one ranged read in an object store): the version
    // comes before the catalog in every file wrapp writes.
    auto reader = store.open_read(marker);
    if (!reader) return std::nullopt;
    std::string head(16 * 1024, '\0');
    head.resize(reader->read_at(0, head.data(), head.size()));
    reader.reset();
    if (model::PackageInfo::peek_version(head) != opt.version) return std::nullopt;
    Planner planner(ctx, top, nullptr, false);
    planner.set_ignore_rules(load_ignore_rules(ctx, top, opt.ignore_file, opt.ignore_predicate));
    std::set<std::string> visiting;
    PackagePlan plan = planner.plan(opt, visiting);
    planner.plan_drops(plan);
    if (!planner.conflicts().empty() || !planner.unreadable().empty()) return std::nullopt;
    result = planned_result(plan);
    if (!result.unchanged()) return std::nullopt;
    if (!same_file(before, store.stat(marker)) || store.stat(lock)) return std::nullopt;
  } catch (const Cancelled&) {
    throw;
  } catch (const Error&) {
    return std::nullopt;  // reported by the install under the lock, as always
  }
  return result;
}

// The install itself, without the dependency file.
InstallResult install_into(CommandContext& ctx, const InstallOptions& opt) {
  Url top = parse_location(opt.destination);
  refuse_inside_packages(top, "install destination");
  auto& store = ctx.store(top);
  auto existing = store.stat(top);
  if (existing && !existing->is_dir) fail_with(ErrorCode::kBadInput, "destination '{}' is a file", top.display());
  if (existing) {
    if (auto unchanged = unlocked_no_op(ctx, opt, top)) return std::move(*unchanged);
  }
  std::optional<InstallIntent> interrupted;
  auto lock = take_install_lock(ctx, top, "install " + opt.package_name + " " + opt.version, &interrupted);
  try {
    return install_locked(ctx, opt, top, lock, interrupted);
  } catch (...) {
    if (!lock) throw;
    if (interrupted || !lock->holder().intent.empty()) {
      // Files may have changed: the intent stays for the next run, which
      // takes over at once and finishes, goes back or uninstalls cleanly.
      lock->abandon();
      throw;
    }
    lock->release();
    // The lock made the folder; a failed first install leaves none. Removed
    // through its parent, and only if empty.
    if (!existing) store.remove_folder(top.parent().join(top.name()));
    throw;
  }
}

}  // namespace

InstallResult install(CommandContext& ctx, const InstallOptions& given) {
  InstallOptions opt = given;
  if (!opt.repo) opt.repo = default_repository(ctx, parse_location(opt.destination)).str();
  if (!opt.dependency_file) return install_into(ctx, opt);
  // Checked before anything changes: the file is a package file, the
  // destination lies in its folder, and it records the package nowhere else.
  Url file = parse_location(*opt.dependency_file);
  auto recorder = require_package_info(ctx, file, "dependency file");
  model::Dependency dep{opt.package_name, opt.version, parse_location(*opt.repo).str(),
                        relative_destination_in(file, parse_location(opt.destination))};
  check_can_record(recorder, file, dep);
  InstallResult result = install_into(ctx, opt);
  result.dependency_file = file.str();
  if (ctx.dry_run) {
    result.dependency_recorded =
        std::find(recorder.dependencies.begin(), recorder.dependencies.end(), dep) == recorder.dependencies.end();
  } else {
    result.dependency_recorded = record_dependency(ctx, file, dep);
  }
  return result;
}

namespace {

InstallResult install_locked(CommandContext& ctx, const InstallOptions& opt, const Url& top,
                             std::unique_ptr<storage::Lock>& lock, const std::optional<InstallIntent>& interrupted) {
  Planner planner(ctx, top, interrupted ? &*interrupted : nullptr, opt.patch_file.has_value());
  planner.set_ignore_rules(load_ignore_rules(ctx, top, opt.ignore_file, opt.ignore_predicate));
  std::set<std::string> visiting;
  PackagePlan plan = planner.plan(opt, visiting);
  planner.plan_drops(plan);
  planner.plan_interrupted_leftovers(plan);
  keep_files_held_elsewhere(plan);
  if (!planner.conflicts().empty()) fail_with_conflicts(opt, top, std::move(planner.conflicts()));
  if (!planner.unreadable().empty()) {
    fail_unreadable(fmt::format("cannot install '{}' {} into '{}'", opt.package_name, opt.version, top.display()),
                    std::move(planner.unreadable()));
  }
  if (auto& patch = planner.deferred()) {
    sort_patch(*patch);
    // Written before anything changes: a patch file that cannot be written
    // leaves the destination as it was.
    if (!ctx.dry_run) write_patch_file(ctx, *patch, parse_location(*opt.patch_file), true);
    plan.result.patch = std::move(*patch);
  }
  if (ctx.dry_run) return planned_result(plan);
  if (lock) {
    InstallIntent intent;
    collect_intent(plan, intent);
    // The interrupted run's entries stay until this one succeeds: its files
    // are still to be recognised if this run is killed too.
    if (interrupted) {
      for (const auto& e : interrupted->packages) {
        if (!intent.find(e.location, e.name)) intent.packages.push_back(e);
      }
    }
    // A plan that changes nothing (a re-install) leaves the lock as it was
    // taken: a run killed now leaves nothing to recover, and the rewrite
    // would cost a file and a rename in the destination.
    if (!intent.packages.empty() || !lock->holder().intent.empty()) lock->set_intent(intent.to_json());
  }
  execute(ctx, plan);
  if (lock) {
    lock->check();
    lock->release();
  }
  return std::move(plan.result);
}

}  // namespace

nlohmann::json to_json(const InstallResult& r) {
  nlohmann::json dependencies = nlohmann::json::array();
  for (const auto& d : r.dependencies) dependencies.push_back(to_json(d));
  return {{"package_name", r.package_name},
          {"version", r.version},
          {"wrapp_file", r.wrapp_file},
          {"no_op", r.no_op},
          {"plan", r.plan.to_json()},
          {"dependencies", std::move(dependencies)},
          {"removed_dependencies", r.removed_dependencies},
          {"patch", r.patch ? to_json(*r.patch) : nlohmann::json()},
          {"dependency_file", r.dependency_file},
          {"dependency_recorded", r.dependency_recorded}};
}

}  // namespace wrapp::commands
