#include "model/package_info.h"

#include "model/catalog_json.h"
#include "util/json_reader.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/paths.h"

namespace wrapp::model {

using nlohmann::json;

namespace {

const char* kKnownKeys[] = {"wrapp_format_version", "name", "version", "catalog", "dependencies", "source",
                            "repository"};

std::optional<std::string> optional_string(JsonReader& r, std::string_view what) {
  if (r.try_null()) return std::nullopt;
  if (r.peek() != JsonReader::Type::kString) fail("{}: {} is not text", r.origin(), what);
  return r.read_string();
}

std::string required_string(JsonReader& r, std::string_view what) {
  if (r.peek() != JsonReader::Type::kString) fail("{}: missing or non-text {}", r.origin(), what);
  return r.read_string();
}

}  // namespace

std::string normalize_relative_destination(std::string_view destination) {
  // An absolute path stays as it is, to be refused by the caller's check.
  if (destination.starts_with('/')) return std::string(destination);
  std::string out;
  size_t start = 0;
  while (start <= destination.size()) {
    size_t slash = destination.find('/', start);
    if (slash == std::string_view::npos) slash = destination.size();
    std::string_view segment = destination.substr(start, slash - start);
    bool trailing = slash == destination.size();
    if (segment != "." && !(segment.empty() && trailing)) {
      // An empty segment inside ("a//b") stays, for the check to refuse.
      if (!out.empty() || segment.empty()) out.push_back('/');
      out += segment;
    }
    start = slash + 1;
  }
  return out;
}

namespace {

Dependency read_dependency(JsonReader& r) {
  const std::string& origin = r.origin();
  if (r.peek() != JsonReader::Type::kObject) fail("{}: a dependency is not a JSON object", origin);
  r.begin_object();
  Dependency dep;
  bool has_package = false, has_version = false;
  std::optional<std::string> destination, legacy_destination;
  std::string key;
  while (r.next_key(key)) {
    if (key == "package") {
      dep.package = required_string(r, "'package' in a dependency");
      has_package = true;
    } else if (key == "version") {
      dep.version = required_string(r, "'version' in a dependency");
      has_version = true;
    } else if (key == "repository") {
      dep.repository = optional_string(r, "a dependency's 'repository'").value_or("");
    } else if (key == "relative_destination") {
      destination = optional_string(r, "a dependency's 'relative_destination'");
    } else if (key == "relative_path") {  // what older writers called the install location
      legacy_destination = optional_string(r, "a dependency's 'relative_path'");
    } else {
      r.skip_value();
    }
  }
  if (!has_package) fail("{}: missing or non-text 'package' in a dependency", origin);
  if (!has_version) fail("{}: missing or non-text 'version' in a dependency", origin);
  for (const std::string* segment : {&dep.package, &dep.version}) {
    if (std::string_view problem = segment_problem(*segment); !problem.empty()) {
      fail("{}: refusing dependency with unsafe name or version '{}' '{}' ({})", origin,
           shorten_for_message(dep.package), shorten_for_message(dep.version), problem);
    }
  }
  dep.relative_destination = normalize_relative_destination(destination ? *destination : legacy_destination.value_or(""));
  if (dep.relative_destination.empty()) return dep;
  if (std::string_view problem = relative_path_problem(dep.relative_destination); !problem.empty()) {
    fail("{}: refusing unsafe dependency location '{}' ({})", origin, shorten_for_message(dep.relative_destination),
         problem);
  }
  return dep;
}

}  // namespace

std::vector<Dependency> parse_dependency_list(std::string_view text, std::string_view origin) {
  JsonReader r(text, origin);
  std::vector<Dependency> out;
  auto read_list = [&] {
    if (r.peek() != JsonReader::Type::kArray) fail("{}: 'dependencies' is not a list", r.origin());
    r.begin_array();
    while (r.next_element()) out.push_back(read_dependency(r));
  };
  if (r.peek() == JsonReader::Type::kObject) {
    r.begin_object();
    bool found = false;
    std::string key;
    while (r.next_key(key)) {
      if (key == "dependencies") {  // the last of duplicate keys wins, as in a .wrapp file
        out.clear();
        read_list();
        found = true;
      } else {
        r.skip_value();
      }
    }
    if (!found) fail("{}: no 'dependencies' list in the JSON object", r.origin());
  } else if (r.peek() == JsonReader::Type::kArray) {
    read_list();
  } else {
    fail("{}: expected a JSON list of dependencies (or an object with a 'dependencies' list)", r.origin());
  }
  r.expect_end();
  return out;
}

std::optional<std::string> PackageInfo::peek_version(std::string_view text) {
  try {
    JsonReader r(text, "");
    if (r.peek() != JsonReader::Type::kObject) return std::nullopt;
    r.begin_object();
    std::string key;
    while (r.next_key(key)) {
      if (key == "catalog") return std::nullopt;  // skipping it would cost what parsing it does
      if (key == "version") {
        if (r.peek() != JsonReader::Type::kString) return std::nullopt;
        return r.read_string();
      }
      r.skip_value();
    }
  } catch (const Error&) {
  }
  return std::nullopt;
}

PackageInfo PackageInfo::parse(std::string_view text, std::string_view origin, const TextWindow* window) {
  // The version decides how to read the rest, wherever it stands.
  JsonReader r(text, origin);
  if (peek_format_version(text, r.origin(), {"wrapp_format_version"}, window).value > kPackageFormatVersion) {
    fail("{}: written by a newer wrapp (format version newer than {}); upgrade wrapp", r.origin(),
         kPackageFormatVersion);
  }
  if (window && window->restart) window->restart();
  r.use_window(window);
  const std::string& where = r.origin();
  if (r.peek() != JsonReader::Type::kObject) fail("{}: not a .wrapp file (expected a JSON object)", where);
  r.begin_object();
  PackageInfo p;
  bool has_name = false, has_version = false;
  std::string key;
  while (r.next_key(key)) {
    if (key == "name") {
      p.name = required_string(r, "'name'");
      has_name = true;
    } else if (key == "version") {
      p.version = required_string(r, "'version'");
      has_version = true;
    } else if (key == "catalog") {
      if (!r.try_null()) p.catalog = read_catalog(r);
    } else if (key == "dependencies") {
      if (r.try_null()) continue;
      if (r.peek() != JsonReader::Type::kArray) fail("{}: 'dependencies' is not a list", where);
      r.begin_array();
      while (r.next_element()) p.dependencies.push_back(read_dependency(r));
    } else if (key == "source") {
      p.source = optional_string(r, "'source'");
    } else if (key == "repository") {
      p.repository = optional_string(r, "'repository'");
    } else if (key == "wrapp_format_version") {
      read_format_version(r, key);
    } else {
      // Kept as it was on rewrite (the last of duplicate keys wins).
      p.extra.insert_or_assign(key, std::string(r.skip_value()));
    }
  }
  r.expect_end();
  if (!has_name) fail("{}: missing or non-text 'name'", where);
  if (!has_version) fail("{}: missing or non-text 'version'", where);
  // Free-form strings, but no file system holds a longer folder name for
  // them: refused before any command builds paths or messages from them.
  for (auto [what, value] : {std::pair{"name", &p.name}, std::pair{"version", &p.version}}) {
    if (value->size() > kMaxSegmentBytes) {
      fail("{}: the package {} is {} bytes long, more than the {} a name can have", where, what, value->size(),
           kMaxSegmentBytes);
    }
  }
  return p;
}

void PackageInfo::write(JsonWriter& w) const {
  w.begin_object();
  w.key("wrapp_format_version");
  w.number(static_cast<uint64_t>(kPackageFormatVersion));
  w.key("name");
  w.string(name);
  w.key("version");
  w.string(version);
  w.key("source");
  if (source) {
    w.string(*source);
  } else {
    w.null();
  }
  w.key("repository");
  if (repository) {
    w.string(*repository);
  } else {
    w.null();
  }
  w.key("dependencies");
  w.begin_array();
  for (const auto& d : dependencies) {
    w.begin_object();
    w.key("package");
    w.string(d.package);
    w.key("version");
    w.string(d.version);
    w.key("repository");
    w.string(d.repository);
    w.key("relative_destination");
    w.string(d.relative_destination);
    w.end_object();
  }
  w.end_array();
  w.key("catalog");
  if (catalog) {
    write_catalog(w, *catalog);
  } else {
    w.null();
  }
  for (const auto& [key, value] : extra) {
    bool known = false;
    for (const char* k : kKnownKeys) known = known || key == k;
    if (known) continue;
    w.key(key);
    w.raw(value);
  }
  w.end_object();
}

std::string PackageInfo::serialize() const {
  std::string out;
  if (catalog) out.reserve(catalog->items.size() * 200 + 512);
  JsonWriter w(out);
  write(w);
  out.push_back('\n');
  return out;
}

bool is_newer_format(const nlohmann::json& v, int known) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() > static_cast<uint64_t>(known);
  return v.get<int64_t>() > known;
}

std::string wrapp_file_name(std::string_view package_name) {
  // Appended, not "." + name + ".wrapp": GCC 12 warns (-Wrestrict) on that.
  std::string out;
  out.reserve(package_name.size() + 7);
  out += '.';
  out += package_name;
  out += ".wrapp";
  return out;
}

void check_name_and_version(std::string_view name, std::string_view version) {
  for (auto [what, value] : {std::pair{"package name", name}, std::pair{"version", version}}) {
    if (std::string_view problem = segment_problem(value); !problem.empty()) {
      fail("invalid {} '{}' ({}): it must be a non-empty path segment of at most {} bytes without '/', '\\', "
           "'..' or control characters",
           what, shorten_for_message(value), problem, kMaxSegmentBytes);
    }
  }
}

}  // namespace wrapp::model
