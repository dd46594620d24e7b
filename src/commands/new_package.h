// new: write a fresh .<name>.wrapp file into a folder, optionally with a
// catalog of the folder, without copying anything.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "model/package_info.h"

namespace wrapp::commands {

struct NewOptions {
  std::string package_name;
  std::string version;
  std::string destination;  // folder
  bool create_catalog = false;
  std::optional<std::string> ignore_file;
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
};

struct NewResult {
  std::string wrapp_file;  // URL of the file written (on a dry run: that would be)
  model::PackageInfo package;
};

// Refuses (FailedCommand) when the file exists already.
NewResult new_package(CommandContext& ctx, const NewOptions& options);

// {"wrapp_file", "package": the package file written}.
nlohmann::json to_json(const NewResult& result);

}  // namespace wrapp::commands
