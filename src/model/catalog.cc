#include "model/catalog.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "model/catalog_json.h"
#include "model/hash.h"
#include "model/package_info.h"
#include "util/error.h"
#include "util/paths.h"

namespace wrapp::model {

using nlohmann::json;

void Catalog::sort_and_check(std::string_view origin) {
  auto by_path = [](const CatalogItem& a, const CatalogItem& b) { return a.relative_path < b.relative_path; };
  // Catalogs are written sorted: checking costs one compare per item,
  // sorting them again n log n.
  if (!std::is_sorted(items.begin(), items.end(), by_path)) std::sort(items.begin(), items.end(), by_path);
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].relative_path == items[i - 1].relative_path) {
      fail("{}: the path '{}' is listed twice", shorten_for_message(origin),
           shorten_for_message(items[i].relative_path));
    }
  }
  // "a" and "a/b" cannot both be files. Sorted order does not put them next
  // to each other ("a.txt" sorts between), so look each parent up: once per
  // run of items in the same folder, since a parent the item before this one
  // shares was looked up for it.
  std::string_view previous;
  for (const auto& item : items) {
    const std::string& p = item.relative_path;
    for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      bool checked = previous.size() > slash && previous[slash] == '/' && previous.compare(0, slash, p, 0, slash) == 0;
      if (!checked && find(std::string_view(p).substr(0, slash))) {
        fail("{}: '{}' is listed as a file and as a folder (of '{}')", shorten_for_message(origin),
             shorten_for_message(p.substr(0, slash)), shorten_for_message(p));
      }
    }
    previous = p;
  }
}

const CatalogItem* Catalog::find(std::string_view relative_path) const {
  auto it = std::lower_bound(items.begin(), items.end(), relative_path,
                             [](const CatalogItem& a, std::string_view p) { return a.relative_path < p; });
  if (it == items.end() || it->relative_path != relative_path) return nullptr;
  return &*it;
}

uint64_t Catalog::total_size() const {
  uint64_t total = 0;
  for (const auto& item : items) total += item.size.value_or(0);
  return total;
}

std::string Catalog::derived_source(const CatalogItem& item) const {
  std::string out = root;
  if (out.empty() || out.back() != '/') out.push_back('/');
  out += percent_encode_path(item.relative_path);
  return out;
}

std::string Catalog::source_of(const CatalogItem& item) const {
  return item.source_path().empty() ? derived_source(item) : item.source_path();
}

bool is_absolute_location(std::string_view location) {
  return location.starts_with('/') || location.find("://") != std::string_view::npos;
}

std::string Catalog::fetch_url(const CatalogItem& item) const {
  if (!storage_map.empty() && !item.hash.empty()) {
    auto it = storage_map.find(item.hash.str());
    if (it != storage_map.end()) {
      if (is_absolute_location(it->second)) return it->second;
      CatalogItem mapped;
      mapped.relative_path = it->second;
      return derived_source(mapped);
    }
  }
  return source_of(item);
}

std::string Catalog::storage_path(const CatalogItem& item) const {
  if (!storage_map.empty() && !item.hash.empty()) {
    auto it = storage_map.find(item.hash.str());
    if (it != storage_map.end() && !is_absolute_location(it->second)) return it->second;
  }
  return item.relative_path;
}

std::string_view ItemExtra::get(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return v;
  }
  return {};
}

void CatalogItem::set_extra(std::string_view key, std::string_view json_text) {
  ItemExtra next = extra ? *extra : ItemExtra{};
  auto& m = next.members;
  m.erase(std::remove_if(m.begin(), m.end(), [&](const auto& kv) { return kv.first == key; }), m.end());
  if (!json_text.empty()) m.emplace_back(std::string(key), std::string(json_text));
  extra = m.empty() && next.source_path.empty() ? nullptr : std::make_shared<const ItemExtra>(std::move(next));
}

CatalogItem make_item(std::string relative_path, std::string source_path, ContentHash hash,
                      std::optional<uint64_t> size) {
  CatalogItem item{std::move(relative_path), std::move(hash), size, nullptr};
  item.set_source_path(std::move(source_path));
  return item;
}

const std::string& CatalogItem::source_path() const {
  static const std::string kNone;
  return extra ? extra->source_path : kNone;
}

void CatalogItem::set_source_path(std::string url) {
  if (url.empty() && !extra) return;
  ItemExtra next = extra ? *extra : ItemExtra{};
  next.source_path = std::move(url);
  extra = next.members.empty() && next.source_path.empty() ? nullptr
                                                            : std::make_shared<const ItemExtra>(std::move(next));
}

std::shared_ptr<const ItemExtra> CatalogItem::kept_members() const {
  if (!extra || extra->source_path.empty()) return extra;
  if (extra->members.empty()) return nullptr;
  return std::make_shared<const ItemExtra>(ItemExtra{extra->members, ""});
}

bool Catalog::is_derived(std::string_view source_path, std::string_view relative_path) const {
  // root + "/" + %-encoded relative path, compared in place (no string built).
  std::string_view prefix = root;
  size_t cut = prefix.size();
  if (source_path.substr(0, cut) != prefix) return false;
  if (prefix.empty() || prefix.back() != '/') {
    if (source_path.size() <= cut || source_path[cut] != '/') return false;
    ++cut;
  }
  return equals_percent_encoded(source_path.substr(cut), relative_path);
}

void Catalog::compact() {
  for (auto& item : items) {
    if (!item.source_path().empty() && is_derived(item.source_path(), item.relative_path)) item.set_source_path("");
  }
}

int64_t read_format_version(JsonReader& r, std::string_view key) {
  if (r.peek() != JsonReader::Type::kNumber) r.error(fmt::format("'{}' is not an integer", key));
  int64_t v;
  if (r.read_int64(v)) return v;
  uint64_t u;
  if (r.read_uint64(u)) return INT64_MAX;  // larger than any version we know
  r.error(fmt::format("'{}' is not an integer", key));
}

FormatVersion peek_format_version(std::string_view text, std::string_view origin,
                                  std::initializer_list<std::string_view> keys, const TextWindow* window) {
  if (window && window->restart) window->restart();
  JsonReader r(text, origin);
  r.use_window(window);
  if (r.peek() != JsonReader::Type::kObject) return {};
  r.begin_object();
  std::string k;
  while (r.next_key(k)) {
    for (std::string_view key : keys) {
      if (k == key) return {key, read_format_version(r, key)};
    }
    r.skip_value();
  }
  return {};
}

namespace {

// The text an item is read through, reused from item to item: a hash's
// text is longer than a short string's inline buffer, so a fresh string
// per item cost one allocation each. Kept by the caller, never in a
// thread_local: a thread's first thread_local with a destructor takes the
// dynamic loader's lock, which a cold dlopen of the hashing library on
// another thread holds for 15 ms (docs/performance.md).
struct ItemText {
  std::string key;
  std::string text;
  std::string source;
};

// `root`: the catalog's root when already read (it usually comes first), so
// a derivable source_path is never stored at all.
CatalogItem read_item(JsonReader& r, const Catalog* root_known, ItemText& scratch) {
  const std::string& origin = r.origin();
  if (r.peek() != JsonReader::Type::kObject) fail("{}: a catalog item is not a JSON object", origin);
  r.begin_object();
  CatalogItem item;
  bool has_path = false, has_source = false;
  std::string& key = scratch.key;
  std::string& text = scratch.text;
  std::string& source = scratch.source;
  while (r.next_key(key)) {
    if (key == "relative_path") {
      if (r.peek() != JsonReader::Type::kString) fail("{}: a catalog item's 'relative_path' is not text", origin);
      r.read_string(item.relative_path);
      has_path = true;
    } else if (key == "source_path") {
      if (r.try_null()) continue;
      if (r.peek() != JsonReader::Type::kString) fail("{}: a catalog item's 'source_path' is not text", origin);
      r.read_string(source);
      has_source = true;
    } else if (key == "hash") {
      if (r.try_null()) continue;
      if (r.peek() != JsonReader::Type::kString) fail("{}: a catalog item's hash is not text", origin);
      r.read_string(text);
      if (!text.empty()) {
        auto digest = parse_hash(text);
        if (!digest) {
          fail("{}: a catalog item has a hash in an unknown format: '{}'", origin, shorten_for_message(text));
        }
        item.hash = ContentHash(*digest);
      }
    } else if (key == "size") {
      if (r.try_null()) continue;
      uint64_t n;
      if (!r.read_uint64(n)) fail("{}: a catalog item's size is not a non-negative integer", origin);
      item.size = n;
    } else if (r.try_null()) {
      // A null member reads as absent (and, as the last of duplicate
      // keys, removes an earlier value).
      if (item.extra) item.set_extra(key, "");
    } else {
      // tags, checkpoint of the original, keys of newer writers: kept as
      // read. The last of duplicate keys wins.
      item.set_extra(key, r.skip_value());
    }
  }
  if (!has_path) fail("{}: a catalog item has no 'relative_path'", origin);
  if (std::string_view problem = relative_path_problem(item.relative_path); !problem.empty()) {
    fail("{}: refusing unsafe path '{}' ({})", origin, shorten_for_message(item.relative_path), problem);
  }
  if (has_source && !(root_known && root_known->is_derived(source, item.relative_path))) {
    item.set_source_path(source);  // a copy: `source` is reused for the next item
  }
  return item;
}

// The reference's StorageMap, {"storage_map": {hash: location}} as pydantic
// writes it, or the inner object alone. Every hash is a valid content hash
// (stored in its canonical text form); every location an absolute URL or a
// safe path below the catalog's root.
void read_storage_map(JsonReader& r, Catalog& c) {
  const std::string& origin = r.origin();
  if (r.try_null()) return;
  if (r.peek() != JsonReader::Type::kObject) fail("{}: the catalog's 'storage_map' is not an object", origin);
  r.begin_object();
  std::string key, location;
  while (r.next_key(key)) {
    if (key == "storage_map") {
      read_storage_map(r, c);  // the pydantic wrapper: one level, the inner object has hash keys only
      continue;
    }
    auto digest = parse_hash(key);
    if (!digest) fail("{}: the storage_map has a key that is not a content hash: '{}'", origin, shorten_for_message(key));
    if (r.peek() != JsonReader::Type::kString) fail("{}: a storage_map location is not text", origin);
    r.read_string(location);
    if (!is_absolute_location(location)) {
      if (std::string_view problem = relative_path_problem(location); !problem.empty()) {
        fail("{}: refusing unsafe storage_map location '{}' ({})", origin, shorten_for_message(location), problem);
      }
    }
    c.storage_map.insert_or_assign(ContentHash(*digest).str(), location);
  }
}

// Reads the "root", "items" or "storage_map" member into `c`; false for
// other keys.
bool read_catalog_member(JsonReader& r, const std::string& key, Catalog& c, bool& has_items) {
  const std::string& origin = r.origin();
  if (key == "storage_map") {
    read_storage_map(r, c);
    return true;
  }
  if (key == "root") {
    if (r.try_null()) return true;
    if (r.peek() != JsonReader::Type::kString) fail("{}: the catalog's 'root' is not text", origin);
    r.read_string(c.root);
    return true;
  }
  if (key == "items") {
    if (r.peek() != JsonReader::Type::kArray) fail("{}: the catalog has no 'items' list", origin);
    // Allocated once: a growing vector of a million items briefly holds
    // three times their size.
    c.items.reserve(c.items.size() + r.count_ahead("\"relative_path\""));
    r.begin_array();
    bool root_read = !c.root.empty();
    ItemText scratch;
    while (r.next_element()) c.items.push_back(read_item(r, root_read ? &c : nullptr, scratch));
    c.items.shrink_to_fit();
    has_items = true;
    return true;
  }
  return false;
}

void finish_catalog(Catalog& c, bool has_items, std::string_view origin) {
  if (!has_items) fail("{}: the catalog has no 'items' list", origin);
  c.sort_and_check(origin);
  c.compact();
}

}  // namespace

Catalog read_catalog(JsonReader& r) {
  if (r.peek() != JsonReader::Type::kObject) fail("{}: the catalog is not a JSON object", r.origin());
  r.begin_object();
  Catalog c;
  bool has_items = false;
  std::string key;
  while (r.next_key(key)) {
    if (!read_catalog_member(r, key, c, has_items)) r.skip_value();
  }
  finish_catalog(c, has_items, r.origin());
  return c;
}

void write_catalog_members(JsonWriter& w, const Catalog& catalog) {
  w.key("root");
  w.string(catalog.root);
  w.key("items");
  w.begin_array();
  for (const auto& item : catalog.items) {
    w.begin_object();
    w.key("relative_path");
    w.string(item.relative_path);
    w.key("source_path");
    w.string(catalog.source_of(item));
    w.key("hash");
    if (item.hash.empty()) {
      w.null();
    } else {
      w.string(item.hash.str());
    }
    w.key("size");
    if (item.size) {
      w.number(*item.size);
    } else {
      w.null();
    }
    if (item.extra) {
      for (const auto& [key, value] : item.extra->members) {
        w.key(key);
        w.raw(value);
      }
    }
    w.end_object();
  }
  w.end_array();
  if (!catalog.storage_map.empty()) {
    w.key("storage_map");
    w.begin_object();
    w.key("storage_map");
    w.begin_object();
    for (const auto& [hash, location] : catalog.storage_map) {
      w.key(hash);
      w.string(location);
    }
    w.end_object();
    w.end_object();
  }
}

void write_catalog(JsonWriter& w, const Catalog& catalog) {
  w.begin_object();
  write_catalog_members(w, catalog);
  w.end_object();
}

Catalog Catalog::from_json(const json& j, std::string_view origin) {
  std::string text = j.dump();
  JsonReader r(text, origin);
  Catalog c = read_catalog(r);
  r.expect_end();
  return c;
}

json Catalog::to_json() const {
  std::string text;
  JsonWriter w(text);
  write_catalog(w, *this);
  return json::parse(text);
}

Catalog parse_catalog_file(std::string_view text, std::string_view origin, const TextWindow* window) {
  // One scan for either version key: both writers put it first, so this
  // stops at once instead of reading a whole catalog for a key it lacks.
  JsonReader r(text, origin);
  const std::string& where = r.origin();
  auto found = peek_format_version(text, where, {"wrapp_catalog_version", "wrapp_format_version"}, window);
  if (found.key == "wrapp_catalog_version" && found.value > kCatalogFormatVersion) {
    fail("{}: written by a newer wrapp (catalog format newer than {}); upgrade wrapp", where, kCatalogFormatVersion);
  }
  if (found.key == "wrapp_format_version" && found.value > kPackageFormatVersion) {
    fail("{}: written by a newer wrapp (format version newer than {}); upgrade wrapp", where, kPackageFormatVersion);
  }
  // A catalog file, or a .wrapp file whose embedded catalog is used.
  if (window && window->restart) window->restart();
  r.use_window(window);
  if (r.peek() != JsonReader::Type::kObject) fail("{}: not a catalog (expected a JSON object)", where);
  r.begin_object();
  Catalog c, nested;
  bool has_items = false, has_nested = false;
  std::string key;
  while (r.next_key(key)) {
    if (key == "catalog" && r.peek() == JsonReader::Type::kObject) {
      nested = read_catalog(r);
      has_nested = true;
    } else if ((key == "wrapp_catalog_version" || key == "wrapp_format_version")) {
      read_format_version(r, key);
    } else if (!read_catalog_member(r, key, c, has_items)) {
      r.skip_value();
    }
  }
  r.expect_end();
  if (has_nested) return nested;
  finish_catalog(c, has_items, where);
  return c;
}

void write_catalog_file(JsonWriter& w, const Catalog& catalog) {
  w.begin_object();
  w.key("wrapp_catalog_version");
  w.number(static_cast<uint64_t>(kCatalogFormatVersion));
  write_catalog_members(w, catalog);
  w.end_object();
}

std::string serialize_catalog_file(const Catalog& catalog) {
  std::string out;
  out.reserve(catalog.items.size() * 200 + 128);
  JsonWriter w(out);
  write_catalog_file(w, catalog);
  out.push_back('\n');
  return out;
}

CatalogDiff diff_catalogs(const Catalog& a, const Catalog& b, bool ignore_tags) {
  CatalogDiff d;
  size_t i = 0, k = 0;
  while (i < a.items.size() || k < b.items.size()) {
    if (k == b.items.size() || (i < a.items.size() && a.items[i].relative_path < b.items[k].relative_path)) {
      d.only_in_a.push_back(a.items[i++]);
    } else if (i == a.items.size() || b.items[k].relative_path < a.items[i].relative_path) {
      d.only_in_b.push_back(b.items[k++]);
    } else {
      const CatalogItem& x = a.items[i];
      const CatalogItem& y = b.items[k];
      if (!x.same_content(y) || (!ignore_tags && x.tags() != y.tags())) d.different.emplace_back(x, y);
      ++i;
      ++k;
    }
  }
  return d;
}

}  // namespace wrapp::model

// A catalog can hold millions of items: keep the item small (its rare parts
// live in ItemExtra). 104 bytes with libstdc++ on 64-bit systems.
static_assert(sizeof(wrapp::model::CatalogItem) <= 104, "CatalogItem grew: move rare members into ItemExtra");
