#include "commands/dependency_check.h"

#include <set>

#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

namespace {

class DependencyWalk {
 public:
  DependencyWalk(CommandContext& ctx, bool closure) : ctx_(ctx), closure_(closure) {}

  void check(const Url& parent_repo, const std::vector<model::Dependency>& deps, const std::string& needed_by,
             size_t depth) {
    for (const auto& d : deps) {
      std::string repo_text = d.repository.empty() ? parent_repo.str() : d.repository;
      std::optional<Url> repo;
      std::optional<RepoPackageFile> found;
      try {
        repo = parse_location(repo_text);
        Url file = repo_marker_url(*repo, d.package, d.version);
        if (!seen_.insert(file.str()).second) continue;
        check_package_depth(depth, file);
        found = find_repo_package(ctx_, *repo, d.package, d.version);  // either file name
      } catch (const FailedCommand& e) {
        unresolved_.push_back({d, repo_text, e.what(), needed_by});
        continue;
      }
      if (!found) {
        unresolved_.push_back({d, repo->str(), "", needed_by});
        continue;
      }
      if (closure_) check(*repo, found->info.dependencies, d.package + " " + d.version, depth + 1);
    }
  }

  std::vector<UnresolvedDependency> take() { return std::move(unresolved_); }

 private:
  CommandContext& ctx_;
  bool closure_;
  std::set<std::string> seen_;  // package files looked for
  std::vector<UnresolvedDependency> unresolved_;
};

}  // namespace

std::vector<UnresolvedDependency> unresolved_dependencies(CommandContext& ctx, const Url& parent_repo,
                                                          const std::vector<model::Dependency>& deps, bool closure) {
  DependencyWalk walk(ctx, closure);
  walk.check(parent_repo, deps, "", 0);
  return walk.take();
}

}  // namespace wrapp::commands
