// The commands on package trees and repositories, called as the CLI calls
// them, on the local file system and on the in-memory object store:
// create-metapackage, extract-catalog, find-orphans, delete-packages,
// installed-package-list and traceback.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "commands/command_test_support.h"
#include "commands/create_metapackage.h"
#include "commands/delete_packages.h"
#include "commands/extract_catalog.h"
#include "commands/find_orphans.h"
#include "commands/installed_package_list.h"
#include "commands/new_package.h"
#include "commands/publish.h"
#include "commands/traceback.h"
#include "storage/lock.h"

namespace wrapp::commands::cmdtest {
namespace {

using namespace std::chrono_literals;
using Paths = std::vector<std::string>;

class PackageTree : public BackendTest {
 protected:
  // Publishes package `name` `version` holding `files` into `repo`.
  void publish(const std::string& name, const std::string& version, const Files& files, const Url& repo) {
    Url src = root("src-" + name + "-" + version);
    put_tree(src, files);
    Session s;
    CreateOptions o;
    o.package_name = name;
    o.version = version;
    o.source = src.str();
    o.repo = repo.str();
    create(s.ctx, o);
  }
  CreateMetapackageResult metapackage(const std::string& name, const std::vector<model::Dependency>& deps,
                                      const Url& repo, bool skip_check = false, SessionOptions so = {}) {
    Session s(so);
    CreateMetapackageOptions o;
    o.package_name = name;
    o.version = "1";
    o.repo = repo.str();
    o.dependencies = deps;
    o.skip_dependency_check = skip_check;
    return create_metapackage(s.ctx, o);
  }
  ExtractCatalogResult extract(const std::string& name, const std::string& version, const Url& repo, bool recursive,
                               bool add_wrapp_files = false) {
    Session s;
    ExtractCatalogOptions o;
    o.package = name;
    o.version = version;
    o.repo = repo.str();
    o.recursive = recursive;
    o.add_wrapp_files = add_wrapp_files;
    return extract_catalog(s.ctx, o);
  }
  static Paths paths_of(const model::Catalog& c) {
    Paths out;
    for (const auto& i : c.items) out.push_back(i.relative_path);
    return out;
  }
  // A hand-written package file of `name` `version` in `repo`: the given
  // dependencies, an empty catalog (or `catalog` JSON), and pointers.
  void put_version(const Url& repo, const std::string& name, const std::string& version,
                   const std::vector<model::Dependency>& deps, const std::string& repository = "",
                   const std::string& source = "") {
    model::PackageInfo info;
    info.name = name;
    info.version = version;
    info.dependencies = deps;
    info.catalog.emplace();
    info.catalog->root = version_url(repo, name, version).str();
    if (!repository.empty()) info.repository = repository;
    if (!source.empty()) info.source = source;
    put(repo_marker_url(repo, name, version), info.serialize());
  }
  std::vector<std::string> orphans(const std::vector<model::UniquePackageLocation>& locking,
                                   const std::vector<Url>& repos) {
    Session s;
    FindOrphansOptions o;
    o.locking_packages = locking;
    for (const auto& r : repos) o.repos_to_inspect.push_back(r.str());
    Paths out;
    for (const auto& l : find_orphaned_package_versions(s.ctx, o).orphans) {
      out.push_back(l.package + " " + l.version + (l.repository == repos[0].str() ? "" : " elsewhere"));
    }
    return out;
  }
  DeletePackagesResult remove(const std::vector<model::UniquePackageLocation>& what, bool dry_run = false) {
    Session s({.dry_run = dry_run});
    DeletePackagesOptions o;
    o.to_delete = what;
    return delete_packages_from_repo(s.ctx, o);
  }
  Paths versions_in(const Url& repo) {
    Paths out;
    for (const auto& p : packages_in(repo)) {
      for (const auto& v : p.versions) out.push_back(p.name + " " + v);
    }
    return out;
  }
};

const Files kLib{{"lib.txt", "lib\n"}, {"sub/l2.txt", "lib two\n"}};
const Files kTool{{"tool.txt", "tool\n"}};

TEST_P(PackageTree, MetapackageInstallsItsDependencies) {
  Url repo = root("repo"), other = root("other");
  publish("lib", "1", kLib, repo);
  publish("tool", "2", kTool, other);
  auto r = metapackage("meta", {{"lib", "1", "", "./libs/lib/"}, {"tool", "2", other.str(), "."}}, repo);
  EXPECT_EQ(r.tree_packages, 3u);
  EXPECT_EQ(r.tree_items, 3u);
  Session s;
  auto info = require_repo_package(s.ctx, repo, "meta", "1");
  ASSERT_TRUE(info.catalog);
  EXPECT_TRUE(info.catalog->items.empty());
  EXPECT_EQ(info.repository, repo.str());
  EXPECT_EQ(info.dependencies, (std::vector<model::Dependency>{{"lib", "1", "", "libs/lib"}, {"tool", "2", other.str(), ""}}));

  Url dest = root("work");
  Session si;
  InstallOptions io;
  io.package_name = "meta";
  io.version = "1";
  io.destination = dest.str();
  io.repo = repo.str();
  install(si.ctx, io);
  EXPECT_EQ(contents(dest), (Files{{"libs/lib/lib.txt", "lib\n"}, {"libs/lib/sub/l2.txt", "lib two\n"}, {"tool.txt", "tool\n"}}));
  EXPECT_TRUE(exists(dest.join(".meta.wrapp")));
  EXPECT_TRUE(exists(dest.join("libs/lib/.lib.wrapp")));
  EXPECT_TRUE(exists(dest.join(".tool.wrapp")));

  Session sl;
  auto listed = installed_package_list(sl.ctx, {dest.join(".meta.wrapp").str(), false});
  Paths names;
  for (const auto& p : listed.packages) {
    names.push_back(p.name + "@" + p.install_location + " " + (p.num_items ? std::to_string(*p.num_items) : "-"));
  }
  EXPECT_EQ(names, (Paths{"meta@ 0", "lib@libs/lib 2", "tool@ 1"}));
  Session sd;
  auto direct = installed_package_list(sd.ctx, {dest.join(".meta.wrapp").str(), true});
  ASSERT_EQ(direct.packages.size(), 2u);
  EXPECT_EQ(direct.packages[0].name, "lib");
  EXPECT_EQ(direct.packages[0].repository, repo.str());
}

TEST_P(PackageTree, MetapackageRefusesBadDependenciesAndWritesNothing) {
  Url repo = root("repo");
  publish("lib", "1", kLib, repo);
  auto before = snapshot(repo, false);
  auto missing = failure_of([&] { metapackage("meta", {{"lib", "9", "", "a"}, {"gone", "1", "", "b"}}, repo); });
  EXPECT_EQ(code_of(missing), "not_found") << missing.what();
  EXPECT_NE(std::string(missing.what()).find("'lib' 9"), std::string::npos) << missing.what();
  EXPECT_NE(std::string(missing.what()).find("'gone' 1"), std::string::npos) << missing.what();
  EXPECT_EQ(missing.payload().size(), 2u);
  auto twice = failure_of([&] { metapackage("meta", {{"lib", "1", "", "a"}, {"lib", "1", "", "./a"}}, repo); });
  EXPECT_EQ(code_of(twice), "bad_input") << twice.what();
  auto unsafe = failure_of([&] { metapackage("meta", {{"lib", "1", "", "../a"}}, repo); });
  EXPECT_EQ(code_of(unsafe), "bad_input") << unsafe.what();
  auto none = failure_of([&] { metapackage("meta", {}, repo); });
  EXPECT_EQ(code_of(none), "bad_input") << none.what();
  // Two packages whose files land on one path.
  publish("lib2", "1", {{"lib.txt", "other\n"}}, repo);
  before = snapshot(repo, false);
  auto clash = failure_of([&] { metapackage("meta", {{"lib", "1", "", "x"}, {"lib2", "1", "", "x"}}, repo); });
  EXPECT_EQ(code_of(clash), "conflict") << clash.what();
  EXPECT_NE(std::string(clash.what()).find("x/lib.txt"), std::string::npos) << clash.what();
  EXPECT_EQ(snapshot(repo, false), before);
  // Unchecked, a dependency that does not exist yet is recorded.
  metapackage("meta", {{"later", "1", "", "l"}}, repo, /*skip_check=*/true);
  EXPECT_TRUE(exists(repo_marker_url(repo, "meta", "1")));
  auto again = failure_of([&] { metapackage("meta", {{"lib", "1", "", "x"}}, repo); });
  EXPECT_EQ(code_of(again), "already_exists") << again.what();
}

TEST_P(PackageTree, ExtractCatalogFlattensTheTree) {
  Url repo = root("repo"), other = root("other");
  publish("lib", "1", kLib, other);
  publish("tool", "2", kTool, repo);
  put_version(repo, "app", "1", {{"lib", "1", other.str(), "libs/lib"}, {"tool", "2", "", "bin"}});
  auto flat = extract("app", "1", repo, /*recursive=*/false);
  EXPECT_TRUE(flat.catalog.items.empty());
  auto all = extract("app", "1", repo, /*recursive=*/true, /*add_wrapp_files=*/true);
  EXPECT_EQ(paths_of(all.catalog), (Paths{".app.wrapp", "bin/.tool.wrapp", "bin/tool.txt", "libs/lib/.lib.wrapp",
                                          "libs/lib/lib.txt", "libs/lib/sub/l2.txt"}));
  const auto* item = all.catalog.find("libs/lib/sub/l2.txt");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(all.catalog.source_of(*item), version_url(other, "lib", "1").join("sub/l2.txt").str());
  const auto* marker_item = all.catalog.find("bin/.tool.wrapp");
  ASSERT_NE(marker_item, nullptr);
  std::string text = get(repo_marker_url(repo, "tool", "2"));
  EXPECT_EQ(marker_item->hash, model::ContentHash(model::flat_hash(text.data(), text.size())));
  EXPECT_EQ(marker_item->size, text.size());
  ASSERT_EQ(all.packages.size(), 3u);
  EXPECT_EQ(all.packages[1].install_path, "libs/lib");
}

TEST_P(PackageTree, ExtractCatalogRefusesCyclesClashesAndMissingDependencies) {
  Url repo = root("repo");
  put_version(repo, "a", "1", {{"b", "1", "", "b"}});
  put_version(repo, "b", "1", {{"a", "1", repo.str(), "a"}});
  auto cycle = failure_of([&] { extract("a", "1", repo, true); });
  EXPECT_NE(std::string(cycle.what()).find("dependency cycle: 'a' 1 -> 'b' 1 -> 'a' 1"), std::string::npos)
      << cycle.what();
  EXPECT_TRUE(extract("a", "1", repo, false).catalog.items.empty()) << "not recursive: no cycle to follow";
  put_version(repo, "c", "1", {{"gone", "3", "", "g"}});
  auto missing = failure_of([&] { extract("c", "1", repo, true); });
  EXPECT_EQ(code_of(missing), "not_found") << missing.what();
  EXPECT_NE(std::string(missing.what()).find("a dependency of 'c' 1"), std::string::npos) << missing.what();
  publish("lib", "1", kLib, repo);
  publish("lib2", "1", {{"lib.txt", "other\n"}}, repo);
  put_version(repo, "d", "1", {{"lib", "1", "", ""}, {"lib2", "1", "", "."}});
  auto clash = failure_of([&] { extract("d", "1", repo, true); });
  EXPECT_EQ(code_of(clash), "conflict") << clash.what();
  EXPECT_NE(std::string(clash.what()).find("'lib' 1"), std::string::npos) << clash.what();
  EXPECT_NE(std::string(clash.what()).find("'lib2' 1"), std::string::npos) << clash.what();
  auto absent = failure_of([&] { extract("nope", "1", repo, true); });
  EXPECT_EQ(code_of(absent), "not_found") << absent.what();
}

TEST_P(PackageTree, FindOrphansFollowsTheClosureAcrossRepositories) {
  Url repo = root("repo"), other = root("other");
  publish("lib", "1", kLib, repo);
  publish("lib", "2", kLib, repo);
  publish("tool", "1", kTool, other);
  publish("tool", "2", kTool, other);
  put_version(repo, "app", "1", {{"lib", "1", "", "l"}, {"tool", "2", other.str(), "t"}});
  put_version(repo, "app", "2", {{"lib", "2", "", "l"}});
  // A cycle in the closure ends where it closes.
  put_version(other, "x", "1", {{"y", "1", "", "y"}});
  put_version(other, "y", "1", {{"x", "1", other.str(), "x"}});
  EXPECT_EQ(orphans({{"app", "1", repo.str()}}, {repo, other}),
            (Paths{"app 2", "lib 2", "tool 1 elsewhere", "x 1 elsewhere", "y 1 elsewhere"}));
  EXPECT_EQ(orphans({{"app", "1", repo.str()}, {"y", "1", other.str()}}, {other}), (Paths{"tool 1"}));
  auto absent = failure_of([&] { orphans({{"app", "9", repo.str()}}, {repo}); });
  EXPECT_EQ(code_of(absent), "not_found") << absent.what();
  put_version(repo, "broken", "1", {{"gone", "1", "", "g"}});
  auto missing = failure_of([&] { orphans({{"broken", "1", repo.str()}}, {repo}); });
  EXPECT_NE(std::string(missing.what()).find("a dependency of 'broken' 1"), std::string::npos) << missing.what();
}

TEST_P(PackageTree, DeletePackagesRemovesVersionsAndTheirFolders) {
  Url repo = root("repo");
  publish("lib", "1", kLib, repo);
  publish("lib", "2", kLib, repo);
  publish("tool", "1", kTool, repo);
  auto dry = remove({{"lib", "1", repo.str()}}, /*dry_run=*/true);
  ASSERT_EQ(dry.versions.size(), 1u);
  EXPECT_EQ(dry.versions[0].files, (Paths{".lib.wrapp", "lib.txt", "sub/l2.txt"}));
  EXPECT_EQ(versions_in(repo), (Paths{"lib 1", "lib 2", "tool 1"}));
  remove({{"lib", "1", repo.str()}, {"tool", "1", repo.str()}});
  EXPECT_EQ(versions_in(repo), (Paths{"lib 2"}));
  EXPECT_FALSE(exists(version_url(repo, "lib", "1")));
  EXPECT_FALSE(exists(version_url(repo, "tool", "1").parent())) << "the package folder held no other version";
  EXPECT_EQ(contents(version_url(repo, "lib", "2")), kLib);
  auto again = failure_of([&] { remove({{"lib", "1", repo.str()}, {"lib", "2", repo.str()}}); });
  EXPECT_EQ(code_of(again), "not_found") << again.what();
  EXPECT_EQ(versions_in(repo), (Paths{"lib 2"})) << "a missing version deletes nothing";
  // Leftovers of an interrupted run (no package file) go too.
  put(version_url(repo, "lib", "3").join("half.txt"), "half\n");
  auto leftover = remove({{"lib", "3", repo.str()}});
  EXPECT_FALSE(leftover.versions[0].published);
  EXPECT_FALSE(exists(version_url(repo, "lib", "3").join("half.txt")));
}

TEST_P(PackageTree, DeletePackagesWaitsForNoWriterAndDeletesNothingWhenLocked) {
  Url repo = root("repo");
  publish("lib", "1", kLib, repo);
  publish("tool", "1", kTool, repo);
  storage::Lock::Options held;
  held.purpose = "test holds the version";
  held.refresh = 1h;
  held.expiry = 2h;
  auto lock = storage::Lock::acquire(store(repo), version_lock_url(repo, "tool", "1"), held);
  auto before = snapshot(root("repo/.packages"), false);
  auto locked = failure_of([&] { remove({{"lib", "1", repo.str()}, {"tool", "1", repo.str()}}); });
  EXPECT_EQ(code_of(locked), "locked") << locked.what();
  EXPECT_EQ(snapshot(root("repo/.packages"), false), before);
  EXPECT_FALSE(exists(version_lock_url(repo, "lib", "1"))) << "the locks taken are released";
  lock.reset();
  remove({{"lib", "1", repo.str()}, {"tool", "1", repo.str()}});
  EXPECT_EQ(contents(repo), Files{}) << "every version is gone";
}

TEST_P(PackageTree, TracebackFollowsInstallMirrorAndCreate) {
  Url repo = root("repo"), mirror_repo = root("mirror"), dest = root("work");
  publish_both(root(), repo);
  mirror_pkg(repo, mirror_repo, "1");
  install_pkg(mirror_repo, dest, "1");
  Session s;
  auto r = traceback(s.ctx, {marker(dest).str()});
  std::vector<std::string> kinds;
  for (const auto& step : r.steps) kinds.push_back(std::string(traceback_kind_name(step.kind)) + " " + step.url);
  EXPECT_EQ(kinds, (Paths{"installed " + marker(dest).str(),
                          "mirror_repository " + repo_marker_url(mirror_repo, kPkg, "1").str(),
                          "primary_repository " + repo_marker_url(repo, kPkg, "1").str(),
                          "primary_source_folder " + root("src1").str()}));
  EXPECT_EQ(traceback_line(r.steps[2]),
            "Primary repository at " + repo_marker_url(repo, kPkg, "1").display() + ".");
}

TEST_P(PackageTree, TracebackEndsAtCyclesAndMissingFiles) {
  Url r1 = root("r1"), r2 = root("r2");
  // Two mirrors naming each other as their source.
  put_version(r1, "p", "1", {}, r2.str());
  put_version(r2, "p", "1", {}, r1.str());
  Session s;
  auto r = traceback(s.ctx, {repo_marker_url(r1, "p", "1").str()});
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[2].kind, TracebackStep::Kind::kCircular);
  EXPECT_EQ(traceback_line(r.steps[2]), "Circular reference detected: " + repo_marker_url(r1, "p", "1").display() +
                                            " has already been visited.");
  // A primary repository whose source is gone; one whose repository is gone.
  put_version(r1, "q", "1", {}, r1.str(), root("gone").str());
  auto missing = traceback(s.ctx, {repo_marker_url(r1, "q", "1").str()});
  ASSERT_EQ(missing.steps.size(), 2u);
  EXPECT_EQ(traceback_line(missing.steps[1]),
            "Source package missing: Could not find wrapp file at " + root("gone/.q.wrapp").display() + ".");
  put(root("work/.q.wrapp"), R"({"name": "q", "version": "7", "repository": ")" + r1.str() + R"("})");
  auto no_version = traceback(s.ctx, {root("work/.q.wrapp").str()});
  ASSERT_EQ(no_version.steps.size(), 2u);
  EXPECT_EQ(no_version.steps[1].kind, TracebackStep::Kind::kMissingInRepository);
}

INSTANTIATE_TEST_SUITE_P(Backends, PackageTree, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
