// catalog, diff, count: working with catalog files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ignore_rules.h"
#include "commands/context.h"
#include "model/catalog.h"

namespace wrapp::commands {

struct CatalogOptions {
  std::string root_dir;                    // the folder to walk ("" with file_list)
  std::optional<std::string> ignore_file;  // instead of <root>/.wrappignore
  // Instead of both (the Python API's IgnoreEvaluator): tree.h load_ignore_rules.
  model::IgnoreEvaluator::Predicate ignore_predicate;
  // Instead of a walk: the files listed in a TSV file, one per line,
  // `<base URL>\t<file URL>[\t...]` (what `ls --output-format tsv` prints).
  // The base URL is the catalog's root and must be the same on every line.
  std::optional<std::string> file_list;
  bool skip_missing = false;  // a listed file that does not exist is left out (with a warning), not an error
  // Allow reading the bytes to hash them where the storage keeps no hash.
  // Every storage of this build is hashed by reading (local files, memory):
  // the option changes nothing yet; it will for stores that keep hashes.
  bool local_hash = false;
  bool tags = false;  // the reference's Nucleus tags: no storage of this build has them
  // The catalog file to write (replaced if it exists; not on a dry run).
  // Without it the catalog is only returned, as the reference's Python
  // `catalog()` does.
  std::optional<std::string> output;
};

struct CatalogResult {
  model::Catalog catalog;
  std::string output;  // URL of the catalog file written (or, on a dry run, not written); "" without one
};

// Walks (or reads the file list) and hashes, then writes options.output.
CatalogResult catalog(CommandContext& ctx, const CatalogOptions& options);

// {"catalog": the catalog file's JSON, "output"}.
nlohmann::json to_json(const CatalogResult& result);

// The lines of a TSV file list: (base URL, file URL) pairs, as the reference's
// `catalog(file_list=[(base, url), ...])` takes them. Refuses (naming the
// file and line) lines without a tab, empty fields and more than
// kMaxFileListLines lines. Blank lines are skipped.
inline constexpr size_t kMaxFileListLines = 50'000'000;
std::vector<std::pair<std::string, std::string>> parse_file_list(std::string_view text, std::string_view origin);

// Writes a catalog file atomically, replacing an existing one unless
// `overwrite` is false (then an existing file fails with kAlreadyExists).
void write_catalog_file(CommandContext& ctx, const model::Catalog& catalog, const std::string& output,
                        bool overwrite = true);
model::Catalog load_catalog_file(CommandContext& ctx, const std::string& location);

struct DiffOptions {
  std::string catalog_a;
  std::string catalog_b;
  bool ignore_tags = false;  // compare content only
};

struct DiffResult {
  model::CatalogDiff diff;
  bool identical() const { return diff.only_in_a.empty() && diff.only_in_b.empty() && diff.different.empty(); }
};

// Files only in A, only in B, and in both with different content (or tags,
// unless ignore_tags).
DiffResult diff(CommandContext& ctx, const DiffOptions& options);

// As `diff --json` prints it: {"only_in_a", "only_in_b", "different": [{"a", "b"}]}.
nlohmann::json to_json(const DiffResult& result);

struct CountOptions {
  std::string catalog_file;
};

struct CountResult {
  size_t files = 0;
  uint64_t bytes = 0;
  size_t unique_contents = 0;  // distinct hashes
  uint64_t unique_bytes = 0;   // bytes counting each distinct hash once
  size_t duplicate_files = 0;  // files whose content appears earlier in the catalog
  size_t folders = 0;          // distinct parent folders
};
CountResult count(CommandContext& ctx, const CountOptions& options);

// As `count --json` prints it: every field by its name.
nlohmann::json to_json(const CountResult& result);

}  // namespace wrapp::commands
