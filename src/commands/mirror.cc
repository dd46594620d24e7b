#include "commands/mirror.h"

#include "commands/file_ops.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

bool same_catalog(const model::Catalog& a, const model::Catalog& b) {
  if (a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (a.items[i].relative_path != b.items[i].relative_path || !a.items[i].same_content(b.items[i])) return false;
  }
  return true;
}

// One action per catalog item: keep where `verified(i)`, else copy from the
// source version.
void plan_keep_or_copy(const model::Catalog& catalog, const std::function<bool(size_t)>& verified,
                       const Url& src_version, Plan& plan) {
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    const auto& item = catalog.items[i];
    if (verified(i)) {
      plan.actions.push_back({PlanAction::Kind::kKeep, item.relative_path, "", item.size.value_or(0), item.hash});
    } else {
      plan.actions.push_back({PlanAction::Kind::kCopy, item.relative_path, src_version.join(item.relative_path).str(),
                              item.size.value_or(0), item.hash});
    }
  }
}

// Copies the plan's kCopy actions from the source version, verifying every
// byte against the catalog while it passes. `replace` publishes each file
// atomically over a damaged one (a new object: installs hard-linked to the
// damaged file keep theirs); otherwise files are written in place into the
// unpublished folder.
void copy_files(CommandContext& ctx, const MirrorOptions& opt, const Plan& plan, const Url& src_version,
                const Url& dst_version, bool replace) {
  std::vector<const PlanAction*> copies;
  for (const auto& a : plan.actions) {
    if (a.kind == PlanAction::Kind::kCopy) copies.push_back(&a);
  }
  auto& progress = ctx.scheduler.sub_job("mirror " + opt.package_name + " " + opt.version);
  progress.add_total(copies.size(), plan.bytes(PlanAction::Kind::kCopy));
  for_each_transfer(ctx, copies.size(), [&](size_t i) {
    const PlanAction& a = *copies[i];
    CopyRequest req;
    req.from = src_version.join(a.relative_path);
    req.to = dst_version.join(a.relative_path);
    req.size = a.size;
    req.expected_hash = a.hash;
    req.need_hash = true;  // verify the bytes against the catalog while they pass
    req.write.overwrite = replace;
    req.write.in_place = !replace;  // unpublished, and the version's lock keeps other writers out
    req.remember_target_hash = false;  // see create: the cache would grow by a file per version
    req.write.read_only = true;
    copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  }, &ctx.store(dst_version));
  progress.set_finished();
}

// --resume over a published version: verify every file, and replace those
// that are missing or damaged from the source (whose bytes verify).
void repair(CommandContext& ctx, const MirrorOptions& opt, const model::Catalog& catalog, const Url& src_version,
            const Url& dst_version, MirrorResult& result) {
  auto& store = ctx.store(dst_version);
  CommandContext verify = ctx;
  verify.hash_cache = nullptr;  // a repair reads the bytes
  auto& job = ctx.scheduler.sub_job("verify " + dst_version.display());
  job.add_total(catalog.items.size(), catalog.total_size());
  std::vector<char> good(catalog.items.size(), 0);
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    Url to = dst_version.join(item.relative_path);
    auto info = store.stat(to);
    if (info && info->is_file() && item.size == info->size && hash_object(verify, to, *info, &job) == item.hash) {
      good[i] = 1;
    }
    job.add_done(1, 0);
  });
  job.set_finished();
  plan_keep_or_copy(catalog, [&](size_t i) { return good[i] != 0; }, src_version, result.plan);
  size_t bad = result.plan.count(PlanAction::Kind::kCopy);
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
  copy_files(ctx, opt, result.plan, src_version, dst_version, /*replace=*/true);
  log::warn("repaired {} damaged or missing file(s) of {} {} in {}", bad, opt.package_name, opt.version,
            dst_version.display());
}

}  // namespace

MirrorResult mirror(CommandContext& ctx, const MirrorOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  Url src_repo = parse_location(opt.source_repo);
  Url dst_repo = parse_location(opt.destination_repo);
  if (src_repo == dst_repo) fail("source and destination repository are the same: '{}'", src_repo.display());
  Url src_marker;
  model::PackageInfo pkg = require_repo_package(ctx, src_repo, opt.package_name, opt.version, &src_marker);
  model::Catalog catalog = pkg.catalog ? *pkg.catalog : model::Catalog{};
  check_no_marker_item(catalog, opt.package_name, src_marker.display());
  Url src_version = version_url(src_repo, opt.package_name, opt.version);

  // The lock first, then the marker (publish.h).
  VersionPublisher publisher(ctx, dst_repo, opt.package_name, opt.version,
                             "mirror " + opt.package_name + " " + opt.version);
  const Url& dst_version = publisher.version_folder();
  MirrorResult result;
  result.wrapp_file = publisher.marker().str();
  result.plan.target = dst_version.str();
  if (const auto& existing = publisher.published()) {
    if (!existing->catalog || !same_catalog(*existing->catalog, catalog)) {
      fail_with(ErrorCode::kAlreadyExists,
                "package '{}' version '{}' already exists in '{}' with different content; versions are immutable",
                opt.package_name, opt.version, dst_repo.display());
    }
    if (!opt.resume) {
      result.no_op = true;
      return result;
    }
    repair(ctx, opt, catalog, src_version, dst_version, result);
    return result;
  }

  std::vector<VersionPublisher::PlannedFile> planned;
  planned.reserve(catalog.items.size());
  for (const auto& item : catalog.items) planned.push_back({item.relative_path, item.size.value_or(0), item.hash});
  // What an interrupted mirror left is verified, with or without --resume:
  // taking over a version folder never trusts a file it did not check.
  std::vector<bool> done(catalog.items.size(), false);
  if (!ctx.dry_run) done = publisher.resume(planned);
  plan_keep_or_copy(catalog, [&](size_t i) { return done[i]; }, src_version, result.plan);
  if (ctx.dry_run) return result;

  copy_files(ctx, opt, result.plan, src_version, dst_version, /*replace=*/false);

  model::PackageInfo out = pkg;
  out.repository = src_repo.str();
  out.catalog.emplace();
  out.catalog->root = dst_version.str();
  for (const auto& item : catalog.items) {
    out.catalog->items.push_back({item.relative_path, "", item.hash, item.size});  // source: the mirrored file
  }
  publisher.publish(out);
  log::info("mirrored {} {} to {}", opt.package_name, opt.version, dst_repo.display());
  return result;
}

}  // namespace wrapp::commands
