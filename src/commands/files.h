// ls, cat, get: plain file access on any supported storage.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

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

struct LsResult {
  std::string url;  // the URL listed, normalised (the base URL `ls --output-format tsv` prints)
  std::vector<LsItem> items;
};

// Items sorted by relative path; a file URL lists that one file.
LsResult ls(CommandContext& ctx, const LsOptions& options);

// As `ls --output-format json` prints it: [{"relative_path", "source_path",
// "item_type": "file" | "folder", "size", "hash"}, ...], null where unknown.
nlohmann::json to_json(const LsResult& result);

struct CatOptions {
  std::string url;
  // Takes the object's bytes, in order, a chunk at a time: the command
  // prints nothing itself (the command line writes standard output, an API
  // collects them). Whatever it throws ends the command.
  std::function<void(std::string_view)> sink;
};

struct CatResult {
  uint64_t bytes = 0;  // handed to the sink
};

// Streams the object's bytes to options.sink.
CatResult cat(CommandContext& ctx, const CatOptions& options);

struct GetOptions {
  std::string url;
  std::optional<std::string> local_path;  // default: the URL's last name in the working directory
  bool overwrite = false;
};

struct GetResult {
  size_t files = 0;  // written (on a dry run: that would be)
};

// Downloads a file, or a folder recursively. Without overwrite, refuses
// (before writing anything) when any target file exists.
GetResult get(CommandContext& ctx, const GetOptions& options);

// {"files"}; cat: {"bytes"}.
nlohmann::json to_json(const GetResult& result);
nlohmann::json to_json(const CatResult& result);

}  // namespace wrapp::commands
