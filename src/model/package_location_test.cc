#include "model/package_location.h"

#include <gtest/gtest.h>

#include <string>

#include "util/error.h"

namespace wrapp::model {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_package_locations(text, "o.json");
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

TEST(PackageLocations, ReadsTheListFindOrphansWrites) {
  auto l = parse_package_locations(
      R"([{"package": "a", "version": "1", "repository": "file:///r", "extra": {"x": [1]}},
          {"repository": "/s", "version": "2.0", "package": "b"}])",
      "o.json");
  EXPECT_EQ(l, (std::vector<UniquePackageLocation>{{"a", "1", "file:///r"}, {"b", "2.0", "/s"}}));
  EXPECT_TRUE(parse_package_locations(" [ ] ", "o.json").empty());
}

TEST(PackageLocations, RefusesMalformedEntries) {
  EXPECT_NE(error_of(R"({"package": "a"})").find("o.json: expected a JSON list"), std::string::npos);
  EXPECT_NE(error_of(R"([{"package": "a", "version": "1"}])").find("has no 'repository'"), std::string::npos);
  EXPECT_NE(error_of(R"([{"package": "a", "version": "1", "repository": ""}])").find("empty 'repository'"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"package": "..", "version": "1", "repository": "/r"}])").find("unsafe name or version"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"package": "a", "version": 1, "repository": "/r"}])").find("'version' of a package location is not text"),
            std::string::npos);
  EXPECT_NE(error_of("[" + std::string(300, '[') + std::string(300, ']') + "]").find("package location is not a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of(R"([{"package": "a", "version": "1", "repository": "/r", "x": )" + std::string(300, '[') +
                     std::string(300, ']') + "}]")
                .find("nested deeper than 256 levels"),
            std::string::npos);
}

}  // namespace
}  // namespace wrapp::model
