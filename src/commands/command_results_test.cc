// The results commands hand back, as a caller of the library sees them: the
// JSON forms `--json` prints (list-repo, diff, count, ls, check,
// find-orphans), the bytes cat gives its sink, the file catalog writes when
// given an output, and the whole-tree plan of an install.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands/catalog.h"
#include "commands/command_test_support.h"
#include "commands/create.h"
#include "commands/new_package.h"
#include "commands/files.h"
#include "commands/find_orphans.h"

namespace wrapp::commands::cmdtest {
namespace {

using nlohmann::json;

class CommandResults : public CommandTest {};

TEST_F(CommandResults, ListRepoJsonListsNamesWithVersionsInNaturalOrder) {
  Url repo = local("repo");
  publish_both(local(), repo);
  Session s;
  auto r = list_repo(s.ctx, {repo.str()});
  EXPECT_EQ(to_json(r), json::parse(R"([{"name": "pkg", "versions": ["1", "2"]}])"));
}

TEST_F(CommandResults, CatalogWritesItsOutputOnlyWhenGivenOneAndNotOnADryRun) {
  put_tree(local("tree"), v1_files());
  CatalogOptions o;
  o.root_dir = local("tree").str();
  {
    Session s;
    auto r = catalog(s.ctx, o);
    EXPECT_EQ(r.catalog.items.size(), v1_files().size());
    EXPECT_EQ(r.output, "");
  }
  o.output = local("out/c.json").str();
  {
    SessionOptions so;
    so.dry_run = true;
    Session s(so);
    EXPECT_EQ(catalog(s.ctx, o).output, local("out/c.json").str());
    EXPECT_FALSE(exists(local("out/c.json")));
  }
  Session s;
  auto r = catalog(s.ctx, o);
  EXPECT_EQ(r.output, local("out/c.json").str());
  EXPECT_EQ(load_catalog_file(s.ctx, r.output).items.size(), v1_files().size());
}

TEST_F(CommandResults, DiffAndCountJson) {
  put(local("a/same.txt"), "same\n");
  put(local("a/gone.txt"), "gone\n");
  put(local("a/edit.txt"), "old\n");
  put(local("b/same.txt"), "same\n");
  put(local("b/edit.txt"), "newer\n");
  put(local("b/dup/same.txt"), "same\n");
  for (const char* side : {"a", "b"}) {
    Session s;
    CatalogOptions o;
    o.root_dir = local(side).str();
    o.output = local(std::string(side) + ".json").str();
    catalog(s.ctx, o);
  }
  Session s;
  auto d = diff(s.ctx, {local("a.json").str(), local("b.json").str()});
  EXPECT_FALSE(d.identical());
  json j = to_json(d);
  ASSERT_EQ(j["only_in_a"].size(), 1u);
  EXPECT_EQ(j["only_in_a"][0]["relative_path"], "gone.txt");
  EXPECT_EQ(j["only_in_a"][0]["size"], 5);
  EXPECT_TRUE(j["only_in_a"][0]["hash"].is_string());
  ASSERT_EQ(j["only_in_b"].size(), 1u);
  EXPECT_EQ(j["only_in_b"][0]["relative_path"], "dup/same.txt");
  ASSERT_EQ(j["different"].size(), 1u);
  EXPECT_EQ(j["different"][0]["a"]["size"], 4);
  EXPECT_EQ(j["different"][0]["b"]["size"], 6);
  EXPECT_TRUE(diff(s.ctx, {local("a.json").str(), local("a.json").str()}).identical());

  EXPECT_EQ(to_json(count(s.ctx, {local("b.json").str()})),
            json::parse(R"({"files": 3, "bytes": 16, "folders": 2, "unique_contents": 2, "unique_bytes": 11,
                            "duplicate_files": 1})"));
}

TEST_F(CommandResults, LsJsonHasNullsWhereNothingIsKnown) {
  put(local("d/sub/f.txt"), "four");
  Session s;
  LsOptions o;
  o.url = local("d").str();
  o.recursive = true;
  auto r = ls(s.ctx, o);
  EXPECT_EQ(r.url, local("d").str());
  json j = to_json(r);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], (json{{"relative_path", "sub"}, {"source_path", local("d/sub").str()}, {"item_type", "folder"},
                        {"size", nullptr}, {"hash", nullptr}}));
  EXPECT_EQ(j[1]["item_type"], "file");
  EXPECT_EQ(j[1]["size"], 4);
  EXPECT_EQ(j[1]["hash"], nullptr);
  o.with_hash = true;
  EXPECT_TRUE(to_json(ls(s.ctx, o))[1]["hash"].is_string());
}

TEST_F(CommandResults, CatHandsEveryByteToTheSinkAndPrintsNothing) {
  std::string big(3 << 20, 'x');  // more than one read
  big[12345] = 'y';
  put(local("big.bin"), big);
  Session s;
  std::string got;
  size_t chunks = 0;
  auto r = cat(s.ctx, {local("big.bin").str(), [&](std::string_view chunk) {
                         got += chunk;
                         ++chunks;
                       }});
  EXPECT_EQ(got, big);
  EXPECT_EQ(r.bytes, big.size());
  EXPECT_GT(chunks, 1u);
  auto missing = failure_of([&] { cat(s.ctx, {local("none").str(), [](std::string_view) {}}); });
  EXPECT_NE(std::string(missing.what()).find("not found"), std::string::npos) << missing.what();
}

TEST_F(CommandResults, CheckJsonSaysOkAndCountsUnverified) {
  CheckResult r;
  r.files.push_back({"pkg", "1", "a.txt", "file:///r/a.txt", FileCheck::Status::kOk, 3, 3, "h", "h", "", true});
  r.files.push_back({"pkg", "1", "b.txt", "file:///r/b.txt", FileCheck::Status::kUnverified, 2, 2, "", "", "no hash"});
  json j = to_json(r);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["unverified"], 1);
  EXPECT_EQ(j["by_metadata"], 1);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0]["by_metadata"], true);
  EXPECT_EQ(j["files"][1], (json{{"package", "pkg"}, {"version", "1"}, {"relative_path", "b.txt"},
                                 {"url", "file:///r/b.txt"}, {"status", "unverified"}, {"expected_size", 2},
                                 {"actual_size", 2}, {"expected_hash", ""}, {"actual_hash", ""},
                                 {"detail", "no hash"}, {"by_metadata", false}}));
  r.files.push_back({"pkg", "1", "c.txt", "file:///r/c.txt", FileCheck::Status::kMissing, 1, 0, "", "", ""});
  EXPECT_EQ(r.problems(), 1u);
  EXPECT_EQ(to_json(r)["ok"], false);
}

TEST_F(CommandResults, FindOrphansJsonIsWhatDeletePackagesReads) {
  FindOrphansResult r;
  r.orphans.push_back({"pkg", "1", "file:///repo"});
  EXPECT_EQ(to_json(r), json::parse(R"([{"package": "pkg", "version": "1", "repository": "file:///repo"}])"));
}

// A tree of subpackage results, each plan relative to its own folder.
TEST(WholePlan, PutsEverySubpackagesActionsBelowTheTopDestination) {
  using K = PlanAction::Kind;
  auto at = [](const std::string& path) { return parse_location(path).str(); };
  InstallResult top;
  top.plan.target = at("/w/dest");
  top.wrapp_file = at("/w/dest/.top.wrapp");
  top.plan.actions.push_back({K::kCopy, "a.txt", "file:///repo/a.txt", 1, {}});
  top.removed_dependencies.push_back(at("/w/dest/old/.old.wrapp"));
  InstallResult sub;
  sub.plan.target = at("/w/dest/lib");
  sub.wrapp_file = at("/w/dest/lib/.lib.wrapp");
  sub.plan.actions.push_back({K::kDelete, "b.txt", "", 2, {}});
  InstallResult inner;
  inner.plan.target = at("/w/dest/lib/in");
  inner.wrapp_file = at("/w/dest/lib/in/.in.wrapp");
  inner.no_op = true;
  inner.plan.actions.push_back({K::kKeep, "c.txt", "", 3, {}});
  sub.dependencies.push_back(inner);
  top.dependencies.push_back(sub);

  Plan all = whole_plan(top);
  EXPECT_EQ(all.target, top.plan.target);
  std::vector<std::string> paths;
  for (const auto& a : all.actions) paths.push_back(std::string(kind_name(a.kind)) + " " + a.relative_path);
  EXPECT_EQ(paths, (std::vector<std::string>{"copy a.txt", "delete old/.old.wrapp (subpackage, with its files)",
                                             "delete lib/b.txt", "keep lib/in/c.txt"}));
  EXPECT_EQ(all.bytes(K::kCopy), 1u);
  EXPECT_EQ(top.subpackage_count(), 2u);
  EXPECT_EQ(inner.subpackage_count(), 0u);

  // The JSON the Python face returns: the same tree, each package with its own actions.
  json j = to_json(top);
  ASSERT_EQ(j["dependencies"].size(), 1u);
  EXPECT_EQ(j["dependencies"][0]["dependencies"][0]["no_op"], true);
  EXPECT_EQ(j["patch"], nullptr);
  EXPECT_EQ(j["plan"]["actions"].size(), top.plan.actions.size());
}

TEST_F(CommandResults, CreateAndNewResultsCarryThePackageFileWritten) {
  put_tree(local("src"), v1_files());
  Session s;
  CreateOptions o;
  o.package_name = "pkg";
  o.version = "1";
  o.source = local("src").str();
  o.repo = local("repo").str();
  json created = to_json(create(s.ctx, o));
  EXPECT_EQ(created["wrapp_file"], local("repo/.packages/pkg/1/.pkg.wrapp").str());
  EXPECT_EQ(created["package"], json::parse(get(local("repo/.packages/pkg/1/.pkg.wrapp"))));

  NewOptions n;
  n.package_name = "mine";
  n.version = "0";
  n.destination = local("src").str();
  json made = to_json(new_package(s.ctx, n));
  EXPECT_EQ(made["package"]["catalog"], nullptr);
  EXPECT_EQ(made["package"]["name"], "mine");
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
