#include "commands/mirror.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/folder_batches.h"
#include "commands/item_source.h"
#include "commands/package_tree.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

// The same content as far as each side records it: a destination written
// from a source whose catalog has nulls records what was verified.
bool same_catalog(const model::Catalog& a, const model::Catalog& b) {
  if (a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (a.items[i].relative_path != b.items[i].relative_path || !a.items[i].same_known_content(b.items[i])) {
      return false;
    }
  }
  return true;
}

// Where each file of the source version is, per catalog item (item_source.h:
// a redirect package's files lie in another repository).
using SourceFiles = std::vector<ItemSources::Found>;

// One action per catalog item, in catalog order: keep where `verified(i)`,
// else copy from where the source's file is.
void plan_keep_or_copy(const model::Catalog& catalog, const std::function<bool(size_t)>& verified,
                       const SourceFiles& files, Plan& plan) {
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    const auto& item = catalog.items[i];
    if (verified(i)) {
      uint64_t size = item.size ? *item.size : files[i].info.size;
      plan.actions.push_back({PlanAction::Kind::kKeep, item.relative_path, "", size, item.hash});
    } else {
      plan.actions.push_back(
          {PlanAction::Kind::kCopy, item.relative_path, files[i].url.str(), files[i].info.size, item.hash});
    }
  }
}

// Copies the plan's kCopy actions (one action per catalog item) from the
// source's files, verifying every byte against the catalog while it
// passes; a copy whose catalog records no hash gets that of the bytes.
// `replace` publishes each file atomically over a damaged one (a new
// object: installs hard-linked to the damaged file keep theirs); otherwise
// files are written in place into the unpublished folder.
void copy_files(CommandContext& ctx, const std::string& job_name, Plan& plan, const SourceFiles& files,
                const Url& dst_version, bool replace) {
  std::vector<size_t> copies;
  for (size_t i = 0; i < plan.actions.size(); ++i) {
    auto kind = plan.actions[i].kind;
    if (kind == PlanAction::Kind::kCopy || kind == PlanAction::Kind::kReuse) copies.push_back(i);
  }
  auto& progress = ctx.scheduler.sub_job(job_name, "copying");
  progress.add_total(copies.size(), plan.bytes(PlanAction::Kind::kCopy) + plan.bytes(PlanAction::Kind::kReuse));
  FolderBatches folders(
      ctx, copies.size(), [&](size_t c) -> const Url& { return files[copies[c]].url; }, dst_version,
      [&](size_t c) -> std::string_view { return plan.actions[copies[c]].relative_path; });
  for_each_transfer(ctx, folders.work_runs(), [&](size_t c) {
    PlanAction& a = plan.actions[copies[c]];
    FolderBatches::Use use(folders, c);
    CopyRequest req;
    req.from = a.kind == PlanAction::Kind::kReuse ? parse_location(a.from) : files[copies[c]].url;
    req.to = dst_version.join(a.relative_path);
    use.apply(req);  // a reuse reads another folder: by URL
    req.size = a.size;
    req.expected_hash = a.hash;
    req.need_hash = true;  // verify the bytes against the catalog while they pass
    req.write.overwrite = replace;
    req.write.in_place = !replace;  // unpublished, and the version's lock keeps other writers out
    req.remember_target_hash = false;  // see create: the cache would grow by a file per version
    req.write.read_only = true;
    if (a.kind == PlanAction::Kind::kReuse) {
      // From the template version, in the destination store. Its file may
      // have been damaged since it was published: then from the source.
      try {
        copy_object(ctx, req, &progress);
        progress.add_done(1, 0);
        return;
      } catch (const FailedCommand& e) {
        log::warn("{}; copying from the source instead", e.what());
        ctx.store(req.to).remove(req.to);
      }
      req.from = files[copies[c]].url;
      use.apply(req);
    }
    a.hash = copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  }, &ctx.store(dst_version));
  progress.set_finished();
}

// --resume over a published version: verify every file against what the
// published catalog records, and replace those that are missing or damaged
// from the source (whose bytes verify), looked for where the source's
// catalog says.
void repair(CommandContext& ctx, const model::Catalog& published, const model::Catalog& catalog,
            ItemSources& sources, const Url& dst_version, MirrorResult& result) {
  auto& store = ctx.store(dst_version);
  CommandContext verify = ctx;
  verify.hash_cache = nullptr;  // a repair reads the bytes
  auto& job = ctx.scheduler.sub_job("verify " + dst_version.display(), "verifying", exec::JobKind::kPass);
  job.add_total(published.items.size(), published.total_size());
  std::vector<char> good(published.items.size(), 0);
  for_each_transfer(ctx, published.items.size(), [&](size_t i) {
    const auto& item = published.items[i];
    Url to = dst_version.join(item.relative_path);
    auto info = store.stat(to);
    if (info && info->is_file() && (!item.size || *item.size == info->size) &&
        (item.hash.empty() || hash_object(verify, to, *info, &job) == item.hash)) {
      good[i] = 1;
    }
    job.add_done(1, 0);
  });
  job.set_finished();
  // Only the files to replace are looked for at the source.
  SourceFiles files(catalog.items.size());
  model::Catalog needed;
  std::vector<size_t> where;
  for (size_t i = 0; i < good.size(); ++i) {
    if (good[i]) continue;
    needed.items.push_back(catalog.items[i]);
    where.push_back(i);
  }
  auto found = locate_all(ctx, sources, needed,
                          fmt::format("cannot repair '{}' {} in '{}'", result.package_name, result.version,
                                      dst_version.display()));
  for (size_t k = 0; k < where.size(); ++k) files[where[k]] = std::move(found[k]);
  plan_keep_or_copy(published, [&](size_t i) { return good[i] != 0; }, files, result.plan);
  size_t bad = where.size();
  result.no_op = bad == 0;
  if (ctx.dry_run || bad == 0) return;
  for (const auto& a : result.plan.actions) {
    if (a.kind != PlanAction::Kind::kCopy) continue;
    Url to = dst_version.join(a.relative_path);
    // A link or folder where the file belongs is removed first (never
    // followed); a damaged file is replaced atomically.
    if (auto info = store.stat(to); info && !info->is_file()) {
      if (info->is_dir) {
        remove_empty_folder_tree(ctx, to);
      } else {
        store.remove(to);
      }
    }
  }
  copy_files(ctx, "repair " + dst_version.display(), result.plan, files, dst_version, /*replace=*/true);
  log::warn("repaired {} damaged or missing file(s) of {} {} in {}", bad, result.package_name, result.version,
            dst_version.display());
}

// The files of version `template_version` of the package in the destination
// repository, by content hash (the first file of each content).
std::unordered_map<std::string, std::string> template_files(CommandContext& ctx, const Url& dst_repo,
                                                            const std::string& name,
                                                            const std::string& template_version) {
  Url marker;
  auto tpl = require_repo_package(ctx, dst_repo, name, template_version, &marker);
  std::unordered_map<std::string, std::string> by_hash;
  if (!tpl.catalog) return by_hash;
  // Where each file is, by the readers' rule (item_source.h): a template
  // that is not there after all is copied from the source instead.
  ItemSources sources(*tpl.catalog, marker, fmt::format("package '{}' {}", name, template_version));
  for (const auto& item : tpl.catalog->items) {
    if (!item.hash.empty()) by_hash.emplace(item.hash.str(), sources.candidates(item).front().str());
  }
  return by_hash;
}

// What the plan does with each item the destination does not hold yet:
// reuse a template file of the same content, else copy from the source.
void use_template(const std::unordered_map<std::string, std::string>& by_hash, Plan& plan) {
  if (by_hash.empty()) return;
  for (auto& a : plan.actions) {
    if (a.kind != PlanAction::Kind::kCopy || a.hash.empty()) continue;
    auto it = by_hash.find(a.hash.str());
    if (it == by_hash.end()) continue;
    a.kind = PlanAction::Kind::kReuse;
    a.source_fallback = a.from;
    a.from = it->second;
  }
}

// One package version, its dependencies already mirrored.
MirrorResult mirror_version(CommandContext& ctx, const MirrorOptions& opt, const model::PackageInfo& pkg,
                            const Url& src_marker, const Url& src_repo, const Url& dst_repo,
                            const std::optional<std::string>& template_version,
                            const std::function<Url(const model::Dependency&)>& dependency_destination) {
  const std::string& name = pkg.name;
  const std::string& version = pkg.version;
  model::Catalog catalog = pkg.catalog ? *pkg.catalog : model::Catalog{};
  check_no_marker_item(catalog, name, src_marker.display());
  ItemSources sources(catalog, src_marker, fmt::format("package '{}' {}", name, version));

  // The lock first, then the marker (publish.h).
  VersionPublisher publisher(ctx, dst_repo, name, version, "mirror " + name + " " + version);
  const Url& dst_version = publisher.version_folder();
  MirrorResult result;
  result.package_name = name;
  result.version = version;
  result.source_repo = src_repo.str();
  result.destination_repo = dst_repo.str();
  result.wrapp_file = publisher.marker().str();
  result.plan.target = dst_version.str();
  if (const auto& existing = publisher.published()) {
    if (!existing->catalog || !same_catalog(*existing->catalog, catalog)) {
      fail_with(ErrorCode::kAlreadyExists,
                "package '{}' version '{}' already exists in '{}' with different content; versions are immutable",
                name, version, dst_repo.display());
    }
    if (!opt.resume) {
      result.no_op = true;
      return result;
    }
    repair(ctx, *existing->catalog, catalog, sources, dst_version, result);
    return result;
  }

  // Every file is looked for where the source's catalog says before
  // anything is written; its size completes a catalog that records none.
  SourceFiles files = locate_all(ctx, sources, catalog,
                                 fmt::format("cannot mirror '{}' {} to '{}'", name, version, dst_repo.display()));
  std::vector<VersionPublisher::PlannedFile> planned;
  planned.reserve(catalog.items.size());
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    planned.push_back({catalog.items[i].relative_path, files[i].info.size, catalog.items[i].hash});
  }
  // What an interrupted mirror left is verified, with or without --resume:
  // taking over a version folder never trusts a file it did not check.
  std::vector<bool> done(catalog.items.size(), false);
  if (!ctx.dry_run) done = publisher.resume(planned);
  plan_keep_or_copy(catalog, [&](size_t i) { return done[i]; }, files, result.plan);
  if (template_version) use_template(template_files(ctx, dst_repo, name, *template_version), result.plan);
  if (ctx.dry_run) return result;

  copy_files(ctx, "mirror " + name + " " + version, result.plan, files, dst_version, /*replace=*/false);

  model::PackageInfo out = pkg;
  out.repository = src_repo.str();
  if (opt.redirect_dependencies) {
    for (auto& dep : out.dependencies) dep.repository = dependency_destination(dep).str();
  }
  // The destination holds every file at its relative path, with the size
  // and hash of the bytes copied: a redirect package is materialised, and
  // the storage_map (which located the source's bytes) is not carried over.
  out.catalog.emplace();
  out.catalog->root = dst_version.str();
  out.catalog->items.reserve(catalog.items.size());
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    model::CatalogItem copy = catalog.items[i];  // tags and other kept members too
    copy.set_source_path("");                    // the mirrored file, derived from root
    copy.size = result.plan.actions[i].size;
    copy.hash = result.plan.actions[i].hash;
    out.catalog->items.push_back(std::move(copy));
  }
  publisher.publish(out);
  log::info("mirrored {} {} to {}", name, version, dst_repo.display());
  return result;
}

// Walks the dependency closure (with recursive) and mirrors each version
// once, dependencies before their dependents.
class Mirrorer {
 public:
  Mirrorer(CommandContext& ctx, const MirrorOptions& opt) : ctx_(ctx), opt_(opt) {
    destination_ = parse_location(opt.destination_repo);
    for (const auto& [from, to] : opt.repo_mapping) mapping_.emplace_back(parse_location(from), parse_location(to));
  }

  // Where packages from `source` repository go.
  Url destination_for(const Url& source) const {
    for (const auto& [from, to] : mapping_) {
      if (from == source) return to;
    }
    return destination_;
  }

  MirrorResult run(const std::string& name, const std::string& version, const Url& src_repo, const Url& dst_repo,
                   size_t depth, bool top) {
    model::check_name_and_version(name, version);
    if (src_repo == dst_repo) fail("source and destination repository are the same: '{}'", src_repo.display());
    Url src_marker;
    model::PackageInfo pkg = require_repo_package(ctx_, src_repo, name, version, &src_marker);
    check_package_depth(depth, src_marker);
    if (pkg.name != name) fail("'{}' names package '{}', expected '{}'", src_marker.display(), pkg.name, name);
    std::string key = name + '\n' + version + '\n' + src_repo.str();
    visiting_.insert(key);
    std::vector<MirrorResult> deps;
    if (opt_.recursive) {
      for (const auto& dep : pkg.dependencies) {
        Url dep_src = dependency_repository(src_repo, dep);
        Url dep_dst = destination_for(dep_src);
        if (dep_src == dep_dst) continue;  // it lives where it would go
        std::string dep_key = dep.package + '\n' + dep.version + '\n' + dep_src.str();
        if (visiting_.count(dep_key)) {
          fail_with(ErrorCode::kBadInput, "dependency cycle: '{}' {} depends on itself through '{}'",
                    dep.package, dep.version, src_marker.display());
        }
        if (!done_.insert(dep_key).second) continue;
        deps.push_back(run(dep.package, dep.version, dep_src, dep_dst, depth + 1, false));
      }
    }
    MirrorResult result = mirror_version(ctx_, opt_, pkg, src_marker, src_repo, dst_repo,
                                         top ? opt_.template_version : std::nullopt,
                                         [&](const model::Dependency& dep) {
                                           return destination_for(dependency_repository(src_repo, dep));
                                         });
    result.dependencies = std::move(deps);
    visiting_.erase(key);
    return result;
  }

 private:
  CommandContext& ctx_;
  const MirrorOptions& opt_;
  Url destination_;
  std::vector<std::pair<Url, Url>> mapping_;
  std::set<std::string> visiting_, done_;
};

}  // namespace

MirrorResult mirror(CommandContext& ctx, const MirrorOptions& opt) {
  Mirrorer mirrorer(ctx, opt);
  return mirrorer.run(opt.package_name, opt.version, parse_location(opt.source_repo),
                      parse_location(opt.destination_repo), 0, true);
}

nlohmann::json to_json(const MirrorResult& r) {
  nlohmann::json deps = nlohmann::json::array();
  for (const auto& d : r.dependencies) deps.push_back(to_json(d));
  return {{"package", r.package_name},   {"version", r.version},
          {"source_repo", r.source_repo}, {"destination_repo", r.destination_repo},
          {"wrapp_file", r.wrapp_file},   {"no_op", r.no_op},
          {"plan", r.plan.to_json()},     {"dependencies", std::move(deps)}};
}

}  // namespace wrapp::commands
