// The package-tree commands (dependencies across repositories) as the
// Python face calls them: options from the dict, the result as its to_json.
#include <nlohmann/json.hpp>

#include "commands/delete_packages.h"
#include "commands/extract_catalog.h"
#include "commands/find_orphans.h"
#include "commands/installed_package_list.h"
#include "commands/traceback.h"
#include "model/catalog.h"
#include "model/package_location.h"
#include "python/binding.h"

namespace wrapp::python {

namespace {

using commands::CommandContext;

std::vector<model::UniquePackageLocation> locations(Fields& f, const char* key) {
  auto text = f.json_text(key);
  if (!text) return {};
  return model::parse_package_locations(*text, key);
}

PreparedCommand prepare_extract_catalog(Fields& f) {
  commands::ExtractCatalogOptions o;
  o.package = f.str("package");
  o.version = f.str("version");
  o.repo = f.str("repo");
  o.output = f.opt_str("output");
  o.overwrite = f.flag("overwrite");
  o.recursive = f.flag("recursive");
  o.add_wrapp_files = f.flag("add_wrapp_files");
  return [o](CommandContext& ctx) {
    auto result = commands::extract_catalog(ctx, o);
    nlohmann::json out = commands::to_json(result);
    out["catalog"] = nlohmann::json::parse(model::serialize_catalog_file(result.catalog));  // Python returns it
    return out;
  };
}

PreparedCommand prepare_installed_package_list(Fields& f) {
  commands::InstalledPackageListOptions o;
  o.wrapp_file = f.str("wrapp_file");
  o.direct_only = f.flag("direct_only");
  return [o](CommandContext& ctx) { return commands::to_json(commands::installed_package_list(ctx, o)); };
}

PreparedCommand prepare_traceback(Fields& f) {
  commands::TracebackOptions o;
  o.wrapp_file = f.str("wrapp_file");
  return [o](CommandContext& ctx) { return commands::to_json(commands::traceback(ctx, o)); };
}

PreparedCommand prepare_find_orphans(Fields& f) {
  commands::FindOrphansOptions o;
  o.locking_packages = locations(f, "locking_packages");
  o.repos_to_inspect = f.strings("repos_to_inspect");
  return [o](CommandContext& ctx) { return commands::to_json(commands::find_orphaned_package_versions(ctx, o)); };
}

PreparedCommand prepare_delete_packages(Fields& f) {
  commands::DeletePackagesOptions o;
  o.to_delete = locations(f, "to_delete");
  o.from_file = f.opt_str("from_file");
  return [o](CommandContext& ctx) { return commands::to_json(commands::delete_packages_from_repo(ctx, o)); };
}

}  // namespace

void add_tree_commands(std::map<std::string, CommandPreparer>& t) {
  t["extract-catalog"] = prepare_extract_catalog;
  t["installed-package-list"] = prepare_installed_package_list;
  t["traceback"] = prepare_traceback;
  t["find-orphans"] = prepare_find_orphans;
  t["delete-packages"] = prepare_delete_packages;
}

}  // namespace wrapp::python
