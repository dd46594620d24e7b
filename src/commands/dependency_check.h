// Whether dependencies can be installed: each version must exist in the
// repository it will be installed from (its recorded repository, or, when
// that is empty, the repository of the package that records it).
#pragma once

#include <string>
#include <vector>

#include "commands/context.h"
#include "model/package_info.h"
#include "storage/url.h"

namespace wrapp::commands {

struct UnresolvedDependency {
  model::Dependency dependency;
  std::string repository;  // where it was looked for
  std::string error;       // "" when it is not there, else why it could not be read
  std::string needed_by;   // "<name> <version>" recording it; "" for the dependencies given
};

// Looks for every dependency's package file in its repository (`parent_repo`
// for those that record none). With `closure`, also for the dependencies of
// every version found, recursively (each once). Returns the ones that are
// not there or cannot be read, in the order met.
std::vector<UnresolvedDependency> unresolved_dependencies(CommandContext& ctx, const storage::Url& parent_repo,
                                                          const std::vector<model::Dependency>& dependencies,
                                                          bool closure);

}  // namespace wrapp::commands
