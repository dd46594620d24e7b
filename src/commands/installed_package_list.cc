#include "commands/installed_package_list.h"

#include <unordered_set>

#include <nlohmann/json.hpp>

#include "commands/package_file_argument.h"
#include "commands/package_tree.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

class Lister {
 public:
  Lister(CommandContext& ctx, const Url& top_folder, bool direct_only)
      : ctx_(ctx), top_folder_(top_folder), direct_only_(direct_only) {}

  void add_tree(const Url& wrapp_file, const model::PackageInfo& info, const std::string& location, size_t depth) {
    check_package_depth(depth, wrapp_file);
    seen_.insert(wrapp_file.str());
    if (!direct_only_ || depth == 1) add(wrapp_file, info, location, true);
    if (direct_only_ && depth == 1) return;
    for (const auto& dep : info.dependencies) {
      std::string at = join_relative(location, dep.relative_destination);
      Url folder = at.empty() ? top_folder_ : top_folder_.join(at);
      Url file = folder.join(model::wrapp_file_name(dep.package));
      auto sub = read_package_info(ctx_, file);
      if (!sub) {
        file = folder.join(legacy_wrapp_file_name(dep.package));
        sub = read_package_info(ctx_, file);
      }
      if (!sub) {
        std::string where = at.empty() ? "." : at;
        log::warn("'{}' {} (a dependency of '{}' {}) is not installed: no package file in '{}'", dep.package,
                  dep.version, info.name, info.version, folder.display());
        result_.not_installed.push_back(dep.package + " " + dep.version + " at " + where);
        continue;
      }
      if (seen_.count(file.str())) continue;  // listed once, however often recorded
      add_tree(file, *sub, at, depth + 1);
    }
  }

  // Every other package file in the tree.
  void add_strays() {
    auto& store = ctx_.store(top_folder_);
    storage::ListOptions options;
    options.symlinks = storage::SymlinkPolicy::kSkipOutside;
    options.descend = [](const std::string& dir) {
      std::string_view name = base_name(dir);
      return name != ".packages" && name != ".wrapp-locks";
    };
    for (const auto& e : storage::list_all(store, top_folder_, options)) {
      std::string_view name = base_name(e.relative_path);
      if (!is_wrapp_file_name(name) || is_wrapp_work_file(name) || !e.info.is_file()) continue;
      Url file = top_folder_.join(e.relative_path);
      if (seen_.count(file.str())) continue;
      std::optional<model::PackageInfo> info;
      try {
        info = read_package_info(ctx_, file);
      } catch (const FailedCommand& error) {
        log::warn("skipping '{}': {}", file.display(), error.what());
        continue;
      }
      if (!info) continue;  // gone meanwhile
      size_t slash = e.relative_path.rfind('/');
      add(file, *info, slash == std::string::npos ? "" : e.relative_path.substr(0, slash), false);
    }
  }

  InstalledPackageListResult take() { return std::move(result_); }

 private:
  void add(const Url& wrapp_file, const model::PackageInfo& info, const std::string& location, bool recorded) {
    InstalledPackage p;
    p.name = info.name;
    p.version = info.version;
    p.wrapp_file_url = wrapp_file.str();
    p.install_location = location;
    p.repository = info.repository;
    if (info.catalog) p.num_items = info.catalog->items.size();
    p.recorded = recorded;
    result_.packages.push_back(std::move(p));
  }

  CommandContext& ctx_;
  Url top_folder_;
  bool direct_only_;
  std::unordered_set<std::string> seen_;
  InstalledPackageListResult result_;
};

}  // namespace

InstalledPackageListResult installed_package_list(CommandContext& ctx, const InstalledPackageListOptions& opt) {
  Url top = package_file_argument(ctx, opt.wrapp_file);
  auto info = require_package_info(ctx, top, "package file");
  Lister lister(ctx, top.parent(), opt.direct_only);
  lister.add_tree(top, info, "", 0);
  if (!opt.direct_only) lister.add_strays();
  return lister.take();
}

nlohmann::json to_json(const InstalledPackageListResult& r) {
  using nlohmann::json;
  json out = json::array();
  for (const auto& p : r.packages) {
    out.push_back({{"name", p.name},
                   {"version", p.version},
                   {"wrapp_file_url", p.wrapp_file_url},
                   {"install_location", p.install_location},
                   {"repository", p.repository ? json(*p.repository) : json(nullptr)},
                   {"num_items", p.num_items ? json(*p.num_items) : json(nullptr)},
                   {"recorded", p.recorded}});
  }
  return out;
}

}  // namespace wrapp::commands
