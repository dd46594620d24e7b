#include "commands/status.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "commands/file_ops.h"
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
  return std::all_of(packages.begin(), packages.end(), [](const PackageStatus& p) { return p.clean(); });
}

std::vector<StatusEntry> find_modifications(CommandContext& ctx, const Url& location, const model::Catalog& catalog) {
  auto& store = storage::storage_for(location);
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

void status_of(CommandContext& ctx, const StatusOptions& opt, const Url& wrapp_file, StatusResult& result) {
  auto info = require_package_info(wrapp_file, "package file");
  Url location = wrapp_file.parent();
  PackageStatus ps;
  ps.package_name = info.name;
  ps.version = info.version;
  ps.wrapp_file = wrapp_file.str();
  ps.install_location = location.str();
  model::Catalog catalog = info.catalog ? *info.catalog : model::Catalog{};
  ps.entries = find_modifications(ctx, location, catalog);

  // Added files: walk with the ignore rules; leave out package markers and
  // everything below a dependency's install location (reported on its own).
  auto ignores = load_ignore_rules(location, opt.ignore_file);
  std::vector<std::string> dep_roots;
  for (const auto& d : info.dependencies) dep_roots.push_back(d.relative_destination);
  auto under_dependency = [&](const std::string& rel) {
    for (const auto& root : dep_roots) {
      if (root.empty()) continue;  // installed at the same folder: its files are its catalog's
      if (rel.size() > root.size() && rel.compare(0, root.size(), root) == 0 && rel[root.size()] == '/') return true;
    }
    return false;
  };
  auto entries = walk_tree(location, ignores, storage::SymlinkPolicy::kSkipOutside);
  for (const auto& e : entries) {
    if (catalog.find(e.relative_path) || is_wrapp_file_name(base_name(e.relative_path))) continue;
    if (under_dependency(e.relative_path)) continue;
    ps.entries.push_back({StatusEntry::Kind::kAdded, e.relative_path});
  }
  std::sort(ps.entries.begin(), ps.entries.end(),
            [](const StatusEntry& a, const StatusEntry& b) { return a.relative_path < b.relative_path; });
  result.packages.push_back(std::move(ps));

  if (!opt.recursive) return;
  for (const auto& d : info.dependencies) {
    Url dep_location = d.relative_destination.empty() ? location : location.join(d.relative_destination);
    Url dep_marker = dep_location.join(model::wrapp_file_name(d.package));
    if (!storage::storage_for(dep_marker).stat(dep_marker)) {
      PackageStatus missing;
      missing.package_name = d.package;
      missing.version = d.version;
      missing.wrapp_file = dep_marker.str();
      missing.install_location = dep_location.str();
      missing.missing_marker = true;
      result.packages.push_back(std::move(missing));
      continue;
    }
    status_of(ctx, opt, dep_marker, result);
  }
}

}  // namespace

StatusResult status(CommandContext& ctx, const StatusOptions& opt) {
  Url wrapp_file = parse_location(opt.wrapp_file);
  auto& store = storage::storage_for(wrapp_file);
  if (auto info = store.stat(wrapp_file); info && info->is_dir) {
    fail("'{}' is a folder; pass the package file in it (<folder>/.<package>.wrapp)", wrapp_file.display());
  }
  StatusResult result;
  status_of(ctx, opt, wrapp_file, result);
  return result;
}

}  // namespace wrapp::commands
