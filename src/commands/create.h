// create: freeze a folder (or a catalog) into a new, immutable package
// version <repo>/.packages/<name>/<version>/.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "commands/plan.h"
#include "model/package_info.h"

namespace wrapp::commands {

struct CreateOptions {
  std::string package_name;
  std::string version;
  std::string source;  // folder, or with `catalog` a catalog file
  bool catalog = false;
  std::optional<std::string> repo;         // required for local sources
  std::optional<std::string> ignore_file;  // instead of <source>/.wrappignore
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
  bool skip_dirty_check = false;           // do not verify nested subpackages
  // Read every subpackage version's package file in its repository (and
  // theirs, through the whole dependency closure) before publishing.
  bool check_subpackage = false;
};

struct CreateResult {
  std::string wrapp_file;  // URL of the new .wrapp file ("" on dry run)
  Plan plan;
  model::PackageInfo package;  // what was (or would be) written
};

// Steps: validate; refuse an existing version; catalog the source (ignore
// rules; nested .wrapp files become dependencies and their files are left
// out); plan the copies; copy (hashing while copying); sync; write the
// .wrapp file last. FailedCommand when the version exists, the source is
// missing, or a subpackage is modified, has no catalog, or could not be
// installed from the new version (it records no repository and the target
// repository lacks it; with check_subpackage: any version of the closure is
// missing where it is recorded).
CreateResult create(CommandContext& ctx, const CreateOptions& options);

// {"wrapp_file", "plan": Plan::to_json(), "package": the package file written}.
nlohmann::json to_json(const CreateResult& result);

}  // namespace wrapp::commands
