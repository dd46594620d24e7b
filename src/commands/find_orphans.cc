#include "commands/find_orphans.h"

#include <unordered_set>

#include <nlohmann/json.hpp>

#include "commands/list_repo.h"
#include "commands/package_tree.h"
#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

FindOrphansResult find_orphaned_package_versions(CommandContext& ctx, const FindOrphansOptions& opt) {
  if (opt.locking_packages.empty()) {
    fail_with(ErrorCode::kBadInput, "no locking package given: every version would be an orphan");
  }
  if (opt.repos_to_inspect.empty()) fail_with(ErrorCode::kBadInput, "no repository to inspect given");
  std::vector<Url> repos;
  std::unordered_set<std::string> distinct;
  for (const auto& r : opt.repos_to_inspect) {
    Url repo = parse_location(r);
    if (distinct.insert(repo.str()).second) repos.push_back(repo);
  }
  FindOrphansResult result;
  std::unordered_set<std::string> needed;
  for (auto& entry : dependency_closure(ctx, opt.locking_packages)) needed.insert(std::move(entry.key));
  result.needed = needed.size();
  for (const Url& repo : repos) {
    for (const auto& pkg : repo_packages(ctx, repo)) {
      for (const auto& version : pkg.versions) {
        ++result.inspected;
        if (needed.count(location_key(pkg.name, version, repo))) continue;
        result.orphans.push_back({pkg.name, version, repo.str()});
      }
    }
  }
  return result;
}

nlohmann::json to_json(const FindOrphansResult& result) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : result.orphans) {
    out.push_back({{"package", l.package}, {"version", l.version}, {"repository", l.repository}});
  }
  return out;
}

}  // namespace wrapp::commands
