#include "commands/new_package.h"

#include <nlohmann/json.hpp>

#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

NewResult new_package(CommandContext& ctx, const NewOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  Url dest = parse_location(opt.destination);
  Url marker = dest.join(model::wrapp_file_name(opt.package_name));
  auto& store = ctx.store(dest);
  if (auto info = store.stat(dest); info && !info->is_dir) fail("'{}' is a file, not a folder", dest.display());
  if (store.stat(marker)) fail("'{}' already exists", marker.display());
  model::PackageInfo info;
  info.name = opt.package_name;
  info.version = opt.version;
  if (opt.create_catalog) {
    auto ignores = load_ignore_rules(ctx, dest, opt.ignore_file, opt.ignore_predicate);
    auto entries = walk_tree(ctx, dest, ignores);
    entries.erase_if([](const storage::ListEntry& e) { return is_wrapp_file_name(base_name(e.relative_path)); });
    check_packable_names(entries);
    info.catalog = hash_tree(ctx, dest, std::move(entries), &ctx.scheduler.sub_job("catalog " + dest.display(), "hashing"));
  }
  if (!ctx.dry_run) storage::write_all(store, marker, info.serialize(), {});
  return {marker.str(), std::move(info)};
}

nlohmann::json to_json(const NewResult& r) {
  return {{"wrapp_file", r.wrapp_file}, {"package", nlohmann::json::parse(r.package.serialize())}};
}

}  // namespace wrapp::commands
