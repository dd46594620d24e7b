// ls, cat, get: plain file access on any supported storage.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"

namespace wrapp::commands {

struct LsOptions {
  std::string url;
  bool recursive = false;
  // fnmatch() globs on the relative path, case-sensitive; an item is listed
  // when any matches (all items when empty). "*" also matches "/".
  std::vector<std::string> patterns;
  bool with_hash = false;
};

struct LsItem {
  std::string relative_path;
  std::string url;
  bool is_dir = false;
  uint64_t size = 0;
  std::string hash;  // with_hash only, files only
};

// Items sorted by relative path; a file URL lists that one file.
std::vector<LsItem> ls(CommandContext& ctx, const LsOptions& options);

// Streams the object's bytes to `out`.
void cat(CommandContext& ctx, const std::string& url, std::FILE* out);

struct GetOptions {
  std::string url;
  std::optional<std::string> local_path;  // default: the URL's last name in the working directory
  bool overwrite = false;
};

// Downloads a file, or a folder recursively. Without overwrite, refuses
// (before writing anything) when any target file exists. Returns the number
// of files written.
size_t get(CommandContext& ctx, const GetOptions& options);

}  // namespace wrapp::commands
