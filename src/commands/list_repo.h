// list-repo: every package and version stored in a repository.
#pragma once

#include "commands/context.h"

#include <string>
#include <vector>

#include "storage/url.h"

namespace wrapp::commands {

struct RepoPackage {
  std::string name;
  std::vector<std::string> versions;  // natural order: "1.9" before "1.10"
};

// Packages sorted by name. Only versions whose .wrapp file exists count: a
// folder left by an interrupted create or mirror is not a version. A
// repository without .packages lists nothing.
std::vector<RepoPackage> list_repo(CommandContext& ctx, const storage::Url& repo);

// Natural order: digit runs compare as numbers, the rest bytewise.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace wrapp::commands
