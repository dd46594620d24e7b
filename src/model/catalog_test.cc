#include "model/catalog.h"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "model/hash.h"
#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::model {
namespace {

using nlohmann::json;

std::string hash_of(const std::string& s) { return flat_hash(s.data(), s.size()); }

json item(const std::string& rel, const std::string& content) {
  return json{{"relative_path", rel},
              {"source_path", "file:///src/" + rel},
              {"hash", hash_of(content)},
              {"size", content.size()}};
}

json catalog_json(json items) { return json{{"root", "file:///src"}, {"items", std::move(items)}}; }

// The FailedCommand message of from_json, or "" if it parsed.
std::string from_json_error(const json& j, const std::string& origin = "cat.json") {
  try {
    Catalog::from_json(j, origin);
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

std::string parse_file_error(const std::string& text, const std::string& origin = "file.json") {
  try {
    parse_catalog_file(text, origin);
    return "";
  } catch (const FailedCommand& e) {
    return e.what();
  }
}

Catalog sample() {
  Catalog c;
  c.root = "file:///data/root";
  c.items.push_back(make_item("a.txt", "file:///data/root/a.txt", hash_of("a"), 1));
  c.items.push_back(make_item("dir/b.bin", "file:///data/root/dir/b.bin", hash_of("bb"), 2));
  c.items.push_back(make_item("no-hash", "file:///data/root/no-hash", "", std::nullopt));
  c.items.push_back(make_item("ü/space name", "s3://bucket/x", hash_of(""), 0));
  return c;
}

void expect_same(const Catalog& a, const Catalog& b) {
  EXPECT_EQ(a.root, b.root);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) {
    SCOPED_TRACE(a.items[i].relative_path);
    EXPECT_EQ(a.items[i].relative_path, b.items[i].relative_path);
    // Stored compactly (empty when derivable), so compare what it means.
    EXPECT_EQ(a.source_of(a.items[i]), b.source_of(b.items[i]));
    EXPECT_EQ(a.items[i].hash, b.items[i].hash);
    EXPECT_EQ(a.items[i].size, b.items[i].size);
  }
}

TEST(CatalogJson, DerivableSourcePathsAreNotStoredTwice) {
  Catalog c = sample();
  c.sort_and_check("test");
  Catalog back = Catalog::from_json(c.to_json(), "test");
  for (const auto& item : back.items) {
    if (item.relative_path == "ü/space name") {
      EXPECT_EQ(item.source_path(), "s3://bucket/x");  // not root + path: kept
    } else {
      EXPECT_EQ(item.source_path(), "") << item.relative_path;
      EXPECT_EQ(back.source_of(item), "file:///data/root/" + item.relative_path);
    }
  }
}

TEST(CatalogJson, RoundTrip) {
  Catalog c = sample();
  c.sort_and_check("test");
  json j = c.to_json();
  EXPECT_EQ(j["root"], "file:///data/root");
  EXPECT_TRUE(j["items"][2]["hash"].is_null());
  EXPECT_TRUE(j["items"][2]["size"].is_null());
  Catalog back = Catalog::from_json(j, "test");
  expect_same(c, back);
  // Through text, too.
  Catalog again = Catalog::from_json(json::parse(j.dump()), "test");
  expect_same(c, again);
  EXPECT_EQ(again.to_json(), j);
}

TEST(CatalogJson, ItemsAreSortedAfterParse) {
  Catalog c = Catalog::from_json(catalog_json({item("z", "z"), item("a/b", "ab"), item("a.txt", "a"),
                                               item("a-b", "x"), item("M", "m")}),
                                 "x");
  std::vector<std::string> order;
  for (const auto& i : c.items) order.push_back(i.relative_path);
  // Byte order: '-' < '.' < '/' < letters; upper case before lower case.
  EXPECT_EQ(order, (std::vector<std::string>{"M", "a-b", "a.txt", "a/b", "z"}));
  ASSERT_NE(c.find("a/b"), nullptr);
  EXPECT_EQ(c.find("a/b")->hash, hash_of("ab"));
  EXPECT_EQ(c.find("missing"), nullptr);
  EXPECT_EQ(c.find("a/"), nullptr);
  EXPECT_EQ(c.total_size(), 1u + 2u + 1u + 1u + 1u);
}

TEST(CatalogJson, DuplicatesAreRefused) {
  std::string msg = from_json_error(catalog_json({item("a", "1"), item("b", "2"), item("a", "3")}), "dup-origin");
  EXPECT_NE(msg, "");
  EXPECT_NE(msg.find("dup-origin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'a'"), std::string::npos) << msg;

  Catalog c;
  c.items.push_back(make_item("x", "", "", std::nullopt));
  c.items.push_back(make_item("x", "", "", std::nullopt));
  EXPECT_THROW(c.sort_and_check("o"), FailedCommand);
}

TEST(CatalogJson, APathCannotBeBothFileAndFolder) {
  for (const json& items : {json::array({item("a", "1"), item("a/b", "2")}),
                            json::array({item("a/b/c/d", "1"), item("a.txt", "x"), item("a/b", "2")}),
                            json::array({item("a/b", "2"), item("a", "1"), item("a.txt", "3"), item("a-b", "4")})}) {
    SCOPED_TRACE(items.dump());
    std::string msg = from_json_error(catalog_json(items), "tree.json");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("tree.json"), std::string::npos) << msg;
  }
  // Prefixes that are not whole segments are no conflict.
  EXPECT_EQ(from_json_error(catalog_json({item("ab", "1"), item("a/b", "2"), item("a.b/c", "3")})), "");
}

TEST(CatalogJson, UnsafePathsAreRefusedNamingTheOrigin) {
  for (std::string bad : {std::string("../x"), std::string("a/../../x"), std::string("/abs"), std::string("a//b"),
                          std::string("a\\b"), std::string("a/\x01"), std::string("ctl\nx"), std::string(""),
                          std::string("."), std::string("a/"), std::string("./a")}) {
    SCOPED_TRACE(bad);
    std::string msg = from_json_error(catalog_json({item("ok", "1"), item(bad, "2")}), "evil.json");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("evil.json"), std::string::npos) << msg;
  }
}

TEST(CatalogJson, StructuralErrors) {
  EXPECT_NE(from_json_error(json::array()), "");
  EXPECT_NE(from_json_error(json{{"root", "x"}}), "");
  EXPECT_NE(from_json_error(json{{"items", "not a list"}}), "");
  EXPECT_NE(from_json_error(catalog_json({42})), "");
  EXPECT_NE(from_json_error(catalog_json({json{{"hash", nullptr}}})), "");  // no relative_path
  EXPECT_NE(from_json_error(catalog_json({json{{"relative_path", 7}}})), "");
  EXPECT_EQ(from_json_error(catalog_json(json::array())), "");
}

TEST(CatalogJson, BadHashFormatIsRefused) {
  std::string good = hash_of("x");
  std::string upper = good;
  for (size_t i = kHashPrefix.size(); i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  ASSERT_NE(upper, good);  // the hex part has at least one letter
  for (const json& bad : {json("md5;abc"), json(good.substr(0, good.size() - 1)), json(good + "0"), json(upper),
                          json("sha-256-flat;65536;" + good.substr(kHashPrefix.size())), json(12), json(true)}) {
    SCOPED_TRACE(bad.dump());
    json it = item("f", "x");
    it["hash"] = bad;
    std::string msg = from_json_error(catalog_json({it}), "hashes.json");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("hashes.json"), std::string::npos) << msg;
  }
  // Unknown hash: null or "" (and absent).
  for (const json& unknown : {json(nullptr), json("")}) {
    json it = item("f", "x");
    it["hash"] = unknown;
    Catalog c = Catalog::from_json(catalog_json({it}), "o");
    EXPECT_EQ(c.items[0].hash, "");
  }
  json it = item("f", "x");
  it.erase("hash");
  EXPECT_EQ(Catalog::from_json(catalog_json({it}), "o").items[0].hash, "");
}

TEST(CatalogJson, SizeMustBeANonNegativeInteger) {
  for (const json& bad : {json(-1), json(1.5), json(2.0), json("12"), json(true), json::array()}) {
    SCOPED_TRACE(bad.dump());
    json it = item("f", "x");
    it["size"] = bad;
    std::string msg = from_json_error(catalog_json({it}), "sizes.json");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("sizes.json"), std::string::npos) << msg;
  }
  json it = item("f", "x");
  it["size"] = 0;
  EXPECT_EQ(Catalog::from_json(catalog_json({it}), "o").items[0].size, 0u);
  it["size"] = 18446744073709551615ULL;
  EXPECT_EQ(Catalog::from_json(catalog_json({it}), "o").items[0].size, 18446744073709551615ULL);
  it["size"] = nullptr;
  EXPECT_EQ(Catalog::from_json(catalog_json({it}), "o").items[0].size, std::nullopt);
  // Parsed from text: a large integer is unsigned, a negative one is not.
  EXPECT_NE(from_json_error(json::parse(R"({"items":[{"relative_path":"f","size":-5}]})")), "");
  EXPECT_EQ(Catalog::from_json(json::parse(R"({"items":[{"relative_path":"f","size":5}]})"), "o").items[0].size, 5u);
}

TEST(CatalogJson, UnknownFieldsAreTolerated) {
  json it = item("f", "x");
  it["mtime"] = 12345;
  it["future"] = json{{"nested", true}};
  json j = catalog_json({it});
  j["generator"] = "wrapp 9";
  j["stats"] = json::array({1, 2});
  Catalog c = Catalog::from_json(j, "o");
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c.items[0].hash, hash_of("x"));
  EXPECT_EQ(c.root, "file:///src");
}

TEST(CatalogFile, SerializeAndParseRoundTrip) {
  Catalog c = sample();
  c.sort_and_check("t");
  std::string text = serialize_catalog_file(c);
  json j = json::parse(text);
  EXPECT_EQ(j["wrapp_catalog_version"], kCatalogFormatVersion);
  expect_same(c, parse_catalog_file(text, "t"));
}

TEST(CatalogFile, OlderOrUnversionedIsAccepted) {
  json j = catalog_json({item("a", "a")});
  EXPECT_EQ(parse_catalog_file(j.dump(), "o").items.size(), 1u);
  j["wrapp_catalog_version"] = 0;
  EXPECT_EQ(parse_catalog_file(j.dump(), "o").items.size(), 1u);
  j["wrapp_catalog_version"] = kCatalogFormatVersion;
  EXPECT_EQ(parse_catalog_file(j.dump(), "o").items.size(), 1u);
}

TEST(CatalogFile, NewerVersionIsRefusedAskingToUpgrade) {
  json j = catalog_json({item("a", "a")});
  j["wrapp_catalog_version"] = kCatalogFormatVersion + 1;
  std::string msg = parse_file_error(j.dump(), "new.json");
  EXPECT_NE(msg.find("upgrade"), std::string::npos) << msg;
  EXPECT_NE(msg.find("new.json"), std::string::npos) << msg;
  j["wrapp_catalog_version"] = "1";
  EXPECT_NE(parse_file_error(j.dump()), "");
  j["wrapp_catalog_version"] = 1.5;
  EXPECT_NE(parse_file_error(j.dump()), "");
}

TEST(CatalogFile, HugeVersionNumbersAreNewerToo) {
  // Versions that do not fit an int are still newer than this wrapp reads.
  for (uint64_t v : {uint64_t{4294967297ULL}, uint64_t{1ULL << 63}, uint64_t{18446744073709551615ULL}}) {
    SCOPED_TRACE(v);
    json j = catalog_json({item("a", "a")});
    j["wrapp_catalog_version"] = v;
    EXPECT_NE(parse_file_error(j.dump()).find("upgrade"), std::string::npos);
    // The same for the format version of a .wrapp document.
    json wrapp = {{"wrapp_format_version", v}, {"name", "p"}, {"version", "1"}, {"catalog", catalog_json(json::array())}};
    EXPECT_NE(parse_file_error(wrapp.dump()).find("upgrade"), std::string::npos);
  }
}

TEST(CatalogFile, CorruptOrForeignTextIsRefusedNamingTheOrigin) {
  for (const char* bad : {"", "{", "not json", "[1,2]", "\"text\"", "{\"items\": 3}"}) {
    SCOPED_TRACE(bad);
    std::string msg = parse_file_error(bad, "broken.json");
    EXPECT_NE(msg, "");
    EXPECT_NE(msg.find("broken.json"), std::string::npos) << msg;
  }
}

TEST(CatalogFile, AcceptsAWrappDocumentAndUsesItsCatalog) {
  json wrapp = {{"wrapp_format_version", 1},
                {"name", "pkg"},
                {"version", "1.0"},
                {"dependencies", json::array()},
                {"catalog", catalog_json({item("b", "b"), item("a", "a")})}};
  Catalog c = parse_catalog_file(wrapp.dump(), ".pkg.wrapp");
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[0].relative_path, "a");
  EXPECT_EQ(c.items[1].relative_path, "b");
  EXPECT_EQ(c.root, "file:///src");
  // A .wrapp document from a newer wrapp is refused like a newer catalog.
  json newer = wrapp;
  newer["wrapp_format_version"] = 2;
  std::string msg = parse_file_error(newer.dump(), ".pkg.wrapp");
  EXPECT_NE(msg.find("upgrade"), std::string::npos) << msg;
  // Its catalog is validated like any other.
  wrapp["catalog"] = catalog_json({item("../escape", "a")});
  EXPECT_NE(parse_file_error(wrapp.dump(), ".pkg.wrapp").find(".pkg.wrapp"), std::string::npos);
}

TEST(CatalogFile, DeepNestingIsRefusedEverywhere) {
  const std::string head = R"({"wrapp_catalog_version": 1, "root": "file:///r", )";
  for (bool objects : {false, true}) {
    std::string deep = testing::nested_json(100000, objects);
    for (std::string text : {head + "\"items\": [], \"tags\": " + deep + "}",
                             R"({"tags": )" + deep + ", \"items\": []}",  // before the version
                             head + "\"items\": [{\"relative_path\": \"a\", \"checkpoint\": " + deep + "}]}",
                             head + "\"catalog\": {\"items\": [], \"x\": " + deep + "}}",
                             testing::nested_json(100000, true)}) {
      SCOPED_TRACE(text.substr(0, 90));
      std::string msg = parse_file_error(text, "/d/deep.json");
      EXPECT_EQ(msg.substr(0, 37), "/d/deep.json: not valid JSON at byte ") << msg;
      EXPECT_NE(msg.find(": nested deeper than 256 levels"), std::string::npos) << msg;
    }
  }
  // A top-level array is refused for what it is before its depth matters.
  EXPECT_EQ(parse_file_error(testing::nested_json(100000, false), "/d/deep.json"),
            "/d/deep.json: not a catalog (expected a JSON object)");
}

TEST(CatalogFile, NestingUpToTheBoundIsAccepted) {
  // Top-level object, items list, item object: 3 levels; 253 more fit.
  for (bool objects : {false, true}) {
    json j = catalog_json({item("a", "a")});
    j["items"][0]["checkpoint"] = json::parse(testing::nested_json(253, objects));
    EXPECT_EQ(parse_file_error(j.dump()), "");
    j["items"][0]["checkpoint"] = json::parse(testing::nested_json(254, objects));
    EXPECT_NE(parse_file_error(j.dump()).find("nested deeper than 256 levels"), std::string::npos);
  }
}

TEST(CatalogFile, OverlongPathsAndSegmentsAreRefused) {
  std::string at_bound;  // 16 segments of 254 bytes and one of 16: 4096 bytes
  for (int i = 0; i < 16; ++i) at_bound += std::string(254, 'a' + i) + "/";
  at_bound += std::string(16, 'z');
  ASSERT_EQ(at_bound.size(), 4096u);
  EXPECT_EQ(parse_file_error(catalog_json({item(at_bound, "1")}).dump()), "");
  for (auto [path, cause] : {std::pair{at_bound + "y", "a path longer than 4096 bytes"},
                             std::pair{std::string(5000, 'p'), "a path longer than 4096 bytes"},
                             std::pair{std::string(1 << 20, 'p'), "a path longer than 4096 bytes"},
                             std::pair{"dir/" + std::string(256, 's'), "a segment longer than 255 bytes"}}) {
    SCOPED_TRACE(path.size());
    std::string msg = parse_file_error(catalog_json({item("ok", "1"), item(path, "2")}).dump(), "/c/long.json");
    EXPECT_EQ(msg.substr(0, 14), "/c/long.json: ") << msg.substr(0, 200);
    EXPECT_NE(msg.find(cause), std::string::npos) << msg.substr(0, 200);
    EXPECT_LT(msg.size(), 1200u);  // the path is not echoed whole
  }
}

TEST(CatalogFile, MessagesDoNotEchoHugeValues) {
  json j = catalog_json({item("a", "a")});
  j["items"][0]["hash"] = "sha-256-flat;1048576;" + std::string(1 << 20, 'f');
  std::string msg = parse_file_error(j.dump(), "/c/hash.json");
  EXPECT_NE(msg.find("/c/hash.json: a catalog item has a hash in an unknown format"), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 1200u);
  std::string long_origin(1 << 20, 'o');
  msg = parse_file_error("{", long_origin);
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos);
  EXPECT_LT(msg.size(), 1200u);
  msg = parse_file_error(catalog_json({item("a", "a"), item("a", "a")}).dump(), long_origin);
  EXPECT_NE(msg.find("is listed twice"), std::string::npos);
  EXPECT_LT(msg.size(), 1200u);
}

// A path that is a file and also the folder of another file is refused,
// wherever sorted order puts the two apart; the parents shared by a run of
// items in one folder are looked up once (Catalog::sort_and_check).
TEST(CatalogFile, RefusesAPathThatIsAFileAndAFolder) {
  struct Case {
    std::vector<std::string> paths;
    std::string both;  // "" when the catalog is fine
  };
  std::vector<Case> cases = {
      {{"a", "a/b"}, "a"},
      {{"x/a.txt", "x/b", "x/b/c"}, "x/b"},           // the folder's earlier files share "x/"
      {{"d/e", "d/e.txt", "d/e/f"}, "d/e"},           // "d/e.txt" sorts between the two
      {{"p/q/a/1", "p/q/a/2", "p/q/r/s", "p/q/r"}, "p/q/r"},  // written unsorted
      {{"m/n/o/p", "m/n/o/q", "m/n2/o", "m/n"}, "m/n"},
      {{"k/a/1", "k/a/2", "k/b/1", "k/b/2/3", "k/c"}, ""},
      {{"z/y/x", "z/y.x", "z/yy/x", "z/y/w"}, ""},
  };
  for (const auto& c : cases) {
    json items = json::array();
    for (const auto& p : c.paths) items.push_back(item(p, p));
    std::string msg = parse_file_error(catalog_json(items).dump(), "c.json");
    SCOPED_TRACE(c.paths.back());
    if (c.both.empty()) {
      EXPECT_EQ(msg, "");
    } else {
      EXPECT_NE(msg.find("'" + c.both + "' is listed as a file and as a folder"), std::string::npos) << msg;
    }
  }
  // The parsed catalog is sorted whatever order the file had.
  Catalog parsed = parse_catalog_file(catalog_json({item("b", "1"), item("a/c", "2"), item("a/b", "3")}).dump(), "c");
  ASSERT_EQ(parsed.items.size(), 3u);
  EXPECT_EQ(parsed.items[0].relative_path, "a/b");
  EXPECT_EQ(parsed.items[1].relative_path, "a/c");
  EXPECT_EQ(parsed.items[2].relative_path, "b");
}

TEST(CatalogDiff, IdenticalCatalogsHaveNoDifferences) {
  Catalog a = sample();
  a.sort_and_check("a");
  CatalogDiff d = diff_catalogs(a, a);
  EXPECT_TRUE(d.only_in_a.empty());
  EXPECT_TRUE(d.only_in_b.empty());
  EXPECT_TRUE(d.different.empty());
  EXPECT_TRUE(diff_catalogs(Catalog{}, Catalog{}).different.empty());
}

TEST(CatalogDiff, SourcePathAndRootDoNotMatter) {
  Catalog a = sample(), b = sample();
  b.root = "s3://elsewhere";
  for (auto& i : b.items) i.set_source_path("s3://elsewhere/" + i.relative_path);
  a.sort_and_check("a");
  b.sort_and_check("b");
  CatalogDiff d = diff_catalogs(a, b);
  EXPECT_TRUE(d.only_in_a.empty() && d.only_in_b.empty() && d.different.empty());
}

TEST(CatalogDiff, AddedRemovedAndChanged) {
  Catalog a, b;
  a.items = {make_item("common", "", hash_of("c"), 1),
             make_item("gone", "", hash_of("g"), 1),
             make_item("hash-changed", "", hash_of("1"), 1),
             make_item("size-changed", "", hash_of("s"), 1),
             make_item("z-only-a", "", hash_of("z"), 1)};
  b.items = {make_item("a-only-b", "", hash_of("n"), 1),
             make_item("common", "", hash_of("c"), 1),
             make_item("hash-changed", "", hash_of("2"), 1),
             make_item("new", "", hash_of("n"), 1),
             make_item("size-changed", "", hash_of("s"), 2)};
  a.sort_and_check("a");
  b.sort_and_check("b");
  CatalogDiff d = diff_catalogs(a, b);
  auto names = [](const std::vector<CatalogItem>& v) {
    std::vector<std::string> out;
    for (const auto& i : v) out.push_back(i.relative_path);
    return out;
  };
  EXPECT_EQ(names(d.only_in_a), (std::vector<std::string>{"gone", "z-only-a"}));
  EXPECT_EQ(names(d.only_in_b), (std::vector<std::string>{"a-only-b", "new"}));
  ASSERT_EQ(d.different.size(), 2u);
  EXPECT_EQ(d.different[0].first.relative_path, "hash-changed");
  EXPECT_EQ(d.different[0].first.hash, hash_of("1"));
  EXPECT_EQ(d.different[0].second.hash, hash_of("2"));
  EXPECT_EQ(d.different[1].first.relative_path, "size-changed");
  EXPECT_EQ(d.different[1].second.size, 2u);

  // Swapping the sides swaps the result.
  CatalogDiff r = diff_catalogs(b, a);
  EXPECT_EQ(names(r.only_in_a), names(d.only_in_b));
  EXPECT_EQ(names(r.only_in_b), names(d.only_in_a));
  EXPECT_EQ(r.different.size(), 2u);
}

TEST(CatalogDiff, AgainstEmpty) {
  Catalog a = sample();
  a.sort_and_check("a");
  CatalogDiff d = diff_catalogs(a, Catalog{});
  EXPECT_EQ(d.only_in_a.size(), a.items.size());
  EXPECT_TRUE(d.only_in_b.empty());
  CatalogDiff r = diff_catalogs(Catalog{}, a);
  EXPECT_EQ(r.only_in_b.size(), a.items.size());
  EXPECT_TRUE(r.only_in_a.empty());
}

TEST(CatalogDiff, UnknownHashOrSizeCountsAsDifferent) {
  Catalog a, b;
  a.items = {make_item("f", "", hash_of("x"), 1), make_item("g", "", hash_of("y"), 1)};
  b.items = {make_item("f", "", "", 1), make_item("g", "", hash_of("y"), std::nullopt)};
  EXPECT_EQ(diff_catalogs(a, b).different.size(), 2u);
}

TEST(CatalogExtras, UnknownItemMembersSurviveARewrite) {
  // The reference's tags and checkpoint, kept as read; null ones read as absent.
  json tags = json::array({json{{"namespace", "ns"}, {"name", "approved"}, {"value", ""}}});
  json j = catalog_json(json::array({item("a.txt", "a"), item("b.txt", "b")}));
  j["items"][0]["tags"] = tags;
  j["items"][0]["checkpoint"] = 7;
  j["items"][1]["tags"] = nullptr;
  Catalog c = Catalog::from_json(j, "t");
  ASSERT_TRUE(c.items[0].extra);
  EXPECT_EQ(json::parse(c.items[0].tags()), tags);
  EXPECT_EQ(c.items[0].extra->get("checkpoint"), "7");
  EXPECT_FALSE(c.items[1].extra);
  EXPECT_EQ(c.items[1].tags(), "");
  json back = c.to_json();
  EXPECT_EQ(back["items"][0]["tags"], tags);
  EXPECT_EQ(back["items"][0]["checkpoint"], 7);
  EXPECT_FALSE(back["items"][1].contains("tags"));
  // The last of duplicate members wins, and is written once.
  std::string text = R"({"root": "file:///r", "items": [{"relative_path": "x", "tags": 1, "tags": 2}]})";
  Catalog d = parse_catalog_file(text, "t");
  EXPECT_EQ(d.items[0].tags(), "2");
  EXPECT_EQ(d.items[0].extra->members.size(), 1u);
  // A null as the last of duplicate keys removes the earlier value.
  std::string nulled = R"({"root": "file:///r", "items": [{"relative_path": "x", "tags": 1, "tags": null}]})";
  EXPECT_FALSE(parse_catalog_file(nulled, "t").items[0].extra);
}

TEST(CatalogExtras, SetExtraReplacesAndRemoves) {
  CatalogItem i;
  i.set_extra("tags", "[1]");
  i.set_extra("checkpoint", "3");
  i.set_extra("tags", "[2]");
  EXPECT_EQ(i.tags(), "[2]");
  EXPECT_EQ(i.extra->members.size(), 2u);
  CatalogItem copy = i;
  copy.set_extra("tags", "");
  EXPECT_EQ(copy.tags(), "");
  EXPECT_EQ(i.tags(), "[2]");  // copies do not share changes
  copy.set_extra("checkpoint", "");
  EXPECT_FALSE(copy.extra);
}

TEST(CatalogExtras, DiffComparesTagsUnlessIgnored) {
  json a = catalog_json(json::array({item("a.txt", "a")}));
  json b = a;
  b["items"][0]["tags"] = json::array({"t"});
  Catalog ca = Catalog::from_json(a, "a"), cb = Catalog::from_json(b, "b");
  EXPECT_EQ(diff_catalogs(ca, cb).different.size(), 1u);
  EXPECT_EQ(diff_catalogs(ca, cb, /*ignore_tags=*/true).different.size(), 0u);
}

TEST(CatalogStorageMap, BothSpellingsReadAndThePydanticOneIsWritten) {
  std::string h = hash_of("a");
  json base = catalog_json(json::array({item("a.txt", "a"), item("copy.txt", "a"), item("b.txt", "b")}));
  json nested = base, flat = base;
  nested["storage_map"] = json{{"storage_map", json{{h, "blobs/x"}}}};
  flat["storage_map"] = json{{h, "blobs/x"}};
  for (const json& j : {nested, flat}) {
    Catalog c = Catalog::from_json(j, "t");
    ASSERT_EQ(c.storage_map.size(), 1u);
    const CatalogItem* a = c.find("a.txt");
    const CatalogItem* copy = c.find("copy.txt");
    const CatalogItem* b = c.find("b.txt");
    EXPECT_EQ(c.storage_path(*a), "blobs/x");
    EXPECT_EQ(c.storage_path(*copy), "blobs/x");
    EXPECT_EQ(c.storage_path(*b), "b.txt");
    EXPECT_EQ(c.fetch_url(*a), "file:///src/blobs/x");
    EXPECT_EQ(c.fetch_url(*b), "file:///src/b.txt");
    EXPECT_EQ(c.source_of(*a), "file:///src/a.txt");  // the recorded source_path is unchanged
    EXPECT_EQ(c.to_json()["storage_map"], nested["storage_map"]);
  }
  json none = base;
  none["storage_map"] = nullptr;
  EXPECT_TRUE(Catalog::from_json(none, "t").storage_map.empty());
  EXPECT_FALSE(Catalog::from_json(none, "t").to_json().contains("storage_map"));
}

TEST(CatalogStorageMap, AbsoluteLocationsAreFetchedAsTheyAre) {
  std::string h = hash_of("a");
  json j = catalog_json(json::array({item("a.txt", "a")}));
  j["storage_map"] = json{{"storage_map", json{{h, "https://cdn.example.com/p/a.txt"}}}};
  Catalog c = Catalog::from_json(j, "t");
  EXPECT_EQ(c.fetch_url(c.items[0]), "https://cdn.example.com/p/a.txt");
  EXPECT_EQ(c.storage_path(c.items[0]), "a.txt");
}

TEST(CatalogStorageMap, HostileMapsAreRefusedNamingTheFile) {
  std::string h = hash_of("a");
  json base = catalog_json(json::array({item("a.txt", "a")}));
  for (const json& map : {json("text"), json::array(), json{{"not-a-hash", "x"}}, json{{h, 5}},
                          json{{h, "../outside"}}, json{{h, "a//b"}}, json{{"storage_map", json{{h, "../x"}}}}}) {
    SCOPED_TRACE(map.dump());
    json j = base;
    j["storage_map"] = map;
    std::string msg = from_json_error(j, "/r/cat.json");
    EXPECT_NE(msg.find("/r/cat.json"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace wrapp::model

namespace wrapp::model {
namespace {

// source_path lives in ItemExtra with the kept members: setting one keeps
// the other, and kept_members() drops only the source_path.
TEST(CatalogItemExtra, SourcePathAndKeptMembersLiveTogether) {
  CatalogItem item;
  EXPECT_EQ(item.source_path(), "");
  EXPECT_EQ(item.extra, nullptr);
  item.set_source_path("s3://b/x");
  item.set_extra("tags", R"(["t"])");
  EXPECT_EQ(item.source_path(), "s3://b/x");
  EXPECT_EQ(item.tags(), R"(["t"])");
  auto kept = item.kept_members();
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->source_path, "");
  EXPECT_EQ(kept->get("tags"), R"(["t"])");
  EXPECT_EQ(item.source_path(), "s3://b/x");  // the item itself keeps it
  item.set_extra("tags", "");
  EXPECT_EQ(item.kept_members(), nullptr);  // only a source_path: nothing to keep
  item.set_source_path("");
  EXPECT_EQ(item.extra, nullptr);  // neither: the usual item pays one null pointer
  item.set_extra("tags", R"(["u"])");
  EXPECT_EQ(item.kept_members(), item.extra);  // no source_path: shared as it is
  CatalogItem made = make_item("a", "file:///elsewhere/a", ContentHash(), 3);
  EXPECT_EQ(made.source_path(), "file:///elsewhere/a");
  EXPECT_EQ(made.size, std::optional<uint64_t>(3));
}

}  // namespace
}  // namespace wrapp::model
