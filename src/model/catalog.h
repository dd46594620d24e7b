// Catalogs: the bill of materials of a file tree at one moment.
//
// A catalog has a root URL and items sorted by relative_path (the primary
// key). Each item records where its bytes were read from (source_path), the
// content hash and the size. The JSON form is written down in
// docs/formats.md. Pure data: no I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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

// What few catalog items have, kept out of CatalogItem so that the others
// do not pay for it (a catalog of a million items holds a million
// CatalogItems): members that wrapp does not interpret but keeps (the
// reference's `tags`, Nucleus tags, `checkpoint`, keys of newer writers;
// each value is its JSON text as read, checked, so bounded in depth), and a
// source_path that is not the derived one. Shared and immutable: copying an
// item copies a pointer, and the usual item (none of these) pays one null
// pointer.
struct ItemExtra {
  std::vector<std::pair<std::string, std::string>> members;  // key -> JSON text, in file order
  std::string source_path;  // CatalogItem::source_path()

  // The JSON text of `key`, or "" when the item has none.
  std::string_view get(std::string_view key) const;
};

struct CatalogItem {
  std::string relative_path;  // forward slashes, validated safe (no "..", not absolute)
  ContentHash hash;           // empty when unknown
  std::optional<uint64_t> size;
  // Null when the item has no other members and no source_path.
  std::shared_ptr<const ItemExtra> extra;

  // Absolute URL of the bytes; "" when it is root + "/" + the %-encoded
  // relative path (the usual case, not stored at all). Read it through
  // Catalog::source_of().
  const std::string& source_path() const;
  // Sets it; "" clears it.
  void set_source_path(std::string url);
  // `extra` without the source_path (null when no member is left): what an
  // item takes along when its bytes are copied where their source is
  // derived again (a new version).
  std::shared_ptr<const ItemExtra> kept_members() const;

  bool same_content(const CatalogItem& o) const { return hash == o.hash && size == o.size; }
  // The same content as far as both know: sizes equal where both record
  // one, hashes equal where both record one (the reference allows either
  // to be null). A catalog with nulls against one written after the bytes
  // were read.
  bool same_known_content(const CatalogItem& o) const {
    return (!size || !o.size || *size == *o.size) && (hash.empty() || o.hash.empty() || hash == o.hash);
  }
  // The item's `tags` as JSON text ("" when none or null).
  std::string_view tags() const { return extra ? extra->get("tags") : std::string_view(); }
  // Sets (or, with "", removes) one kept member.
  void set_extra(std::string_view key, std::string_view json_text);
};

// An item with a source_path ("" for the derived one): what a brace list
// gave when source_path was a member.
CatalogItem make_item(std::string relative_path, std::string source_path, ContentHash hash,
                      std::optional<uint64_t> size);

struct Catalog {
  std::string root;  // URL all relative paths resolve against
  std::vector<CatalogItem> items;
  // The reference's StorageMap: content hash (its text form) -> where the
  // bytes of every item with that hash are stored: a path relative to
  // `root` (export --dedup: one tar member per distinct content) or an
  // absolute URL. Empty for catalogs without one.
  std::map<std::string, std::string, std::less<>> storage_map;

  // Sorts items by relative_path and refuses duplicates (FailedCommand).
  void sort_and_check(std::string_view origin);
  // Binary search; items must be sorted.
  const CatalogItem* find(std::string_view relative_path) const;
  uint64_t total_size() const;

  // The item's recorded source_path (see CatalogItem::source_path).
  std::string source_of(const CatalogItem& item) const;
  // Where to read the item's bytes from: its storage_map entry (an absolute
  // URL, or a path below root) when there is one, else source_of(). The
  // reference's Catalog.get_source_url_for_item.
  std::string fetch_url(const CatalogItem& item) const;
  // Where the bytes sit relative to root: the storage_map path when the map
  // has a relative one for the item, else relative_path. The reference's
  // Catalog.get_storage_path_for_item.
  std::string storage_path(const CatalogItem& item) const;
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

// A location (storage_map value, source_path) that names a URL or an
// absolute path rather than a path below a catalog's root.
bool is_absolute_location(std::string_view location);

// Standalone catalog files (`wrapp catalog` output).
inline constexpr int kCatalogFormatVersion = 1;
// Accepts a catalog file or a .wrapp file (its embedded catalog). `window`,
// when given, is told how far the parse got (mapped files).
Catalog parse_catalog_file(std::string_view text, std::string_view origin, const TextWindow* window = nullptr);
std::string serialize_catalog_file(const Catalog& catalog);
void write_catalog_file(JsonWriter& writer, const Catalog& catalog);

// Differences between two catalogs by relative path and content, and by
// tags unless `ignore_tags` (tags compare as the JSON text read).
struct CatalogDiff {
  std::vector<CatalogItem> only_in_a;
  std::vector<CatalogItem> only_in_b;
  std::vector<std::pair<CatalogItem, CatalogItem>> different;  // same path, other hash, size (or tags)
};
CatalogDiff diff_catalogs(const Catalog& a, const Catalog& b, bool ignore_tags = false);

}  // namespace wrapp::model
