#include "model/catalog.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "model/hash.h"
#include "model/package_info.h"
#include "util/paths.h"
#include "util/error.h"

namespace wrapp::model {

using nlohmann::json;

void Catalog::sort_and_check(std::string_view origin) {
  std::sort(items.begin(), items.end(),
            [](const CatalogItem& a, const CatalogItem& b) { return a.relative_path < b.relative_path; });
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].relative_path == items[i - 1].relative_path) {
      fail("{}: the path '{}' is listed twice", origin, items[i].relative_path);
    }
  }
  // "a" and "a/b" cannot both be files. Sorted order does not put them next
  // to each other ("a.txt" sorts between), so look each parent up.
  for (const auto& item : items) {
    const std::string& p = item.relative_path;
    for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      if (find(std::string_view(p).substr(0, slash))) {
        fail("{}: '{}' is listed as a file and as a folder (of '{}')", origin, p.substr(0, slash), p);
      }
    }
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

Catalog Catalog::from_json(const json& j, std::string_view origin) {
  if (!j.is_object()) fail("{}: the catalog is not a JSON object", origin);
  Catalog c;
  if (auto it = j.find("root"); it != j.end() && it->is_string()) c.root = it->get<std::string>();
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) fail("{}: the catalog has no 'items' list", origin);
  c.items.reserve(items->size());
  for (const auto& ji : *items) {
    if (!ji.is_object()) fail("{}: a catalog item is not a JSON object", origin);
    CatalogItem item;
    auto rel = ji.find("relative_path");
    if (rel == ji.end() || !rel->is_string()) fail("{}: a catalog item has no 'relative_path'", origin);
    item.relative_path = rel->get<std::string>();
    if (!is_safe_relative_path(item.relative_path)) {
      fail("{}: refusing unsafe path '{}' (absolute, '..', empty segment, backslash or control character)",
           origin, item.relative_path);
    }
    if (auto sp = ji.find("source_path"); sp != ji.end() && sp->is_string()) item.source_path = sp->get<std::string>();
    if (auto h = ji.find("hash"); h != ji.end() && !h->is_null()) {
      if (!h->is_string()) fail("{}: the hash of '{}' is not a string", origin, item.relative_path);
      const std::string& text = h->get_ref<const std::string&>();
      if (!text.empty() && !is_valid_hash(text)) {
        fail("{}: '{}' has a hash in an unknown format: '{}'", origin, item.relative_path, text);
      }
      item.hash = ContentHash(text);
    }
    if (auto s = ji.find("size"); s != ji.end() && !s->is_null()) {
      if (!s->is_number_unsigned() && !(s->is_number_integer() && s->get<int64_t>() >= 0)) {
        fail("{}: the size of '{}' is not a non-negative integer", origin, item.relative_path);
      }
      item.size = s->get<uint64_t>();
    }
    c.items.push_back(std::move(item));
  }
  c.sort_and_check(origin);
  return c;
}

json Catalog::to_json() const {
  json arr = json::array();
  for (const auto& item : items) {
    json ji = json::object();
    ji["relative_path"] = item.relative_path;
    ji["source_path"] = item.source_path;
    ji["hash"] = item.hash.empty() ? json(nullptr) : json(item.hash.str());
    ji["size"] = item.size ? json(*item.size) : json(nullptr);
    arr.push_back(std::move(ji));
  }
  json j = json::object();
  j["root"] = root;
  j["items"] = std::move(arr);
  return j;
}

Catalog parse_catalog_file(std::string_view text, std::string_view origin) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("{}: not a valid JSON catalog file", origin);
  if (!j.is_object()) fail("{}: not a catalog (expected a JSON object)", origin);
  if (auto v = j.find("wrapp_catalog_version"); v != j.end()) {
    if (!v->is_number_integer()) fail("{}: 'wrapp_catalog_version' is not an integer", origin);
    if (is_newer_format(*v, kCatalogFormatVersion)) {
      fail("{}: written by a newer wrapp (catalog format {}, this wrapp reads up to {}); upgrade wrapp", origin,
           v->dump(), kCatalogFormatVersion);
    }
  }
  // A .wrapp file is accepted too: its embedded catalog is used.
  if (auto c = j.find("catalog"); c != j.end() && c->is_object()) {
    if (auto v = j.find("wrapp_format_version"); v != j.end() && v->is_number_integer() && is_newer_format(*v, kPackageFormatVersion)) {
      fail("{}: written by a newer wrapp (format version {}, this wrapp reads up to {}); upgrade wrapp", origin,
           v->dump(), kPackageFormatVersion);
    }
    return Catalog::from_json(*c, origin);
  }
  return Catalog::from_json(j, origin);
}

std::string serialize_catalog_file(const Catalog& catalog) {
  json j = json::object();
  j["wrapp_catalog_version"] = kCatalogFormatVersion;
  json body = catalog.to_json();
  j["root"] = std::move(body["root"]);
  j["items"] = std::move(body["items"]);
  return j.dump(1, '\t') + "\n";
}

CatalogDiff diff_catalogs(const Catalog& a, const Catalog& b) {
  CatalogDiff d;
  size_t i = 0, k = 0;
  while (i < a.items.size() || k < b.items.size()) {
    if (k == b.items.size() || (i < a.items.size() && a.items[i].relative_path < b.items[k].relative_path)) {
      d.only_in_a.push_back(a.items[i++]);
    } else if (i == a.items.size() || b.items[k].relative_path < a.items[i].relative_path) {
      d.only_in_b.push_back(b.items[k++]);
    } else {
      if (!a.items[i].same_content(b.items[k])) d.different.emplace_back(a.items[i], b.items[k]);
      ++i;
      ++k;
    }
  }
  return d;
}

}  // namespace wrapp::model
