// freeze: a frozen copy of a folder tree, or of the files a catalog lists,
// into a plain folder (not a repository), for later publishing or a
// reproducible build.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "commands/plan.h"

namespace wrapp::commands {

struct FreezeOptions {
  std::string source;       // a folder, or with `catalog` a catalog file (or .wrapp file)
  std::string destination;  // a folder: absent, empty, or with `overwrite` any
  bool catalog = false;
  std::optional<std::string> ignore_file;  // folders only: instead of SOURCE/.wrappignore
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
  // With `catalog`: leave out the files that no longer exist (reported)
  // instead of failing.
  bool skip_missing = false;
  // Write into a destination that is not empty: files at the same paths are
  // replaced, the others left alone.
  bool overwrite = false;
};

struct FreezeResult {
  std::string destination;  // URL
  Plan plan;                // one kCopy per file, `from` its source
  std::vector<std::string> skipped;  // --skip-missing: catalog paths whose file is gone
};

// Steps: collect the files (a folder: walked with its ignore rules, links
// leading outside refused, wrapp's working files left out, `.wrapp` files
// kept; a catalog: each item's source, and every missing or resized file
// reported together); refuse a destination that is a file, lies inside the
// source or a repository's .packages, or is not empty (unless overwrite);
// copy every file, each published whole, verifying the catalog's hash where
// it has one. A failed freeze into an empty destination removes what it
// wrote.
FreezeResult freeze(CommandContext& ctx, const FreezeOptions& options);

nlohmann::json to_json(const FreezeResult& result);

}  // namespace wrapp::commands
