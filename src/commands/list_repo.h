// list-repo: every package and version stored in a repository.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "storage/url.h"

namespace wrapp::commands {

struct RepoPackage {
  std::string name;
  std::vector<std::string> versions;  // natural order: "1.9" before "1.10"
};

struct ListRepoOptions {
  std::string repo;  // folder or URL, without .packages
};

struct ListRepoResult {
  std::vector<RepoPackage> packages;
};

// Packages sorted by name. Only versions whose .wrapp file exists count: a
// folder left by an interrupted create or mirror is not a version. A
// repository without .packages lists nothing.
ListRepoResult list_repo(CommandContext& ctx, const ListRepoOptions& options);

// list_repo's packages, for the commands that walk a repository's versions.
std::vector<RepoPackage> repo_packages(CommandContext& ctx, const storage::Url& repo);

// As `list-repo --json` prints it: [{"name", "versions"}, ...].
nlohmann::json to_json(const ListRepoResult& result);

// Natural order: digit runs compare as numbers, the rest bytewise.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace wrapp::commands
