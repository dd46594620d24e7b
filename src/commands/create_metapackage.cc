#include "commands/create_metapackage.h"

#include <set>

#include <nlohmann/json.hpp>

#include "commands/extract_catalog.h"
#include "commands/file_ops.h"
#include "commands/package_tree.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "util/error.h"
#include "util/log.h"
#include "util/paths.h"

namespace wrapp::commands {

using storage::Url;

namespace {

// A dependency given on the command line, checked as a .wrapp file's are.
model::Dependency checked(model::Dependency dep) {
  for (const std::string* segment : {&dep.package, &dep.version}) {
    if (std::string_view problem = segment_problem(*segment); !problem.empty()) {
      fail_with(ErrorCode::kBadInput, "refusing dependency with unsafe name or version '{}' '{}' ({})",
                shorten_for_message(dep.package), shorten_for_message(dep.version), problem);
    }
  }
  dep.relative_destination = model::normalize_relative_destination(dep.relative_destination);
  if (!dep.relative_destination.empty()) {
    if (std::string_view problem = relative_path_problem(dep.relative_destination); !problem.empty()) {
      fail_with(ErrorCode::kBadInput, "refusing unsafe location '{}' of dependency '{}' ({})",
                shorten_for_message(dep.relative_destination), dep.package, problem);
    }
  }
  return dep;
}

std::vector<model::Dependency> gather(CommandContext& ctx, const CreateMetapackageOptions& opt) {
  std::vector<model::Dependency> deps;
  if (opt.dependencies_file) {
    Url file = parse_location(*opt.dependencies_file);
    std::string origin = file.display();
    auto doc = ctx.store(file).read_document(file);
    if (!doc) fail_with(ErrorCode::kNotFound, "dependencies file '{}' not found", origin);
    deps = model::parse_dependency_list(doc->text(), origin);
  }
  for (const auto& d : opt.dependencies) deps.push_back(checked(d));
  if (deps.empty()) fail_with(ErrorCode::kBadInput, "no dependencies given: a metapackage holds nothing else");
  // Recorded as URLs: a relative path would mean another folder wherever
  // the package is installed from.
  for (auto& d : deps) {
    if (!d.repository.empty()) d.repository = parse_location(d.repository).str();
  }
  std::set<std::pair<std::string, std::string>> places;
  for (const auto& d : deps) {
    if (!places.emplace(d.relative_destination, d.package).second) {
      fail_with(ErrorCode::kBadInput,
                "package '{}' is given twice at location '{}': the two would share one package file there",
                d.package, d.relative_destination.empty() ? "." : d.relative_destination);
    }
  }
  return deps;
}

// Every dependency version exists in its repository; all missing ones are
// named together.
void require_dependencies(CommandContext& ctx, const Url& repo, const std::vector<model::Dependency>& deps) {
  std::vector<char> present(deps.size(), 0);
  for_each_request(ctx, deps.size(), [&](size_t i) {
    present[i] = find_repo_package(ctx, dependency_repository(repo, deps[i]), deps[i].package, deps[i].version) ? 1 : 0;
  });
  std::vector<std::string> missing;
  std::string list;
  for (size_t i = 0; i < deps.size(); ++i) {
    if (present[i]) continue;
    missing.push_back(describe_location(deps[i].package, deps[i].version, dependency_repository(repo, deps[i])));
    list += (list.empty() ? "" : ", ") + missing.back();
  }
  if (!missing.empty()) {
    std::string message = fmt::format("{} dependenc{} not found: {} (pass --skip-dependency-check to publish anyway)",
                                      missing.size(), missing.size() == 1 ? "y" : "ies", list);
    throw FailedCommand(message, ErrorCode::kNotFound, std::move(missing));
  }
}

}  // namespace

CreateMetapackageResult create_metapackage(CommandContext& ctx, const CreateMetapackageOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  Url repo = parse_location(opt.repo);
  CreateMetapackageResult result;
  model::PackageInfo& pkg = result.package;
  pkg.name = opt.package_name;
  pkg.version = opt.version;
  pkg.repository = repo.str();
  pkg.dependencies = gather(ctx, opt);
  pkg.catalog.emplace();
  pkg.catalog->root = version_url(repo, opt.package_name, opt.version).str();

  if (!opt.skip_dependency_check) {
    require_dependencies(ctx, repo, pkg.dependencies);
    RepoTreeNode top;
    top.package = pkg.name;
    top.version = pkg.version;
    top.repository = repo;
    top.wrapp_file = repo_marker_url(repo, pkg.name, pkg.version);
    top.info = pkg;
    auto tree = flatten_package_tree(ctx, top, /*recursive=*/true, /*add_wrapp_files=*/false);
    result.tree_packages = tree.packages.size();
    result.tree_items = tree.catalog.items.size();
  }

  // The lock first, then the marker (publish.h).
  VersionPublisher publisher(ctx, repo, opt.package_name, opt.version,
                             "create-metapackage " + opt.package_name + " " + opt.version);
  result.wrapp_file = publisher.marker().str();
  if (publisher.published()) {
    fail_with(ErrorCode::kAlreadyExists,
              "package '{}' version '{}' already exists in '{}'; versions are immutable, use a new version",
              opt.package_name, opt.version, repo.display());
  }
  if (ctx.dry_run) return result;
  publisher.resume({});  // what an interrupted run left in the folder goes
  publisher.publish(pkg);
  log::info("created metapackage {} {} in {} with {} dependencies", opt.package_name, opt.version, repo.display(),
            pkg.dependencies.size());
  return result;
}

nlohmann::json to_json(const CreateMetapackageResult& r) {
  return {{"wrapp_file", r.wrapp_file},
          {"package", nlohmann::json::parse(r.package.serialize())},
          {"tree_packages", r.tree_packages},
          {"tree_items", r.tree_items}};
}

}  // namespace wrapp::commands
