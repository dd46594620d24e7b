#include "commands/mirror.h"

#include "commands/file_ops.h"
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

}  // namespace

MirrorResult mirror(CommandContext& ctx, const MirrorOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  Url src_repo = parse_location(opt.source_repo);
  Url dst_repo = parse_location(opt.destination_repo);
  if (src_repo == dst_repo) fail("source and destination repository are the same: '{}'", src_repo.display());
  model::PackageInfo pkg = require_repo_package(ctx, src_repo, opt.package_name, opt.version);
  model::Catalog catalog = pkg.catalog ? *pkg.catalog : model::Catalog{};
  check_no_marker_item(catalog, opt.package_name, repo_marker_url(src_repo, opt.package_name, opt.version).display());
  Url src_version = version_url(src_repo, opt.package_name, opt.version);
  Url dst_version = version_url(dst_repo, opt.package_name, opt.version);
  Url dst_marker = dst_version.join(model::wrapp_file_name(opt.package_name));
  auto& dst_store = ctx.store(dst_version);

  MirrorResult result;
  result.wrapp_file = dst_marker.str();
  result.plan.target = dst_version.str();
  if (auto existing = read_package_info(ctx, dst_marker)) {
    if (existing->catalog && same_catalog(*existing->catalog, catalog)) {
      result.no_op = true;
      return result;
    }
    fail("package '{}' version '{}' already exists in '{}' with different content; versions are immutable",
         opt.package_name, opt.version, dst_repo.display());
  }

  auto& plan_job = ctx.scheduler.sub_job("plan mirror");
  std::vector<PlanAction> actions(catalog.items.size());
  for_each_transfer(ctx, opt.resume ? catalog.items.size() : 0, [&](size_t i) {
    const auto& item = catalog.items[i];
    Url to = dst_version.join(item.relative_path);
    auto info = dst_store.stat(to);
    if (info && !info->is_dir && item.size == info->size && hash_object(ctx, to, *info, &plan_job) == item.hash) {
      actions[i] = {PlanAction::Kind::kKeep, item.relative_path, "", info->size, item.hash};
    }
  });
  plan_job.set_finished();
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    const auto& item = catalog.items[i];
    if (actions[i].relative_path.empty()) {
      actions[i] = {PlanAction::Kind::kCopy, item.relative_path, src_version.join(item.relative_path).str(),
                    item.size.value_or(0), item.hash};
    }
  }
  result.plan.actions = std::move(actions);
  if (ctx.dry_run) return result;

  remove_unpublished_leftovers(ctx, dst_version, catalog);
  std::vector<const PlanAction*> copies;
  for (const auto& a : result.plan.actions) {
    if (a.kind == PlanAction::Kind::kCopy) copies.push_back(&a);
  }
  auto& progress = ctx.scheduler.sub_job("mirror " + opt.package_name + " " + opt.version);
  progress.add_total(copies.size(), result.plan.bytes(PlanAction::Kind::kCopy));
  for_each_transfer(ctx, copies.size(), [&](size_t i) {
    const PlanAction& a = *copies[i];
    CopyRequest req;
    req.from = src_version.join(a.relative_path);
    req.to = dst_version.join(a.relative_path);
    req.size = a.size;
    req.expected_hash = a.hash;
    req.need_hash = true;  // verify the bytes against the catalog while they pass
    req.write.overwrite = true;
    req.write.in_place = true;  // unpublished until the .wrapp is written
    req.remember_target_hash = false;  // see create: the cache would grow by a file per version
    req.write.read_only = true;
    copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  });
  progress.set_finished();

  model::PackageInfo out = pkg;
  out.repository = src_repo.str();
  out.catalog.emplace();
  out.catalog->root = dst_version.str();
  for (const auto& item : catalog.items) {
    out.catalog->items.push_back({item.relative_path, "", item.hash, item.size});  // source: the mirrored file
  }
  if (ctx.durable) dst_store.sync(dst_version);
  storage::WriteOptions wopts;
  wopts.read_only = true;
  write_json(ctx, dst_marker, wopts, [&](JsonWriter& w) { out.write(w); });
  log::info("mirrored {} {} to {}", opt.package_name, opt.version, dst_repo.display());
  return result;
}

}  // namespace wrapp::commands
