// mirror: copy one package version from a repository to another.
#pragma once

#include <string>

#include "commands/context.h"
#include "commands/plan.h"

namespace wrapp::commands {

struct MirrorOptions {
  std::string package_name;
  std::string version;
  std::string source_repo;
  std::string destination_repo;
  bool resume = false;  // keep files an interrupted run already copied (size and hash verified)
};

struct MirrorResult {
  std::string wrapp_file;  // the destination .wrapp file
  bool no_op = false;      // the destination already had this exact version
  Plan plan;
};

// Steps: read the source version; a destination version with the same
// catalog is a no-op, a different one is refused; plan (with resume, verify
// what is there); copy every file verifying its hash while copying; sync;
// write the .wrapp last, its repository pointer naming the source.
MirrorResult mirror(CommandContext& ctx, const MirrorOptions& options);

}  // namespace wrapp::commands
