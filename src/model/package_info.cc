#include "model/package_info.h"

#include "util/paths.h"
#include "util/error.h"

namespace wrapp::model {

using nlohmann::json;

namespace {

const char* kKnownKeys[] = {"wrapp_format_version", "name", "version", "catalog", "dependencies", "source",
                            "repository"};

std::string required_string(const json& j, const char* key, std::string_view origin) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) fail("{}: missing or non-text '{}'", origin, key);
  return it->get<std::string>();
}

std::optional<std::string> optional_string(const json& j, const char* key, std::string_view origin) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail("{}: '{}' is not text", origin, key);
  return it->get<std::string>();
}

}  // namespace

PackageInfo PackageInfo::parse(std::string_view text, std::string_view origin) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) fail("{}: not a valid JSON .wrapp file", origin);
  if (!j.is_object()) fail("{}: not a .wrapp file (expected a JSON object)", origin);
  auto v = j.find("wrapp_format_version");
  if (v != j.end()) {
    if (!v->is_number_integer()) fail("{}: 'wrapp_format_version' is not an integer", origin);
    if (is_newer_format(*v, kPackageFormatVersion)) {
      fail("{}: written by a newer wrapp (format version {}, this wrapp reads up to {}); upgrade wrapp", origin,
           v->dump(), kPackageFormatVersion);
    }
  }
  PackageInfo p;
  p.name = required_string(j, "name", origin);
  p.version = required_string(j, "version", origin);
  if (auto c = j.find("catalog"); c != j.end() && !c->is_null()) p.catalog = Catalog::from_json(*c, origin);
  if (auto d = j.find("dependencies"); d != j.end() && !d->is_null()) {
    if (!d->is_array()) fail("{}: 'dependencies' is not a list", origin);
    for (const auto& jd : *d) {
      if (!jd.is_object()) fail("{}: a dependency is not a JSON object", origin);
      Dependency dep;
      dep.package = required_string(jd, "package", origin);
      dep.version = required_string(jd, "version", origin);
      if (!is_safe_segment(dep.package) || !is_safe_segment(dep.version)) {
        fail("{}: refusing dependency with unsafe name or version '{}' '{}'", origin, dep.package, dep.version);
      }
      dep.repository = optional_string(jd, "repository", origin).value_or("");
      // Older writers called the install location "relative_path".
      auto rel = optional_string(jd, "relative_destination", origin);
      if (!rel) rel = optional_string(jd, "relative_path", origin);
      dep.relative_destination = rel.value_or("");
      if (!dep.relative_destination.empty() && !is_safe_relative_path(dep.relative_destination)) {
        fail("{}: refusing unsafe dependency location '{}'", origin, dep.relative_destination);
      }
      p.dependencies.push_back(std::move(dep));
    }
  }
  p.source = optional_string(j, "source", origin);
  p.repository = optional_string(j, "repository", origin);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKnownKeys) known = known || it.key() == k;
    if (!known) p.extra[it.key()] = it.value();
  }
  return p;
}

std::string PackageInfo::serialize() const {
  json j = json::object();
  j["wrapp_format_version"] = kPackageFormatVersion;
  j["name"] = name;
  j["version"] = version;
  j["source"] = source ? json(*source) : json(nullptr);
  j["repository"] = repository ? json(*repository) : json(nullptr);
  json deps = json::array();
  for (const auto& d : dependencies) {
    deps.push_back({{"package", d.package},
                    {"version", d.version},
                    {"repository", d.repository},
                    {"relative_destination", d.relative_destination}});
  }
  j["dependencies"] = std::move(deps);
  j["catalog"] = catalog ? catalog->to_json() : json(nullptr);
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j.dump(1, '\t') + "\n";
}

bool is_newer_format(const json& v, int known) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() > static_cast<uint64_t>(known);
  return v.get<int64_t>() > known;
}

std::string wrapp_file_name(std::string_view package_name) { return "." + std::string(package_name) + ".wrapp"; }

void check_name_and_version(std::string_view name, std::string_view version) {
  if (!is_safe_segment(name)) {
    fail("invalid package name '{}': it must be a non-empty path segment without '/', '\\', '..' or control "
         "characters",
         name);
  }
  if (!is_safe_segment(version)) {
    fail("invalid version '{}': it must be a non-empty path segment without '/', '\\', '..' or control characters",
         version);
  }
}

}  // namespace wrapp::model
