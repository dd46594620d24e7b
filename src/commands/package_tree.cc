#include "commands/package_tree.h"

#include <unordered_set>

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

Url dependency_repository(const Url& parent_repo, const model::Dependency& dep) {
  return dep.repository.empty() ? parent_repo : parse_location(dep.repository);
}

std::string join_relative(const std::string& parent, const std::string& relative) {
  if (parent.empty()) return relative;
  if (relative.empty()) return parent;
  return parent + "/" + relative;
}

std::string location_key(const std::string& package, const std::string& version, const Url& repo) {
  return repo.str() + '\n' + package + '\n' + version;
}

std::string describe_location(const std::string& package, const std::string& version, const Url& repo) {
  return fmt::format("'{}' {} in '{}'", shorten_for_message(package), shorten_for_message(version), repo.display());
}

namespace {

[[noreturn]] void fail_missing_dependency(const model::Dependency& dep, const Url& repo, const std::string& parent,
                                          const std::string& parent_version, const Url& parent_repo) {
  fail_with(ErrorCode::kNotFound, "package '{}' version '{}' not found in repository '{}' (a dependency of {})",
            shorten_for_message(dep.package), shorten_for_message(dep.version), repo.display(),
            describe_location(parent, parent_version, parent_repo));
}

void walk(CommandContext& ctx, const RepoTreeNode& node, const std::function<bool(const RepoTreeNode&)>& visit) {
  check_package_depth(node.depth, node.wrapp_file);
  if (!visit(node)) return;
  for (const auto& dep : node.info.dependencies) {
    RepoTreeNode child;
    child.package = dep.package;
    child.version = dep.version;
    child.repository = dependency_repository(node.repository, dep);
    child.install_path = join_relative(node.install_path, dep.relative_destination);
    child.depth = node.depth + 1;
    child.parent = &node;
    std::string key = location_key(dep.package, dep.version, child.repository);
    std::string chain;
    for (const RepoTreeNode* a = &node; a; a = a->parent) {
      chain = fmt::format("'{}' {}{}{}", a->package, a->version, chain.empty() ? "" : " -> ", chain);
      if (location_key(a->package, a->version, a->repository) == key) {
        fail_with(ErrorCode::kBadInput, "dependency cycle: {} -> '{}' {} (in '{}')", chain, dep.package, dep.version,
                  child.repository.display());
      }
    }
    auto found = find_repo_package(ctx, child.repository, dep.package, dep.version);
    if (!found) fail_missing_dependency(dep, child.repository, node.package, node.version, node.repository);
    if (found->info.name != dep.package || found->info.version != dep.version) {
      fail("'{}' names package '{}' version '{}', expected '{}' {}", found->url.display(),
           shorten_for_message(found->info.name), shorten_for_message(found->info.version), dep.package, dep.version);
    }
    child.wrapp_file = found->url;
    child.info = std::move(found->info);
    walk(ctx, child, visit);
  }
}

}  // namespace

RepoTreeNode read_repo_tree_top(CommandContext& ctx, const std::string& package, const std::string& version,
                                const Url& repo) {
  RepoTreeNode top;
  top.package = package;
  top.version = version;
  top.repository = repo;
  top.info = require_repo_package(ctx, repo, package, version, &top.wrapp_file);
  if (top.info.name != package || top.info.version != version) {
    fail("'{}' names package '{}' version '{}', expected '{}' {}", top.wrapp_file.display(),
         shorten_for_message(top.info.name), shorten_for_message(top.info.version), package, version);
  }
  return top;
}

void walk_repo_tree(CommandContext& ctx, const RepoTreeNode& top, const std::function<bool(const RepoTreeNode&)>& visit) {
  walk(ctx, top, visit);
}

std::vector<ClosureEntry> dependency_closure(CommandContext& ctx, const std::vector<UniquePackageLocation>& tops) {
  struct Pending {
    model::UniquePackageLocation location;
    Url repo;
    std::string needed_by;  // "" for a top
  };
  std::vector<ClosureEntry> out;
  std::unordered_set<std::string> seen;
  std::vector<Pending> level;
  for (const auto& t : tops) {
    model::check_name_and_version(t.package, t.version);
    Url repo = parse_location(t.repository);
    if (seen.insert(location_key(t.package, t.version, repo)).second) {
      level.push_back({{t.package, t.version, repo.str()}, repo, ""});
    }
  }
  while (!level.empty()) {
    std::vector<std::vector<model::Dependency>> deps(level.size());
    for_each_request(ctx, level.size(), [&](size_t i) {
      const Pending& p = level[i];
      if (p.needed_by.empty()) {
        deps[i] = require_repo_package(ctx, p.repo, p.location.package, p.location.version).dependencies;
        return;
      }
      auto found = find_repo_package(ctx, p.repo, p.location.package, p.location.version);
      if (!found) {
        fail_with(ErrorCode::kNotFound, "package '{}' version '{}' not found in repository '{}' (a dependency of {})",
                  p.location.package, p.location.version, p.repo.display(), p.needed_by);
      }
      deps[i] = std::move(found->info.dependencies);
    });
    std::vector<Pending> next;
    for (size_t i = 0; i < level.size(); ++i) {
      const Pending& p = level[i];
      out.push_back({p.location, location_key(p.location.package, p.location.version, p.repo)});
      for (const auto& d : deps[i]) {
        Url repo = dependency_repository(p.repo, d);
        if (!seen.insert(location_key(d.package, d.version, repo)).second) continue;
        next.push_back({{d.package, d.version, repo.str()}, repo,
                        describe_location(p.location.package, p.location.version, p.repo)});
      }
    }
    level = std::move(next);
  }
  return out;
}

}  // namespace wrapp::commands
