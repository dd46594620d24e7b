// Catalogs: the bill of materials of a file tree at one moment.
//
// A catalog has a root URL and items sorted by relative_path (the primary
// key). Each item records where its bytes were read from (source_path), the
// content hash and the size. The JSON form is written down in
// docs/formats.md. Pure data: no I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/hash.h"

namespace wrapp::model {

struct CatalogItem {
  std::string relative_path;  // forward slashes, validated safe (no "..", not absolute)
  std::string source_path;    // absolute URL of the bytes
  ContentHash hash;           // empty when unknown
  std::optional<uint64_t> size;

  bool same_content(const CatalogItem& o) const { return hash == o.hash && size == o.size; }
};

struct Catalog {
  std::string root;  // URL all relative paths resolve against
  std::vector<CatalogItem> items;

  // Sorts items by relative_path and refuses duplicates (FailedCommand).
  void sort_and_check(std::string_view origin);
  // Binary search; items must be sorted.
  const CatalogItem* find(std::string_view relative_path) const;
  uint64_t total_size() const;

  // `origin` names the file in error messages. Refuses unsafe relative paths,
  // malformed hashes and duplicates with FailedCommand.
  static Catalog from_json(const nlohmann::json& j, std::string_view origin);
  nlohmann::json to_json() const;
};

// Standalone catalog files (`wrapp catalog` output).
inline constexpr int kCatalogFormatVersion = 1;
Catalog parse_catalog_file(std::string_view text, std::string_view origin);
std::string serialize_catalog_file(const Catalog& catalog);

// Differences between two catalogs by relative path and content.
struct CatalogDiff {
  std::vector<CatalogItem> only_in_a;
  std::vector<CatalogItem> only_in_b;
  std::vector<std::pair<CatalogItem, CatalogItem>> different;  // same path, other hash or size
};
CatalogDiff diff_catalogs(const Catalog& a, const Catalog& b);

}  // namespace wrapp::model
