#include "commands/create.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <unordered_map>

#include "commands/catalog.h"
#include "commands/dependency_check.h"
#include "commands/file_ops.h"
#include "commands/folder_batches.h"
#include "commands/list_repo.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/status.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct SourceFile {
  std::string relative_path;
  Url url;
  storage::FileInfo info;
  model::ContentHash hash;  // known (catalog, hash cache), or empty: computed while copying
  std::shared_ptr<const model::ItemExtra> extra;  // a catalog item's kept members (tags...)
};

struct Collected {
  std::vector<SourceFile> files;
  std::vector<model::Dependency> dependencies;
  std::vector<Url> dependency_files;  // the package file each dependency was found as
};

// Nested .wrapp files mark subpackages: record each as a dependency and leave
// its files out of this package. A marker at the root with this package's own
// name is the re-publish loop (install, edit, create the next version): it is
// left out and nothing else changes.
Collected collect_tree(CommandContext& ctx, const CreateOptions& opt, const Url& src, const Url& repo) {
  auto ignores = load_ignore_rules(ctx, src, opt.ignore_file, opt.ignore_predicate);
  // A repository kept inside the tree it packages is not content.
  std::vector<std::string> skip;
  for (const char* folder : {".packages", ".wrapp-locks"}) {
    if (std::string inside; repo.join(folder).relative_to(src, &inside)) skip.push_back(inside);
  }
  auto entries = walk_tree(ctx, src, ignores, storage::SymlinkPolicy::kRefuseOutside, skip);
  check_packable_names(entries);
  std::set<std::string> excluded;
  Collected out;
  // Every package marker in the tree; the one at the root with this
  // package's own name is the re-publish loop and simply left out.
  struct Marker {
    std::string dir;
    Url url;
    model::PackageInfo info;
  };
  std::vector<Marker> markers;
  for (const auto& e : entries) {
    std::string_view base = base_name(e.relative_path);
    if (!is_wrapp_file_name(base)) continue;
    excluded.insert(e.relative_path);
    std::string dir(parent_dir(e.relative_path));
    if (dir.empty() && base == model::wrapp_file_name(opt.package_name)) continue;
    Url url = src.join(e.relative_path);
    auto info = require_package_info(ctx, url, "package file");
    if (!info.catalog) {
      fail("subpackage '{}' at '{}' has no catalog, so its files cannot be told apart from this package's; "
           "install it from a repository or recreate it with 'wrapp new --catalog'",
           info.name, url.display());
    }
    markers.push_back({dir, url, std::move(info)});
  }
  // A marker that another subpackage lists as its own dependency (same name,
  // same place) is installed by that one: it is not a direct dependency.
  auto covering = [&](const Marker& m) -> std::pair<const Marker*, const model::Dependency*> {
    for (const auto& other : markers) {
      if (&other == &m) continue;
      for (const auto& d : other.info.dependencies) {
        std::string at = other.dir.empty()                ? d.relative_destination
                         : d.relative_destination.empty() ? other.dir
                                                          : other.dir + "/" + d.relative_destination;
        if (d.package == m.info.name && at == m.dir) return {&other, &d};
      }
    }
    return {nullptr, nullptr};
  };
  for (const auto& m : markers) {
    for (const auto& item : m.info.catalog->items) {
      excluded.insert(m.dir.empty() ? item.relative_path : m.dir + "/" + item.relative_path);
    }
    if (!opt.skip_dirty_check) {
      // Checked where the files are, not in the walk: the parent's ignore
      // rules may hide a subpackage file, which does not make it missing.
      auto changes = find_modifications(ctx, m.dir.empty() ? src : src.join(m.dir), *m.info.catalog);
      if (!changes.empty()) {
        std::string list;
        for (const auto& c : changes) {
          list += fmt::format("\n  {}{} ({})", m.dir.empty() ? "" : m.dir + "/", c.relative_path,
                              status_kind_name(c.kind));
        }
        fail("subpackage '{}' at '{}' is modified; create a new version of it first, or pass --skip-dirty-check:{}",
             m.info.name, m.url.display(), list);
      }
    }
    auto [owner, dep] = covering(m);
    if (owner) {
      if (dep->version != m.info.version) {
        fail("subpackage '{}' at '{}' is version {}, but '{}' {} (at '{}') records version {}; create a new "
             "version of '{}' first",
             m.info.name, m.url.display(), m.info.version, owner->info.name, owner->info.version,
             owner->dir.empty() ? "." : owner->dir, dep->version, owner->info.name);
      }
      continue;  // installed by its owner
    }
    out.dependencies.push_back({m.info.name, m.info.version, m.info.repository.value_or(""), m.dir});
    out.dependency_files.push_back(m.url);
  }
  for (const auto& e : entries) {
    if (excluded.count(e.relative_path)) continue;
    SourceFile f{e.relative_path, src.join(e.relative_path), e.info, ""};
    if (ctx.hash_cache && ctx.store(src).features().stable_identity) {
      if (auto hit = ctx.hash_cache->lookup(f.url.path(), stamp_of(e.info))) f.hash = *hit;
    }
    out.files.push_back(std::move(f));
  }
  return out;
}

// --catalog: the source is a catalog file; its items say where the bytes are
// and what they must hash to (verified while copying).
Collected collect_catalog(CommandContext& ctx, const Url& catalog_url, const std::string& package_name, std::string* root) {
  auto catalog = load_catalog_file(ctx, catalog_url.str());
  *root = catalog.root.empty() ? catalog_url.str() : catalog.root;
  check_no_marker_item(catalog, package_name, catalog_url.display());
  Collected out;
  for (const auto& item : catalog.items) {
    Url from = parse_location(catalog.fetch_url(item));
    auto info = ctx.store(from).stat(from);
    if (!info || info->is_dir) fail("'{}' listed in catalog '{}' not found", from.display(), catalog_url.display());
    if (item.size && *item.size != info->size) {
      fail("'{}' has {} bytes but catalog '{}' records {}", from.display(), info->size, catalog_url.display(),
           *item.size);
    }
    out.files.push_back({item.relative_path, from, *info, item.hash, item.kept_members()});
  }
  return out;
}

// Refuses subpackages the new version could not install, naming their
// package files: one that records no repository is installed from the
// version's own repository, which must hold it (a `wrapp new --catalog` file
// that was never published has none); with --check-subpackage, every
// version of the dependency closure must be where it is recorded.
void check_subpackages_install(CommandContext& ctx, const Url& repo, const Collected& collected, bool all) {
  std::string problems;
  std::vector<std::string> payload;
  for (size_t i = 0; i < collected.dependencies.size(); ++i) {
    const auto& dep = collected.dependencies[i];
    if (!all && !dep.repository.empty()) continue;
    for (const auto& u : unresolved_dependencies(ctx, repo, {dep}, all)) {
      std::string line = fmt::format("{}: package '{}' {} ", collected.dependency_files[i].display(),
                                     u.dependency.package, u.dependency.version);
      if (u.needed_by.empty() && dep.repository.empty() && u.error.empty()) {
        line += fmt::format("records no repository, and '{}' does not have that version", repo.display());
      } else if (u.error.empty()) {
        line += fmt::format("not found in repository '{}'", u.repository);
      } else {
        line += fmt::format("in repository '{}' cannot be read ({})", u.repository, u.error);
      }
      if (!u.needed_by.empty()) line += fmt::format(", which '{}' depends on", u.needed_by);
      payload.push_back(line);
      problems += "\n  " + line;
    }
  }
  if (problems.empty()) return;
  throw FailedCommand(fmt::format("these subpackages could not be installed from the new version; install them from "
                                  "a repository, or create them in '{}' first, and run create again:{}",
                                  repo.display(), problems),
                      ErrorCode::kNotFound, std::move(payload));
}

// What clone_verified did.
enum class Clone {
  kDone,        // `to` holds a verified clone
  kRefused,     // the store cannot clone here (a file system without reflinks)
  kNotIntact,   // the earlier file does not hold its recorded bytes
};

// Clones `from` (a file of an earlier version) to `to` copy-on-write, then
// reads the clone back. Anything but kDone leaves nothing at `to`.
Clone clone_verified(CommandContext& ctx, const Url& from, const Url& to, const model::ContentHash& hash,
                     uint32_t mode) {
  auto& store = ctx.store(to);
  storage::WriteOptions wopts;
  wopts.in_place = true;  // unpublished, and the version's lock keeps other writers out
  wopts.read_only = true;
  wopts.mode = mode;
  if (!store.link(from, to, storage::LinkMode::kReflink, wopts)) return Clone::kRefused;
  CommandContext verify = ctx;
  verify.hash_cache = nullptr;  // the bytes themselves, never a remembered hash
  auto info = store.stat(to);
  if (info && info->is_file() && hash_object(verify, to, *info, nullptr) == hash) return Clone::kDone;
  log::warn("'{}' does not hold the bytes its version records; copying from the source instead", from.display());
  store.remove(to);
  return Clone::kNotIntact;
}

// The path of a repository file's URL below the repository (plans carry
// URLs as text; writes and clones resolve them beneath the repository).
std::string relative_in_repo(const Url& repo, const std::string& url_text) {
  std::string rel;
  if (!parse_location(url_text).relative_to(repo, &rel)) fail("'{}' is not in repository '{}'", url_text, repo.display());
  return rel;
}

}  // namespace

// The version whose files the new one most likely shares: the one installed
// in the source folder (the re-publish loop), else the newest in the
// repository. nullopt for the first version.
std::optional<model::PackageInfo> find_base_version(CommandContext& ctx, const Url& repo, const std::string& name, const Url& src,
                                                    bool tree_source) {
  std::vector<std::string> versions;
  if (ctx.store(repo).stat(repo)) {
    for (const auto& p : repo_packages(ctx, repo)) {
      if (p.name == name) versions = p.versions;
    }
  }
  if (versions.empty()) return std::nullopt;
  std::string base = versions.back();
  if (tree_source) {
    if (auto installed = read_package_info(ctx, src.join(model::wrapp_file_name(name)))) {
      if (std::find(versions.begin(), versions.end(), installed->version) != versions.end()) base = installed->version;
    }
  }
  return require_repo_package(ctx, repo, name, base);
}

CreateResult create(CommandContext& ctx, const CreateOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  Url src = parse_location(opt.source);
  Url repo = opt.repo ? parse_location(*opt.repo) : default_repository(ctx, opt.catalog ? src.parent() : src);

  // The lock first, then the marker: a version another writer is writing,
  // or has published, is never touched.
  VersionPublisher publisher(ctx, repo, opt.package_name, opt.version,
                             "create " + opt.package_name + " " + opt.version);
  const Url& version = publisher.version_folder();
  if (publisher.published()) {
    fail_with(ErrorCode::kAlreadyExists,
              "package '{}' version '{}' already exists in repository '{}'; versions are immutable, use a new "
              "version",
              opt.package_name, opt.version, repo.display());
  }
  auto& dst_store = ctx.store(version);
  std::string source_root;
  Collected collected;
  if (opt.catalog) {
    collected = collect_catalog(ctx, src, opt.package_name, &source_root);
  } else {
    collected = collect_tree(ctx, opt, src, repo);
    source_root = src.str();
    check_subpackages_install(ctx, repo, collected, opt.check_subpackage);
  }

  // Files whose hash is already known (hash cache) and that an earlier
  // version holds are cloned from it (copy-on-write) instead of copied from
  // the source, where the file system can clone; the clone is read back and
  // verified, since the earlier version's file may have been damaged (else
  // the file is copied from the source after all). Never a hard link: one
  // in-place edit would then damage every version sharing the inode.
  std::unordered_map<std::string, std::string> earlier;  // hash -> URL of the file in the earlier version
  if (!opt.catalog && ctx.hash_cache && dst_store.features().reflink) {
    if (auto base = find_base_version(ctx, repo, opt.package_name, src, true); base && base->catalog) {
      Url base_version = version_url(repo, opt.package_name, base->version);
      for (const auto& item : base->catalog->items) {
        if (!item.hash.empty()) earlier.emplace(item.hash.str(), base_version.join(item.relative_path).str());
      }
    }
  }
  CreateResult result;
  result.plan.target = version.str();
  for (const auto& f : collected.files) {
    auto it = f.hash.empty() ? earlier.end() : earlier.find(f.hash.str());
    if (it != earlier.end()) {
      result.plan.actions.push_back({PlanAction::Kind::kReuse, f.relative_path, it->second, f.info.size, f.hash});
    } else {
      result.plan.actions.push_back({PlanAction::Kind::kCopy, f.relative_path, f.url.str(), f.info.size, f.hash});
    }
  }
  auto& package = result.package;
  package.name = opt.package_name;
  package.version = opt.version;
  package.source = source_root;
  package.repository = repo.str();
  package.dependencies = collected.dependencies;
  package.catalog.emplace();
  package.catalog->root = version.str();
  if (ctx.dry_run) return result;

  auto& progress = ctx.scheduler.sub_job("create " + opt.package_name + " " + opt.version, "copying");
  uint64_t total_bytes = 0;
  for (const auto& f : collected.files) total_bytes += f.info.size;
  progress.add_total(collected.files.size(), total_bytes);

  // What an interrupted create left: kept where its bytes verify against a
  // hash known for the source (the hash cache), replaced otherwise.
  std::vector<VersionPublisher::PlannedFile> planned;
  planned.reserve(collected.files.size());
  for (const auto& f : collected.files) planned.push_back({f.relative_path, f.info.size, f.hash});
  std::vector<bool> done = publisher.resume(planned);
  {
    // Every folder once, before the copies: otherwise each first file of a
    // folder finds it missing, and concurrent workers race to create it.
    std::set<std::string> folders;
    for (const auto& f : collected.files) {
      for (size_t slash = f.relative_path.find('/'); slash != std::string::npos;
           slash = f.relative_path.find('/', slash + 1)) {
        folders.insert(f.relative_path.substr(0, slash));
      }
    }
    dst_store.prepare_folders(version, {folders.begin(), folders.end()});
  }
  auto& items = package.catalog->items;
  items.resize(collected.files.size());
  FolderBatches folders(
      ctx, collected.files.size(), [&](size_t i) -> const Url& { return collected.files[i].url; }, version,
      [&](size_t i) -> std::string_view { return collected.files[i].relative_path; });
  // Set by the first clone the file system refuses: it refuses them all
  // (ext4, tmpfs), and each refusal cost a file made and removed and both
  // paths resolved: a create of 5,000 files, 50 of them changed, took
  // 0.15-0.21 s instead of 0.09-0.13 s on ext4 (docs/performance.md).
  std::atomic<bool> clones_refused{false};
  for_each_transfer(ctx, folders.work_runs(), [&](size_t i) {
    const auto& f = collected.files[i];
    FolderBatches::Use use(folders, i);
    if (done[i]) {
      items[i] = {f.relative_path, f.hash, f.info.size, f.extra};
      progress.add_done(1, f.info.size);
      return;
    }
    const PlanAction& action = result.plan.actions[i];
    Url to = version.join(f.relative_path);
    if (action.kind == PlanAction::Kind::kReuse && !clones_refused.load(std::memory_order_relaxed)) {
      Clone clone = clone_verified(ctx, repo.join(relative_in_repo(repo, action.from)), to, f.hash, f.info.mode);
      if (clone == Clone::kDone) {
        items[i] = {f.relative_path, f.hash, f.info.size, f.extra};
        progress.add_done(1, f.info.size);
        return;
      }
      if (clone == Clone::kRefused && !clones_refused.exchange(true)) {
        log::info("'{}' cannot clone files (no copy-on-write on this file system): the unchanged files are copied "
                  "from the source",
                  version.display());
      }
    }
    CopyRequest req;
    req.from = f.url;
    req.to = to;
    use.apply(req);
    // A catalog's hashes were computed earlier: the bytes are verified while
    // they pass. From a folder, the hash is computed from the very bytes
    // written, never taken from the hash cache: a file rewritten since it was
    // cached must not be published under its old hash.
    if (opt.catalog) req.expected_hash = f.hash;
    req.size = f.info.size;
    req.need_hash = true;
    req.write.in_place = true;  // unpublished, and the version's lock keeps other writers out
    req.write.overwrite = false;
    req.write.read_only = true;  // frozen: protects hard-linked installs too
    req.write.mode = f.info.mode;
    // Not remembered: every version would add an entry per file to the
    // cache.
    req.remember_target_hash = false;
    storage::FileInfo source_after;
    req.source_after = &source_after;
    model::ContentHash hash = copy_object(ctx, req, &progress);
    if (f.hash.empty() && !opt.catalog && ctx.hash_cache &&
        ctx.store(f.url).features().stable_identity) {
      // Remember the source's hash for the next create of this tree, if the
      // source still is what was copied.
      if (stamp_of(source_after) == stamp_of(f.info)) {
        ctx.hash_cache->insert(f.url.path(), stamp_of(f.info), hash);
      }
    }
    items[i] = {f.relative_path, hash, f.info.size, f.extra};  // source: root/relative_path
    progress.add_done(1, 0);
  }, &dst_store);
  progress.set_finished();
  package.catalog->sort_and_check(src.display());
  publisher.publish(package);
  result.wrapp_file = publisher.marker().str();
  log::info("created {} {} in {}: {} files", opt.package_name, opt.version, repo.display(),
            package.catalog->items.size());
  return result;
}

nlohmann::json to_json(const CreateResult& r) {
  return {{"wrapp_file", r.wrapp_file}, {"plan", r.plan.to_json()},
          {"package", nlohmann::json::parse(r.package.serialize())}};
}

}  // namespace wrapp::commands
