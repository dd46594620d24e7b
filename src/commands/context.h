// What every command receives besides its own parameters.
#pragma once

#include <string>

#include "exec/scheduler.h"
#include "model/hash_cache.h"
#include "storage/storage.h"

namespace wrapp::commands {

struct CommandContext {
  exec::Scheduler& scheduler;
  // Every storage access goes through it: URL -> backend, bound to this
  // command's cancellation.
  storage::Resolver& resolver;
  // Optional hash cache (--hash-cache-file); commands consult it for files
  // on stores with a stable identity and feed it with every hash they
  // compute or copy.
  model::HashCache* hash_cache = nullptr;
  // Plan and report, write nothing.
  bool dry_run = false;
  // Make every file durable (syncfs) before the .wrapp file that publishes
  // it is written, and that file and its folder after. Without it the write
  // order still protects against a crashed or killed process (the page cache
  // survives), not against power loss: like cp, rsync and git's defaults,
  // and far faster.
  bool durable = false;

  storage::Storage& store(const storage::Url& url) { return resolver.for_url(url); }
};

}  // namespace wrapp::commands
