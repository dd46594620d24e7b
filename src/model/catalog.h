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

namespace wrapp {
class JsonWriter;
struct TextWindow;
}

namespace wrapp::model {

struct CatalogItem {
  std::string relative_path;  // forward slashes, validated safe (no "..", not absolute)
  // Absolute URL of the bytes; empty when it is root + "/" + the %-encoded
  // relative path (the usual case, not stored twice in memory). Read it
  // through Catalog::source_of().
  std::string source_path;
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

  // URL of the item's bytes (see CatalogItem::source_path).
  std::string source_of(const CatalogItem& item) const;
  // Clears every source_path that source_of() would derive anyway.
  void compact();

  // `origin` names the file in error messages. Refuses unsafe relative paths,
  // malformed hashes and duplicates with FailedCommand.
  static Catalog from_json(const nlohmann::json& j, std::string_view origin);
  nlohmann::json to_json() const;

 private:
  std::string derived_source(const CatalogItem& item) const;
 public:
  // Whether `source_path` is exactly what source_of() derives for
  // `relative_path`.
  bool is_derived(std::string_view source_path, std::string_view relative_path) const;
};

// Standalone catalog files (`wrapp catalog` output).
inline constexpr int kCatalogFormatVersion = 1;
// Accepts a catalog file or a .wrapp file (its embedded catalog). `window`,
// when given, is told how far the parse got (mapped files).
Catalog parse_catalog_file(std::string_view text, std::string_view origin, const TextWindow* window = nullptr);
std::string serialize_catalog_file(const Catalog& catalog);
void write_catalog_file(JsonWriter& writer, const Catalog& catalog);

// Differences between two catalogs by relative path and content.
struct CatalogDiff {
  std::vector<CatalogItem> only_in_a;
  std::vector<CatalogItem> only_in_b;
  std::vector<std::pair<CatalogItem, CatalogItem>> different;  // same path, other hash or size
};
CatalogDiff diff_catalogs(const Catalog& a, const Catalog& b);

}  // namespace wrapp::model
