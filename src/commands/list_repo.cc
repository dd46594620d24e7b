#include "commands/list_repo.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "commands/repository.h"
#include "model/package_info.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/paths.h"

namespace wrapp::commands {

using storage::Url;

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, k = 0;
  while (i < a.size() && k < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[k]));
    if (da && db) {
      size_t ie = i, ke = k;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (ke < b.size() && std::isdigit(static_cast<unsigned char>(b[ke]))) ++ke;
      std::string_view na(a.data() + i, ie - i), nb(b.data() + k, ke - k);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      k = ke;
    } else {
      if (a[i] != b[k]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[k]);
      ++i;
      ++k;
    }
  }
  if ((a.size() - i) != (b.size() - k)) return (a.size() - i) < (b.size() - k);
  return a < b;
}

std::vector<RepoPackage> repo_packages(CommandContext& ctx, const Url& repo) {
  auto& store = ctx.store(repo);
  auto root = store.stat(repo);
  if (!root) fail("repository '{}' not found", repo.display());
  if (!root->is_dir) fail("repository '{}' is a file, not a folder", repo.display());
  Url packages = packages_url(repo);
  storage::ListOptions options;
  options.include_dirs = true;
  options.symlinks = storage::SymlinkPolicy::kSkipOutside;
  // Only <name>/<version>/.<name>.wrapp matters; never descend into content.
  options.descend = [](const std::string& dir) { return std::count(dir.begin(), dir.end(), '/') <= 1; };
  auto entries = storage::list_all(store, packages, options);
  std::vector<RepoPackage> out;
  for (const auto& e : entries) {
    size_t s1 = e.relative_path.find('/');
    if (s1 == std::string::npos) continue;
    size_t s2 = e.relative_path.find('/', s1 + 1);
    if (s2 == std::string::npos || e.info.is_dir) continue;
    std::string name = e.relative_path.substr(0, s1);
    std::string version = e.relative_path.substr(s1 + 1, s2 - s1 - 1);
    std::string_view file = std::string_view(e.relative_path).substr(s2 + 1);
    // The canonical name, or the older "<name>.wrapp" (repository.h).
    if (file != model::wrapp_file_name(name) && file != legacy_wrapp_file_name(name)) continue;
    if (!is_safe_segment(name) || !is_safe_segment(version)) continue;
    if (out.empty() || out.back().name != name) out.push_back({name, {}});
    out.back().versions.push_back(version);
  }
  for (auto& p : out) {
    std::sort(p.versions.begin(), p.versions.end(), natural_less);
    // A version holding both names counts once.
    p.versions.erase(std::unique(p.versions.begin(), p.versions.end()), p.versions.end());
  }
  return out;
}

ListRepoResult list_repo(CommandContext& ctx, const ListRepoOptions& options) {
  return {repo_packages(ctx, parse_location(options.repo))};
}

nlohmann::json to_json(const ListRepoResult& result) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : result.packages) out.push_back({{"name", p.name}, {"versions", p.versions}});
  return out;
}

}  // namespace wrapp::commands
