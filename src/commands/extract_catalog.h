// extract-catalog: the catalog of a repository version, optionally flattened
// over its whole dependency tree (each subpackage's items below the folder
// install puts it in), optionally with the package files themselves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "commands/context.h"
#include "commands/package_tree.h"
#include "model/catalog.h"

namespace wrapp::commands {

struct ExtractCatalogOptions {
  std::string package;
  std::string version;
  std::string repo;
  // Catalog file to write (the `wrapp catalog` format); none: only return it.
  std::optional<std::string> output;
  bool overwrite = false;        // replace an existing output file
  bool recursive = false;        // flatten over the dependency tree
  bool add_wrapp_files = false;  // add each package's .wrapp file as an item
};

// One package of the extracted tree.
struct ExtractedPackage {
  std::string package;
  std::string version;
  std::string repository;    // URL it was read from
  std::string wrapp_file;    // URL of its package file there
  std::string install_path;  // relative to the top's folder ("" = the top's)
  size_t items = 0;          // items it contributed (its .wrapp file included)
};

struct ExtractCatalogResult {
  model::Catalog catalog;
  std::vector<ExtractedPackage> packages;  // top first, then depth first
  std::string output;                      // URL written ("" when none, or a dry run)
};

// Items point where their bytes are (Catalog::fetch_url: source_path, or the
// storage_map's location); the result has no storage_map. A path installed
// by two packages, a package reached twice at one place in two versions,
// a missing dependency and a cycle are refused (FailedCommand). The output
// is written create-only unless `overwrite`; an existing one is refused
// before anything is read.
ExtractCatalogResult extract_catalog(CommandContext& ctx, const ExtractCatalogOptions& options);

// The same flattening from a tree top already read (create-metapackage
// checks the tree it is about to publish).
ExtractCatalogResult flatten_package_tree(CommandContext& ctx, const RepoTreeNode& top, bool recursive,
                                          bool add_wrapp_files);

// {"catalog_file", "items", "bytes", "packages": [{package, version,
// repository, wrapp_file, install_path, items}]}
nlohmann::json to_json(const ExtractCatalogResult& result);

}  // namespace wrapp::commands
