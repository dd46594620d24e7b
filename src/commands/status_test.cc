// status over package trees, on the local file system and the in-memory
// object store: the reference's nine PackageStatusItemTypes, the dirty list
// (subpackages before their parents) and the JSON form.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/package_tree_test_support.h"

namespace wrapp::commands::cmdtest {
namespace {

using Paths = std::vector<std::string>;
using T = StatusItemType;

// "type relative_path-or-package" of every item of a package.
Paths items_of(const PackageStatus& p) {
  Paths out;
  for (const auto& i : p.items) {
    out.push_back(std::string(status_item_type_name(i.type)) + " " +
                  (i.relative_path.empty() ? i.package_name : i.relative_path));
  }
  return out;
}

const PackageStatus& package(const StatusResult& r, const std::string& name) {
  for (const auto& p : r.packages) {
    if (p.package_name == name) return p;
  }
  ADD_FAILURE() << "no package " << name;
  static const PackageStatus none;
  return none;
}

class StatusTree : public PackageTreeTest {};

TEST(StatusItemTypes, NamesAreTheReferencesValues) {
  Paths names;
  for (T t : {T::kExtraItem, T::kExtraPackage, T::kItemDiffers, T::kItemMissing, T::kPackageMissing,
              T::kPackageModified, T::kPackageNoCatalog, T::kPackageVersionMismatch, T::kSubpackageModified}) {
    names.push_back(status_item_type_name(t));
  }
  EXPECT_EQ(names, (Paths{"extra_item", "extra_package", "item_differs", "item_missing", "package_missing",
                          "package_modified", "package_no_catalog", "package_version_mismatch",
                          "subpackage_modified"}));
}

TEST_P(StatusTree, CleanTreeHasNoItems) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  install_package("app", "1", dest, repo);
  auto r = status_of(marker_of(dest, "app"));
  ASSERT_EQ(r.packages.size(), 2u);
  EXPECT_EQ(r.packages[0].package_name, "app");
  EXPECT_EQ(r.packages[1].package_name, "lib");
  EXPECT_EQ(r.packages[1].install_location, dest.join("libs/lib").str());
  EXPECT_TRUE(r.clean());
  EXPECT_TRUE(r.dirty.empty());
  for (const auto& p : r.packages) EXPECT_EQ(items_of(p), Paths{}) << p.package_name;
}

TEST_P(StatusTree, ModifiedSubpackageMakesItsParentDirtyAndComesFirst) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  install_package("app", "1", dest, repo);
  put(dest.join("libs/lib/l.txt"), "LIB\n");
  auto r = status_of(marker_of(dest, "app"));
  EXPECT_FALSE(r.clean());
  const auto& lib = package(r, "lib");
  EXPECT_EQ(items_of(lib), (Paths{"package_modified lib", "item_differs l.txt"}));
  for (const auto& i : lib.items) {
    EXPECT_EQ(i.package_name, "lib");
    EXPECT_EQ(i.wrapp_file, marker_of(dest.join("libs/lib"), "lib").str());
    EXPECT_FALSE(i.message.empty());
  }
  const auto& app = package(r, "app");
  EXPECT_EQ(items_of(app), (Paths{"subpackage_modified libs/lib/.lib.wrapp"}));
  EXPECT_EQ(app.items[0].wrapp_file, marker_of(dest, "app").str());
  EXPECT_NE(app.items[0].message.find("'lib'"), std::string::npos) << app.items[0].message;
  // The order to create new versions in: the subpackage first.
  EXPECT_EQ(r.dirty, (Paths{marker_of(dest.join("libs/lib"), "lib").str(), marker_of(dest, "app").str()}));
}

TEST_P(StatusTree, ModificationsDeepDownReachTheTop) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  put(root("src-top").join("t.txt"), "top\n");
  install_package("app", "1", root("src-top").join("apps/app"), repo);
  create_package("top", "1", root("src-top"), repo);
  install_package("top", "1", dest, repo);
  store(dest).remove(dest.join("apps/app/libs/lib/l.txt"));
  auto r = status_of(marker_of(dest, "top"));
  EXPECT_EQ(items_of(package(r, "lib")), (Paths{"package_modified lib", "item_missing l.txt"}));
  EXPECT_EQ(items_of(package(r, "app")), (Paths{"subpackage_modified libs/lib/.lib.wrapp"}));
  EXPECT_EQ(items_of(package(r, "top")), (Paths{"subpackage_modified apps/app/.app.wrapp"}));
  ASSERT_EQ(r.dirty.size(), 3u);
  EXPECT_EQ(r.dirty.back(), marker_of(dest, "top").str());
}

TEST_P(StatusTree, SubpackageOfAnotherVersionIsAMismatch) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  create_package("lib", "2", root("src-lib2"), repo, {{"l.txt", "lib 2\n"}});
  install_package("app", "1", dest, repo);
  install_package("lib", "2", dest.join("libs/lib"), repo);  // over the subpackage, by hand
  auto r = status_of(marker_of(dest, "app"));
  const auto& lib = package(r, "lib");
  EXPECT_EQ(lib.version, "2");
  EXPECT_EQ(items_of(lib), (Paths{"package_version_mismatch lib"}));
  const std::string& message = lib.items[0].message;
  EXPECT_NE(message.find("version 2"), std::string::npos) << message;
  EXPECT_NE(message.find("version 1"), std::string::npos) << message;
  EXPECT_EQ(items_of(package(r, "app")), (Paths{"subpackage_modified libs/lib/.lib.wrapp"}));
}

TEST_P(StatusTree, MissingSubpackageFileIsPackageMissing) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  install_package("app", "1", dest, repo);
  store(dest).remove(marker_of(dest.join("libs/lib"), "lib"));
  auto r = status_of(marker_of(dest, "app"));
  const auto& lib = package(r, "lib");
  EXPECT_EQ(lib.version, "1") << "the version its parent records";
  // Its files are no package's any more.
  EXPECT_EQ(items_of(lib), (Paths{"package_missing lib", "extra_item l.txt"}));
  EXPECT_EQ(items_of(package(r, "app")), (Paths{"subpackage_modified libs/lib/.lib.wrapp"}));
}

TEST_P(StatusTree, StrayPackageFileIsAnExtraPackageWithItsFiles) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  create_package("tool", "3", root("src-tool"), repo, {{"t.txt", "tool\n"}, {"bin/t", "t\n"}});
  install_package("app", "1", dest, repo);
  install_package("tool", "3", dest.join("tools/tool"), repo);          // installed, never recorded
  install_package("tool", "3", dest.join("libs/lib/vendor/tool"), repo);  // the same, inside the subpackage
  put(dest.join("junk/.junk.wrapp"), "{ not json");
  auto r = status_of(marker_of(dest, "app"));
  EXPECT_EQ(items_of(package(r, "app")),
            (Paths{"package_modified app", "extra_package junk/.junk.wrapp", "subpackage_modified libs/lib/.lib.wrapp",
                   "extra_package tools/tool/.tool.wrapp"}));
  EXPECT_EQ(items_of(package(r, "lib")), (Paths{"package_modified lib", "extra_package vendor/tool/.tool.wrapp"}));
  for (const auto& i : package(r, "app").items) {
    if (i.relative_path == "tools/tool/.tool.wrapp") {
      EXPECT_NE(i.message.find("'tool' 3"), std::string::npos) << i.message;
    } else if (i.relative_path == "junk/.junk.wrapp") {
      EXPECT_NE(i.message.find("no dependency lists"), std::string::npos) << i.message;
    }
  }
}

TEST_P(StatusTree, StrayPackagesOwnSubpackagesAreItsOwn) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  create_package("base", "1", root("src-base"), repo, {{"b.txt", "b\n"}});
  install_package("base", "1", root("src-kit").join("inner"), repo);
  create_package("kit", "1", root("src-kit"), repo, {{"k.txt", "k\n"}});
  install_package("app", "1", dest, repo);
  install_package("kit", "1", dest.join("kit"), repo);
  put(dest.join("kit/mine.txt"), "mine\n");
  auto r = status_of(marker_of(dest, "app"));
  // One item for kit: base, which kit lists, and kit's files are kit's;
  // a file of nobody's is still extra.
  EXPECT_EQ(items_of(package(r, "app")),
            (Paths{"package_modified app", "extra_package kit/.kit.wrapp", "extra_item kit/mine.txt"}));
}

TEST_P(StatusTree, IgnoredStrayIsNotReported) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  create_package("tool", "3", root("src-tool"), repo, {{"t.txt", "tool\n"}});
  install_package("app", "1", dest, repo);
  install_package("tool", "3", dest.join("tools/tool"), repo);
  put(root("rules"), "tools/\n");
  auto r = status_of(marker_of(dest, "app"), [&](StatusOptions& o) { o.ignore_file = root("rules").str(); });
  EXPECT_TRUE(r.clean()) << items_of(r.packages[0]).size();
}

TEST_P(StatusTree, FileWithoutCatalogIsNoCatalogAndItsSubpackagesAreChecked) {
  Url repo = root("repo"), proj = root("proj");
  publish_app_with_lib(repo);
  put(proj.join("scene.usd"), "scene\n");
  Url file = new_file("proj", "0.1", proj);
  install_package("lib", "1", proj.join("libs/lib"), repo, [&](InstallOptions& o) { o.dependency_file = file.str(); });
  auto r = status_of(file);
  ASSERT_EQ(r.packages.size(), 2u);
  // The project's own files have nothing to be compared with.
  EXPECT_EQ(items_of(package(r, "proj")), (Paths{"package_no_catalog proj"}));
  EXPECT_EQ(items_of(package(r, "lib")), Paths{});
  EXPECT_EQ(r.dirty, Paths{file.str()});
  put(proj.join("libs/lib/extra.txt"), "x\n");
  r = status_of(file);
  EXPECT_EQ(items_of(package(r, "lib")), (Paths{"package_modified lib", "extra_item extra.txt"}));
  EXPECT_EQ(items_of(package(r, "proj")), (Paths{"package_no_catalog proj", "subpackage_modified libs/lib/.lib.wrapp"}));
}

TEST_P(StatusTree, JsonHasTheReferencesFields) {
  Url repo = root("repo"), dest = root("dest");
  publish_app_with_lib(repo);
  install_package("app", "1", dest, repo);
  put(dest.join("libs/lib/l.txt"), "LIB\n");
  auto j = to_json(status_of(marker_of(dest, "app")));
  EXPECT_EQ(j["clean"], false);
  EXPECT_EQ(j["install_state"], "");
  EXPECT_EQ(j["dirty"], nlohmann::json::array({marker_of(dest.join("libs/lib"), "lib").str(), marker_of(dest, "app").str()}));
  ASSERT_EQ(j["packages"].size(), 2u);
  const auto& lib = j["packages"][1];
  EXPECT_EQ(lib["package"], "lib");
  EXPECT_EQ(lib["version"], "1");
  EXPECT_EQ(lib["wrapp_file"], marker_of(dest.join("libs/lib"), "lib").str());
  EXPECT_EQ(lib["install_location"], dest.join("libs/lib").str());
  EXPECT_EQ(lib["clean"], false);
  ASSERT_EQ(lib["items"].size(), 2u);
  const auto& modified = lib["items"][0];
  EXPECT_EQ(modified["status_item_type"], "package_modified");
  EXPECT_TRUE(modified["relative_path"].is_null());
  const auto& differs = lib["items"][1];
  EXPECT_EQ(differs["package_name"], "lib");
  EXPECT_EQ(differs["absolute_wrapp_file_path"], marker_of(dest.join("libs/lib"), "lib").str());
  EXPECT_EQ(differs["status_item_type"], "item_differs");
  EXPECT_EQ(differs["relative_path"], "l.txt");
  EXPECT_TRUE(differs["status_message"].is_string());
}

// status checks the walk's pages against the catalog as they come, in
// chunks of 512 on the io pool: a tree of more files than several chunks,
// with changes in each folder, in a folder the walk skips (an ignore file:
// its catalog items are stat'ed one by one) and beyond the catalog.
TEST_P(StatusTree, EveryFileOfATreeOfManyChunksIsCheckedOnce) {
  Url repo = root("repo"), dest = root("dest");
  Files files;
  for (int i = 0; i < 1300; ++i) {
    std::string folder = i < 600 ? "dA" : i < 1200 ? "dB" : "dC/x";
    files[fmt::format("{}/f{:04d}", folder, i)] = fmt::format("content-{:04d}{}\n", i, std::string(i % 7, '+'));
  }
  create_package("big", "1", root("src"), repo, files);
  install_package("big", "1", dest, repo);
  put(dest.join("dA/f0005"), "CONTENT-0005\n");  // the same size: only its hash tells
  put(dest.join("dB/f0700"), "shorter\n");
  store(dest).remove(dest.join("dA/f0599"));
  store(dest).remove(dest.join("dC/x/f1250"));  // in the skipped folder
  put(dest.join("dB/new.txt"), "new\n");
  put(root("ignore-dC"), "dC\n");
  auto r = status_of(marker_of(dest, "big"), [&](StatusOptions& o) { o.ignore_file = root("ignore-dC").str(); });
  ASSERT_EQ(r.packages.size(), 1u);
  EXPECT_EQ(items_of(r.packages[0]), (Paths{"package_modified big", "item_differs dA/f0005", "item_missing dA/f0599",
                                            "item_differs dB/f0700", "extra_item dB/new.txt",
                                            "item_missing dC/x/f1250"}));
  // Without the ignore file, the walk lists dC as well: the same answer.
  EXPECT_EQ(items_of(status_of(marker_of(dest, "big")).packages[0]), items_of(r.packages[0]));
}

// A check that fails (the read of a file to hash) stops the walk, and the
// command reports that failure, not the cancellation it caused.
TEST_P(StatusTree, ACheckThatFailsIsTheErrorStatusReports) {
  if (!on_memory()) GTEST_SKIP() << "faults are injected in the in-memory store";
  Url repo = root("repo"), dest = root("dest");
  Files files;
  for (int i = 0; i < 1300; ++i) files[fmt::format("d{}/f{:04d}", i / 400, i)] = fmt::format("content-{:04d}\n", i);
  create_package("big", "1", root("src"), repo, files);
  install_package("big", "1", dest, repo);
  put(dest.join("d0/f0042"), "CONTENT-0042\n");  // no stored hash: status reads it
  fail_on("open_read", dest.join("d0/f0042"));
  try {
    status_of(marker_of(dest, "big"));
    FAIL() << "status did not fail";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("injected failure: open_read"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StatusTree, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
