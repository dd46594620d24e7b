// mirror: copy one package version from a repository to another.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/plan.h"

namespace wrapp::commands {

struct MirrorOptions {
  std::string package_name;
  std::string version;
  std::string source_repo;
  std::string destination_repo;
  bool resume = false;  // keep files an interrupted run already copied (size and hash verified)
  // The reference's Nucleus tags: no backend of this build has tags, so
  // nothing more is captured; tags recorded in the catalog are always kept.
  bool tags = false;
  // An existing version of the same package in the destination: files whose
  // hash it holds are copied from there (within the destination store,
  // verified) instead of transferred from the source.
  std::optional<std::string> template_version;
  // Also mirror every dependency, recursively, each before its dependents.
  bool recursive = false;
  // Where dependencies from a repository go: source repository -> destination
  // repository. Dependencies from other repositories go to destination_repo.
  std::vector<std::pair<std::string, std::string>> repo_mapping;
  // Rewrite each dependency's repository in the mirrored package file to
  // where that dependency is (or would be) mirrored.
  bool redirect_dependencies = false;
};

struct MirrorResult {
  std::string package_name;
  std::string version;
  std::string source_repo;       // URL
  std::string destination_repo;  // URL
  std::string wrapp_file;  // the destination .wrapp file
  bool no_op = false;      // the destination already had this exact version
  Plan plan;
  // With recursive: the dependencies mirrored first (each once, depth-first).
  std::vector<MirrorResult> dependencies;
};

// Steps: read the source version (with recursive, its whole dependency
// closure, and mirror the dependencies first); a destination version with the
// same catalog is a no-op, a different one is refused; plan (with resume,
// verify what is there; with a template version, reuse its files); copy
// every file verifying its hash while copying; sync; write the .wrapp last,
// its repository pointer naming the source (and, with redirect_dependencies,
// its dependencies naming their destinations).
MirrorResult mirror(CommandContext& ctx, const MirrorOptions& options);

// The result as JSON (what `mirror --json` prints).
nlohmann::json to_json(const MirrorResult& result);

}  // namespace wrapp::commands
