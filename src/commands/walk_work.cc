#include "commands/walk_work.h"

#include <algorithm>

#include "commands/tree.h"

namespace wrapp::commands {

WalkWork::WalkWork(CommandContext& ctx, storage::Storage& store, exec::ProgressJob* progress)
    : ctx_(ctx),
      progress_(progress),
      connections_(&ctx.scheduler.connections(store.name(), store.features().connections)),
      group_(ctx.scheduler.io_pool(), ctx.scheduler.token().child()),
      spawner_(group_, std::min(ctx.scheduler.transfers().limit(), connections_->limit())) {}

void WalkWork::walk(const storage::Url& root, const model::IgnoreEvaluator& ignores, storage::SymlinkPolicy symlinks,
                    const storage::ListPage& on_page) {
  try {
    walk_tree_pages(ctx_, root, ignores, symlinks, {}, [&](std::vector<storage::ListEntry>&& page) {
      group_.token().throw_if_cancelled();  // an item failed, or the command is cancelled
      on_page(std::move(page));
    });
  } catch (...) {
    // The walk stopped because an item failed: that error is the cause.
    if (group_.token().cancelled()) group_.wait();
    throw;
  }
  group_.wait();
}

}  // namespace wrapp::commands
