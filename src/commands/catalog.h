// catalog, diff, count: working with catalog files.
#pragma once

#include <optional>
#include <string>

#include "commands/context.h"
#include "model/catalog.h"

namespace wrapp::commands {

struct CatalogOptions {
  std::string root_dir;
  std::optional<std::string> ignore_file;  // instead of <root>/.wrappignore
};

// Walks and hashes the tree; does not write anything.
model::Catalog catalog(CommandContext& ctx, const CatalogOptions& options);

// Writes a catalog file atomically (replacing an existing one).
void write_catalog_file(CommandContext& ctx, const model::Catalog& catalog, const std::string& output);
model::Catalog load_catalog_file(CommandContext& ctx, const std::string& location);

// Files only in A, only in B, and in both with different content.
model::CatalogDiff diff(CommandContext& ctx, const std::string& catalog_a, const std::string& catalog_b);

struct CatalogCount {
  size_t files = 0;
  uint64_t bytes = 0;
  size_t unique_contents = 0;  // distinct hashes
  uint64_t unique_bytes = 0;   // bytes counting each distinct hash once
  size_t duplicate_files = 0;  // files whose content appears earlier in the catalog
  size_t folders = 0;          // distinct parent folders
};
CatalogCount count(CommandContext& ctx, const std::string& catalog_file);

}  // namespace wrapp::commands
