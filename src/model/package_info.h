// Package metadata: the content of a `.<name>.wrapp` file.
//
// The same structure describes a repository version, an installed copy (the
// install marker) and a `wrapp new` dependency file. Format and versioning
// rules: docs/formats.md. Pure data: no I/O here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/catalog.h"
#include "util/json_reader.h"
#include "util/json_writer.h"

namespace wrapp::model {

// Written into every .wrapp file; readers accept this and older versions and
// refuse newer ones with a message asking to upgrade.
inline constexpr int kPackageFormatVersion = 1;

struct Dependency {
  std::string package;
  std::string version;
  std::string repository;            // URL the dependency was installed from
  std::string relative_destination;  // install location relative to the parent package root

  bool operator==(const Dependency&) const = default;
};

struct PackageInfo {
  std::string name;
  std::string version;
  std::optional<Catalog> catalog;  // absent for `wrapp new` without --catalog
  std::vector<Dependency> dependencies;
  std::optional<std::string> source;      // root of the last create
  std::optional<std::string> repository;  // repository of the last create/install/mirror
  // Unknown fields, kept on rewrite: key -> the value's JSON text as read
  // (checked by the reader, so at most kMaxJsonDepth deep). Text, not a
  // document tree: it costs what it weighs, whatever it holds.
  std::map<std::string, std::string, std::less<>> extra;

  // `window`, when given, is told how far the parse got (mapped files).
  static PackageInfo parse(std::string_view text, std::string_view origin, const TextWindow* window = nullptr);
  // The version the package file `text` names before its catalog, read
  // from its head alone (microseconds, where parse() takes milliseconds a
  // thousand items); nullopt when the catalog comes first or the head is
  // not what parse() accepts. A hint for planning only: parse() decides.
  static std::optional<std::string> peek_version(std::string_view text);
  std::string serialize() const;
  // The same JSON object, into a (possibly streaming) writer.
  void write(JsonWriter& writer) const;
};

// A list of dependencies on its own (create-metapackage --dependencies-file):
// a JSON list of dependency objects as a .wrapp file holds them, or an
// object whose "dependencies" member is one (a .wrapp file; its other
// members are skipped). Each is checked as in a .wrapp file: safe names and
// versions, a safe relative_destination (normalised).
std::vector<Dependency> parse_dependency_list(std::string_view text, std::string_view origin);

// A dependency's install location as the reference's writers spell it,
// in the one form wrapp keeps: "." and "./" are the parent's own folder
// (""), "./x", "x/" and "x/./y" drop their "." segments and the trailing
// "/". "..", "a//b" and absolute paths are kept as they are, for the
// caller's safety check to refuse.
std::string normalize_relative_destination(std::string_view destination);

// True when a JSON format-version value is newer than `known` (any size of
// integer; a huge number must not wrap around into an old version).
bool is_newer_format(const nlohmann::json& version, int known);

// ".<name>.wrapp"
std::string wrapp_file_name(std::string_view package_name);

// Refuses (FailedCommand) names and versions that are not safe single path
// segments: empty, ".", "..", containing "/", "\\" or control characters, or
// longer than kMaxSegmentBytes (255) bytes.
void check_name_and_version(std::string_view name, std::string_view version);

}  // namespace wrapp::model
