#include "model/package_location.h"

#include "util/error.h"
#include "util/json_reader.h"
#include "util/paths.h"

namespace wrapp::model {

namespace {

UniquePackageLocation read_location(JsonReader& r) {
  const std::string& origin = r.origin();
  if (r.peek() != JsonReader::Type::kObject) fail("{}: a package location is not a JSON object", origin);
  r.begin_object();
  UniquePackageLocation loc;
  bool has[3] = {false, false, false};
  std::string key;
  while (r.next_key(key)) {
    std::string* field = key == "package" ? &loc.package
                         : key == "version" ? &loc.version
                         : key == "repository" ? &loc.repository
                                                : nullptr;
    if (!field) {
      r.skip_value();
      continue;
    }
    if (r.peek() != JsonReader::Type::kString) fail("{}: '{}' of a package location is not text", origin, key);
    r.read_string(*field);
    has[field == &loc.package ? 0 : field == &loc.version ? 1 : 2] = true;
  }
  const char* names[3] = {"package", "version", "repository"};
  for (int i = 0; i < 3; ++i) {
    if (!has[i]) fail("{}: a package location has no '{}'", origin, names[i]);
  }
  for (const std::string* segment : {&loc.package, &loc.version}) {
    if (std::string_view problem = segment_problem(*segment); !problem.empty()) {
      fail("{}: refusing package location with unsafe name or version '{}' '{}' ({})", origin,
           shorten_for_message(loc.package), shorten_for_message(loc.version), problem);
    }
  }
  if (loc.repository.empty()) fail("{}: a package location has an empty 'repository'", origin);
  return loc;
}

}  // namespace

std::vector<UniquePackageLocation> parse_package_locations(std::string_view text, std::string_view origin) {
  JsonReader r(text, origin);
  if (r.peek() != JsonReader::Type::kArray) fail("{}: expected a JSON list of package locations", r.origin());
  std::vector<UniquePackageLocation> out;
  r.begin_array();
  while (r.next_element()) out.push_back(read_location(r));
  r.expect_end();
  return out;
}

}  // namespace wrapp::model
