#include "model/package_info.h"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "model/hash.h"
#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::model {
namespace {

using nlohmann::json;

std::string parse_error(const std::string& text, const std::string& origin = "/repo/.pkg.wrapp") {
  try {
    PackageInfo::parse(text, origin);
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

json minimal() { return json{{"wrapp_format_version", 1}, {"name", "pkg"}, {"version", "1.0.0"}}; }

PackageInfo full() {
  PackageInfo p;
  p.name = "my.package";
  p.version = "2.3.4-beta";
  Catalog c;
  c.root = "file:///src/root";
  c.items.push_back(make_item("a.txt", "file:///src/root/a.txt", flat_hash("a", 1), 1));
  c.items.push_back(make_item("sub/b.txt", "file:///src/root/sub/b.txt", "", std::nullopt));
  p.catalog = c;
  p.dependencies.push_back({"dep-one", "1.0", "file:///repo", "deps/one"});
  p.dependencies.push_back({"dep-two", "0.1", "s3://bucket/repo", "deps/two/nested"});
  p.source = "file:///src/root";
  p.repository = "file:///repo";
  return p;
}

TEST(PackageInfoParse, RoundTripWithEverything) {
  PackageInfo p = full();
  std::string text = p.serialize();
  json j = json::parse(text);
  EXPECT_EQ(j["wrapp_format_version"], kPackageFormatVersion);
  PackageInfo back = PackageInfo::parse(text, "t");
  EXPECT_EQ(back.name, p.name);
  EXPECT_EQ(back.version, p.version);
  EXPECT_EQ(back.dependencies, p.dependencies);
  EXPECT_EQ(back.source, p.source);
  EXPECT_EQ(back.repository, p.repository);
  ASSERT_TRUE(back.catalog);
  EXPECT_EQ(back.catalog->root, "file:///src/root");
  ASSERT_EQ(back.catalog->items.size(), 2u);
  EXPECT_EQ(back.catalog->items[0].hash, flat_hash("a", 1));
  EXPECT_EQ(back.catalog->items[1].size, std::nullopt);
  EXPECT_TRUE(back.extra.empty());
  // Serialising again gives the same text.
  EXPECT_EQ(back.serialize(), text);
}

TEST(PackageInfoParse, NullCatalogAndOptionalFields) {
  PackageInfo p;
  p.name = "pkg";
  p.version = "1";
  std::string text = p.serialize();
  json j = json::parse(text);
  EXPECT_TRUE(j["catalog"].is_null());
  EXPECT_TRUE(j["source"].is_null());
  EXPECT_TRUE(j["repository"].is_null());
  EXPECT_TRUE(j["dependencies"].is_array());
  PackageInfo back = PackageInfo::parse(text, "t");
  EXPECT_FALSE(back.catalog);
  EXPECT_FALSE(back.source);
  EXPECT_FALSE(back.repository);
  EXPECT_TRUE(back.dependencies.empty());

  // Absent keys mean the same as null.
  PackageInfo m = PackageInfo::parse(minimal().dump(), "t");
  EXPECT_EQ(m.name, "pkg");
  EXPECT_EQ(m.version, "1.0.0");
  EXPECT_FALSE(m.catalog);
  EXPECT_TRUE(m.dependencies.empty());
  EXPECT_FALSE(m.source);
}

TEST(PackageInfoParse, EmptyCatalogIsNotNull) {
  json j = minimal();
  j["catalog"] = json{{"root", "file:///r"}, {"items", json::array()}};
  PackageInfo p = PackageInfo::parse(j.dump(), "t");
  ASSERT_TRUE(p.catalog);
  EXPECT_TRUE(p.catalog->items.empty());
  EXPECT_FALSE(json::parse(p.serialize())["catalog"].is_null());
}

TEST(PackageInfoParse, UnknownTopLevelFieldsArePreserved) {
  json j = minimal();
  j["future_field"] = json{{"nested", json::array({1, 2, 3})}};
  j["created_by"] = "wrapp 1.5";
  j["flag"] = false;
  PackageInfo p = PackageInfo::parse(j.dump(), "t");
  EXPECT_EQ(p.extra.size(), 3u);
  json out = json::parse(p.serialize());
  EXPECT_EQ(out["future_field"], j["future_field"]);
  EXPECT_EQ(out["created_by"], "wrapp 1.5");
  EXPECT_EQ(out["flag"], false);
  EXPECT_EQ(out["name"], "pkg");
  // Known fields do not leak into extra.
  EXPECT_FALSE(p.extra.contains("name"));
  EXPECT_FALSE(p.extra.contains("wrapp_format_version"));
  // A second round keeps them too.
  EXPECT_EQ(json::parse(PackageInfo::parse(out.dump(), "t").serialize()), out);
}

TEST(PackageInfoParse, NewerFormatIsRefusedAskingToUpgrade) {
  json j = minimal();
  j["wrapp_format_version"] = kPackageFormatVersion + 1;
  std::string msg = parse_error(j.dump(), "/r/.new.wrapp");
  EXPECT_NE(msg.find("upgrade"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/r/.new.wrapp"), std::string::npos) << msg;
  j["wrapp_format_version"] = "1";
  EXPECT_NE(parse_error(j.dump()), "");
  // Older (and missing) versions are read.
  j["wrapp_format_version"] = 0;
  EXPECT_EQ(parse_error(j.dump()), "");
  j.erase("wrapp_format_version");
  EXPECT_EQ(parse_error(j.dump()), "");
}

TEST(PackageInfoParse, HugeFormatVersionsAreNewerToo) {
  // Versions that do not fit an int are still newer than this wrapp reads.
  for (uint64_t v : {uint64_t{4294967297ULL}, uint64_t{1ULL << 63}, uint64_t{18446744073709551615ULL}}) {
    SCOPED_TRACE(v);
    json j = minimal();
    j["wrapp_format_version"] = v;
    EXPECT_NE(parse_error(j.dump()).find("upgrade"), std::string::npos);
  }
}

TEST(PackageInfoParse, MissingOrNonTextNameOrVersion) {
  for (const char* key : {"name", "version"}) {
    SCOPED_TRACE(key);
    json j = minimal();
    j.erase(key);
    std::string msg = parse_error(j.dump(), "/x/.p.wrapp");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("/x/.p.wrapp"), std::string::npos) << msg;
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
    j[key] = 12;
    EXPECT_NE(parse_error(j.dump()), "");
    j[key] = nullptr;
    EXPECT_NE(parse_error(j.dump()), "");
  }
}

TEST(PackageInfoParse, CorruptJsonIsRefusedNamingTheOrigin) {
  for (const char* bad : {"", "{", "{\"name\": \"pkg\",", "garbage", "[]", "42", "null"}) {
    SCOPED_TRACE(bad);
    std::string msg = parse_error(bad, "/some/where/.broken.wrapp");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("/some/where/.broken.wrapp"), std::string::npos) << msg;
  }
}

TEST(PackageInfoParse, BadCatalogIsRefusedNamingTheOrigin) {
  json j = minimal();
  j["catalog"] = json{{"items", json::array({json{{"relative_path", "../../etc/passwd"}}})}};
  std::string msg = parse_error(j.dump(), "/r/.bad.wrapp");
  EXPECT_NE(msg.find("/r/.bad.wrapp"), std::string::npos) << msg;
  j["catalog"] = "not an object";
  EXPECT_NE(parse_error(j.dump()), "");
}

TEST(PackageInfoParse, Dependencies) {
  json j = minimal();
  j["dependencies"] = json::array({json{{"package", "a"}, {"version", "1"}, {"repository", "file:///r"},
                                        {"relative_destination", "deps/a"}},
                                   json{{"package", "b"}, {"version", "2"}}});
  PackageInfo p = PackageInfo::parse(j.dump(), "t");
  ASSERT_EQ(p.dependencies.size(), 2u);
  EXPECT_EQ(p.dependencies[0], (Dependency{"a", "1", "file:///r", "deps/a"}));
  EXPECT_EQ(p.dependencies[1], (Dependency{"b", "2", "", ""}));
}

TEST(PackageInfoParse, LegacyRelativePathKeyIsAccepted) {
  json j = minimal();
  j["dependencies"] = json::array({json{{"package", "old"}, {"version", "0.9"}, {"relative_path", "legacy/place"}}});
  PackageInfo p = PackageInfo::parse(j.dump(), "t");
  ASSERT_EQ(p.dependencies.size(), 1u);
  EXPECT_EQ(p.dependencies[0].relative_destination, "legacy/place");
  // Written back under the current key.
  json out = json::parse(p.serialize());
  EXPECT_EQ(out["dependencies"][0]["relative_destination"], "legacy/place");
  // The current key wins when both are present.
  j["dependencies"][0]["relative_destination"] = "new/place";
  EXPECT_EQ(PackageInfo::parse(j.dump(), "t").dependencies[0].relative_destination, "new/place");
}

TEST(PackageInfoParse, RelativeDestinationsAreNormalised) {
  // The spellings the reference's writers use for the same places.
  for (auto [given, kept] : {std::pair{".", ""}, std::pair{"./", ""}, std::pair{"./x", "x"}, std::pair{"x/", "x"},
                             std::pair{"x/./y/", "x/y"}, std::pair{"./a/b", "a/b"}, std::pair{"", ""}}) {
    SCOPED_TRACE(given);
    json j = minimal();
    j["dependencies"] = json::array({json{{"package", "a"}, {"version", "1"}, {"relative_destination", given}}});
    PackageInfo p = PackageInfo::parse(j.dump(), "t");
    EXPECT_EQ(p.dependencies[0].relative_destination, kept);
    // Written back in the normal form.
    EXPECT_EQ(PackageInfo::parse(p.serialize(), "t").dependencies[0].relative_destination, kept);
  }
  // Normalising never lets a way out through.
  for (const char* unsafe : {"./../x", "x/../../y", "./", "/x/", "a//b/"}) {
    SCOPED_TRACE(unsafe);
    json j = minimal();
    j["dependencies"] = json::array({json{{"package", "a"}, {"version", "1"}, {"relative_destination", unsafe}}});
    std::string msg = parse_error(j.dump());
    if (std::string_view(unsafe) == "./") {
      EXPECT_EQ(msg, "");
    } else {
      EXPECT_NE(msg.find("unsafe dependency location"), std::string::npos) << msg;
    }
  }
}

TEST(PackageInfoParse, BadDependencies) {
  auto with_deps = [](json deps) {
    json j = minimal();
    j["dependencies"] = std::move(deps);
    return j.dump();
  };
  EXPECT_NE(parse_error(with_deps("not a list")), "");
  EXPECT_NE(parse_error(with_deps(json::array({1}))), "");
  EXPECT_NE(parse_error(with_deps(json::array({json{{"version", "1"}}}))), "");
  EXPECT_NE(parse_error(with_deps(json::array({json{{"package", "a"}}}))), "");
  EXPECT_NE(parse_error(with_deps(json::array({json{{"package", "a"}, {"version", "1"}, {"repository", 5}}}))), "");
  // Dependency names and versions become path segments in the repository.
  for (auto [pkg, ver] : {std::pair{"../x", "1"}, std::pair{"a", ".."}, std::pair{"a/b", "1"},
                          std::pair{"a", "1\\2"}, std::pair{"", "1"}, std::pair{"a", ""}}) {
    SCOPED_TRACE(std::string(pkg) + " " + ver);
    std::string msg = parse_error(with_deps(json::array({json{{"package", pkg}, {"version", ver}}})), "/r/.names.wrapp");
    EXPECT_NE(msg.find("/r/.names.wrapp"), std::string::npos) << msg;
  }
  for (const char* unsafe : {"../x", "/abs", "a//b", "a\\b"}) {
    SCOPED_TRACE(unsafe);
    std::string msg = parse_error(
        with_deps(json::array({json{{"package", "a"}, {"version", "1"}, {"relative_destination", unsafe}}})),
        "/r/.deps.wrapp");
    EXPECT_NE(msg.find("/r/.deps.wrapp"), std::string::npos) << msg;
  }
  EXPECT_EQ(parse_error(with_deps(nullptr)), "");
}

TEST(PackageInfoNames, CheckNameAndVersion) {
  EXPECT_NO_THROW(check_name_and_version("pkg", "1.0.0"));
  EXPECT_NO_THROW(check_name_and_version("my.package-name_2", "2024.01-rc1+build"));
  EXPECT_NO_THROW(check_name_and_version("..dots", "v.."));
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("a\\b"), std::string("a\nb"), std::string("nul\0x", 5), std::string("/")}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(check_name_and_version(bad, "1.0"), FailedCommand);
    EXPECT_THROW(check_name_and_version("pkg", bad), FailedCommand);
  }
  try {
    check_name_and_version("ok", "../1");
    ADD_FAILURE() << "accepted version ../1";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("../1"), std::string::npos) << e.what();
  }
}

// Nesting 100000 levels deep wherever a .wrapp file can hold a nested
// value: refused with the reader's message, never a stack overflow.
TEST(PackageInfoBounds, DeepNestingIsRefusedEverywhere) {
  const std::string head = R"({"wrapp_format_version": 1, "name": "pkg", "version": "1", )";
  for (bool objects : {false, true}) {
    std::string deep = testing::nested_json(100000, objects);
    for (std::string text : {head + "\"future\": " + deep + "}",       // unknown key, before nothing known
                             R"({"future": )" + deep + ", \"wrapp_format_version\": 1}",  // before the version
                             head + "\"catalog\": {\"items\": [], \"tags\": " + deep + "}",
                             head + "\"catalog\": {\"items\": [{\"relative_path\": \"a\", \"x\": " + deep + "}]}",
                             head + "\"dependencies\": [{\"package\": \"a\", \"version\": \"1\", \"x\": " + deep +
                                 "}]}",
                             testing::nested_json(100000, true)}) {
      SCOPED_TRACE(text.substr(0, 90));
      std::string msg = parse_error(text, "/r/.deep.wrapp");
      EXPECT_NE(msg.find("/r/.deep.wrapp: not valid JSON at byte "), std::string::npos) << msg;
      EXPECT_NE(msg.find(": nested deeper than 256 levels"), std::string::npos) << msg;
    }
  }
}

TEST(PackageInfoBounds, UnknownKeysNestedUpToTheBoundAreKeptAsTheyWere) {
  // The top-level object is level 1: an unknown value may nest 255 more.
  for (bool objects : {false, true}) {
    std::string value = testing::nested_json(255, objects);
    json j = minimal();
    j["future"] = json::parse(value);
    PackageInfo p = PackageInfo::parse(j.dump(), "t");
    ASSERT_EQ(p.extra.count("future"), 1u);
    EXPECT_EQ(json::parse(p.extra.at("future")), j["future"]);
    // Rewritten and read again: the same value.
    json back = json::parse(p.serialize());
    EXPECT_EQ(back["future"], j["future"]);
    EXPECT_EQ(PackageInfo::parse(back.dump(), "t").extra.at("future"), p.extra.at("future"));
    j["future"] = json::parse(testing::nested_json(256, objects));
    EXPECT_NE(parse_error(j.dump()).find("nested deeper than 256 levels"), std::string::npos);
  }
}

TEST(PackageInfoBounds, NamesAndVersionsLongerThan255BytesAreRefused) {
  for (const char* key : {"name", "version"}) {
    SCOPED_TRACE(key);
    json j = minimal();
    j[key] = std::string(255, 'n');
    EXPECT_EQ(parse_error(j.dump()), "");
    j[key] = std::string(100 << 10, 'n');
    std::string msg = parse_error(j.dump(), "/r/.long.wrapp");
    EXPECT_NE(msg.find("/r/.long.wrapp: the package " + std::string(key) + " is 102400 bytes long"),
              std::string::npos)
        << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 300u);
  }
  // Dependencies: the same bound, and long locations too.
  json j = minimal();
  j["dependencies"] = json::array({json{{"package", std::string(256, 'd')}, {"version", "1"}}});
  std::string msg = parse_error(j.dump(), "/r/.dep.wrapp");
  EXPECT_NE(msg.find("longer than 255 bytes"), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 1500u);
  j["dependencies"] = json::array(
      {json{{"package", "a"}, {"version", "1"}, {"relative_destination", std::string(1 << 20, 'l')}}});
  msg = parse_error(j.dump(), "/r/.dep.wrapp");
  EXPECT_NE(msg.find("a path longer than 4096 bytes"), std::string::npos) << msg.substr(0, 200);
  EXPECT_LT(msg.size(), 1500u);
}

TEST(PackageInfoNames, LongNamesAreRefusedWithoutEchoingThemWhole) {
  EXPECT_NO_THROW(check_name_and_version(std::string(255, 'p'), std::string(255, 'v')));
  for (size_t size : {size_t{256}, size_t{100 << 10}}) {
    for (bool as_version : {false, true}) {
      std::string big(size, 'x');
      try {
        as_version ? check_name_and_version("pkg", big) : check_name_and_version(big, "1");
        ADD_FAILURE() << "accepted " << size;
      } catch (const FailedCommand& e) {
        std::string m = e.what();
        EXPECT_NE(m.find(as_version ? "invalid version" : "invalid package name"), std::string::npos) << m;
        EXPECT_NE(m.find("longer than 255 bytes"), std::string::npos) << m;
        EXPECT_LT(m.size(), 1300u);
      }
    }
  }
}

TEST(PackageInfoNames, WrappFileName) {
  EXPECT_EQ(wrapp_file_name("pkg"), ".pkg.wrapp");
  EXPECT_EQ(wrapp_file_name("my.package"), ".my.package.wrapp");
}

std::string dependency_list_error(const std::string& text) {
  try {
    parse_dependency_list(text, "deps.json");
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

TEST(DependencyList, ListOrObjectWithDependencies) {
  auto deps = parse_dependency_list(
      R"([{"package": "a", "version": "1", "repository": "file:///r", "relative_destination": "./x/"},
          {"package": "b", "version": "2", "relative_path": "y", "other": [1]}])",
      "deps.json");
  EXPECT_EQ(deps, (std::vector<Dependency>{{"a", "1", "file:///r", "x"}, {"b", "2", "", "y"}}));
  // A .wrapp file: its dependencies, everything else skipped; the last list wins.
  auto from_wrapp = parse_dependency_list(
      R"({"name": "m", "dependencies": [{"package": "z", "version": "0"}], "catalog": null,
          "dependencies": [{"package": "a", "version": "1", "relative_destination": "."}]})",
      "m.wrapp");
  EXPECT_EQ(from_wrapp, (std::vector<Dependency>{{"a", "1", "", ""}}));
  EXPECT_TRUE(parse_dependency_list("[]", "deps.json").empty());
}

TEST(DependencyList, RefusesWhatAPackageFileRefuses) {
  EXPECT_NE(dependency_list_error(R"([{"package": "a", "version": "1", "relative_destination": "../x"}])")
                .find("deps.json: refusing unsafe dependency location '../x'"),
            std::string::npos);
  EXPECT_NE(dependency_list_error(R"([{"package": "a/b", "version": "1"}])").find("unsafe name or version"),
            std::string::npos);
  EXPECT_NE(dependency_list_error(R"([{"version": "1"}])").find("missing or non-text 'package'"), std::string::npos);
  EXPECT_NE(dependency_list_error(R"({"name": "x"})").find("no 'dependencies' list"), std::string::npos);
  EXPECT_NE(dependency_list_error(R"("text")").find("expected a JSON list"), std::string::npos);
  EXPECT_NE(dependency_list_error("[1]").find("a dependency is not a JSON object"), std::string::npos);
  EXPECT_NE(dependency_list_error("[] []").find("not valid JSON"), std::string::npos);
  std::string deep = R"([{"package": "a", "version": "1", "x": )" + std::string(300, '[') + std::string(300, ']') + "}]";
  EXPECT_NE(dependency_list_error(deep).find("nested deeper than 256 levels"), std::string::npos);
}

// The head of a package file names its version before the catalog (as
// wrapp writes it): read without parsing the rest. Anything else, nullopt.
TEST(PackageInfoPeekVersion, ReadsTheVersionBeforeTheCatalogOnly) {
  EXPECT_EQ(PackageInfo::peek_version(R"({"wrapp_format_version": 1, "name": "p", "version": "1.2",
                                           "catalog": {"items": []}})"),
            "1.2");
  EXPECT_EQ(PackageInfo::peek_version(R"({"dependencies": [{"package": "q", "version": "1", "x": {"y": [1]}}],
                                           "version": "7", "catalog": null})"),
            "7");
  EXPECT_EQ(PackageInfo::peek_version(R"({"name": "p", "catalog": {"items": []}, "version": "1"})"), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(R"({"name": "p", "version": 1})"), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(R"({"name": "p"})"), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(R"(["version", "1"])"), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(R"({"name": "p", "version": "1)"), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(""), std::nullopt);
  EXPECT_EQ(PackageInfo::peek_version(testing::nested_json(100000, true)), std::nullopt);
  // What parse() reads agrees with the peek.
  PackageInfo p;
  p.name = "p";
  p.version = "3";
  p.catalog = Catalog();
  EXPECT_EQ(PackageInfo::peek_version(p.serialize()), "3");
}

}  // namespace
}  // namespace wrapp::model
