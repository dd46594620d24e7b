// Reading and writing catalogs as JSON, shared by catalog files and .wrapp
// files. Both directions stream (JsonReader, JsonWriter): a catalog of a
// million items costs what its items cost, not a document tree.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "model/catalog.h"
#include "util/json_reader.h"
#include "util/json_writer.h"

namespace wrapp::model {

// The {"root": ..., "items": [...]} object at the reader's position.
// Validates like Catalog::from_json.
Catalog read_catalog(JsonReader& reader);
void write_catalog(JsonWriter& writer, const Catalog& catalog);
// The "root" and "items" members alone, into an object the caller opened.
void write_catalog_members(JsonWriter& writer, const Catalog& catalog);

// A format-version value; anything larger than int64 reads as INT64_MAX,
// which is newer than every version this wrapp knows.
int64_t read_format_version(JsonReader& reader, std::string_view key);

// The first of `keys` found at the top level of the object `text`, with its
// value; key "" and value -1 when none is there. Scanned before the rest is
// read, since the version decides how to read.
struct FormatVersion {
  std::string_view key;
  int64_t value = -1;
};
FormatVersion peek_format_version(std::string_view text, std::string_view origin,
                                  std::initializer_list<std::string_view> keys, const TextWindow* window = nullptr);

}  // namespace wrapp::model
