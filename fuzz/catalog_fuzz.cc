// model::parse_catalog_file on any input (catalog files and .wrapp files);
// what it accepts is sorted, unique, safe, and reads back the same.
#include "fuzz/fuzz_support.h"
#include "model/catalog.h"
#include "util/paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::optional<model::Catalog> c;
  if (!fuzz::accepted([&] { c = model::parse_catalog_file(fuzz::as_text(data, size), "fuzz.json"); })) return 0;
  for (size_t i = 0; i < c->items.size(); ++i) {
    require(is_safe_relative_path(c->items[i].relative_path), "unsafe path accepted");
    require(i == 0 || c->items[i - 1].relative_path < c->items[i].relative_path, "items not sorted and unique");
  }
  model::Catalog back = model::parse_catalog_file(model::serialize_catalog_file(*c), "rewritten.json");
  require(back.root == c->root && back.items.size() == c->items.size(), "a rewrite changed the catalog");
  for (size_t i = 0; i < c->items.size(); ++i) {
    const auto &a = c->items[i], &b = back.items[i];
    require(a.relative_path == b.relative_path && a.same_content(b) && c->source_of(a) == back.source_of(b),
            "a rewrite changed an item");
  }
  return 0;
}
