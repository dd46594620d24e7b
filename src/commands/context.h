// What every command receives besides its own parameters.
#pragma once

#include <string>

#include "exec/scheduler.h"
#include "model/hash_cache.h"

namespace wrapp::commands {

struct CommandContext {
  exec::Scheduler& scheduler;
  // Optional local hash cache (--hash-cache-file); commands consult it for
  // local files and feed it with every hash they compute or copy.
  model::HashCache* hash_cache = nullptr;
  // Plan and report, write nothing.
  bool dry_run = false;
};

}  // namespace wrapp::commands
