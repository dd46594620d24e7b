// Work handed out while a walk runs: status's checks and catalog's hashing
// use each page of a walk as it comes instead of holding the walk.
#pragma once

#include <utility>
#include <vector>

#include "commands/context.h"
#include "exec/bounded_spawner.h"
#include "exec/progress.h"
#include "exec/task_group.h"
#include "exec/throttle.h"
#include "model/ignore_rules.h"
#include "storage/storage.h"

namespace wrapp::commands {

// Chunks of items run on the io pool while the walk goes on. Each item runs
// under a transfer slot and a connection of the walked store, as
// for_each_transfer runs its items. A chunk is queued only while fewer
// chunks than transfer slots are queued or running; beyond that the walk's
// own thread runs it (exec::BoundedSpawner), so the walk is paced by the
// work instead of queueing the tree. The first item that fails stops the
// walk at its next page.
class WalkWork {
 public:
  // `progress` (may be null) counts one file done per item, a chunk at a
  // time (a million updates of shared counters cost more than the items).
  WalkWork(CommandContext& ctx, storage::Storage& store, exec::ProgressJob* progress);

  // Walks `root` as walk_tree_pages does (no folders skipped), handing each
  // page to `on_page` from one thread at a time, then waits for every chunk
  // run() queued. Throws the first failure: an item's error rather than the
  // cancellation it caused the walk.
  void walk(const storage::Url& root, const model::IgnoreEvaluator& ignores, storage::SymlinkPolicy symlinks,
            const storage::ListPage& on_page);

  // Runs `each(item)` for every item of `chunk`, queued or here (see above).
  // Called from `on_page`.
  template <class T, class Fn>
  void run(std::vector<T> chunk, Fn each) {
    spawner_.run([this, chunk = std::move(chunk), each = std::move(each)] {
      const auto& token = group_.token();
      for (const T& item : chunk) {
        token.throw_if_cancelled();
        auto slot = ctx_.scheduler.transfers().acquire(token);
        auto connection = connections_->acquire(token);
        each(item);
      }
      if (progress_) progress_->add_done(chunk.size(), 0);
    });
  }

 private:
  CommandContext& ctx_;
  exec::ProgressJob* progress_;
  exec::Throttle* connections_;
  // Last: destroyed first, so no chunk outlives what it uses.
  exec::TaskGroup group_;
  exec::BoundedSpawner spawner_;
};

}  // namespace wrapp::commands
