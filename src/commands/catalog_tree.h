// Reading a folder into a catalog in one pass: each page of the walk is
// hashed as it comes, and only the catalog's items are kept, never the walk
// itself (docs/design.md, "catalog of a tree").
#pragma once

#include "commands/context.h"
#include "exec/progress.h"
#include "model/catalog.h"
#include "model/ignore_rules.h"
#include "storage/url.h"

namespace wrapp::commands {

// What walk_tree (links leading outside refused), check_packable_names and
// hash_tree give together: the catalog of every file below `root` that the
// rules keep, sorted by path, each hashed (through the hash cache). Names a
// catalog cannot carry are refused together after the walk (nothing more is
// hashed once one is seen); a file that cannot be read stops the walk, and
// its error is the one thrown. Progress: the totals grow page by page.
model::Catalog catalog_tree(CommandContext& ctx, const storage::Url& root, const model::IgnoreEvaluator& ignores,
                            exec::ProgressJob* progress);

}  // namespace wrapp::commands
