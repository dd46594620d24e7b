// The dependency-file workflow on the local file system and the in-memory
// object store: `new`, `install --dependency-file` recording (also from two
// writers at once), `uninstall NAME FILE` removing exactly that record,
// `create` of the folder recording the installs; install's ignore rules;
// create refusing subpackages that could not install.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "commands/dependency_file.h"
#include "commands/package_tree_test_support.h"

namespace wrapp::commands::cmdtest {
namespace {

using Paths = std::vector<std::string>;

// "package version relative_destination" of every record.
Paths records(const model::PackageInfo& info) {
  Paths out;
  for (const auto& d : info.dependencies) out.push_back(d.package + " " + d.version + " " + d.relative_destination);
  return out;
}

class DependencyFile : public PackageTreeTest {
 protected:
  void SetUp() override {
    PackageTreeTest::SetUp();
    repo_ = root("repo");
    create_package("lib", "1", root("src-lib1"), repo_, {{"l.txt", "lib 1\n"}});
    create_package("lib", "2", root("src-lib2"), repo_, {{"l.txt", "lib 2\n"}, {"m.txt", "m\n"}});
    create_package("tool", "1", root("src-tool"), repo_, {{"t.txt", "tool\n"}});
    proj_ = root("proj");
    put(proj_.join("scene.usd"), "scene\n");
    file_ = new_file("proj", "0.1", proj_);
  }
  InstallResult record(const std::string& name, const std::string& version, const std::string& where,
                       SessionOptions so = {}) {
    return install_package(name, version, proj_.join(where), repo_, [&](InstallOptions& o) { o.dependency_file = file_.str(); },
                so);
  }
  Url repo_, proj_, file_;
};

TEST_P(DependencyFile, InstallRecordsAndUpdatesItsRecord) {
  auto first = record("lib", "1", "libs/lib");
  EXPECT_EQ(first.dependency_file, file_.str());
  EXPECT_TRUE(first.dependency_recorded);
  EXPECT_EQ(get(proj_.join("libs/lib/l.txt")), "lib 1\n");
  auto info = info_of(file_);
  ASSERT_EQ(info.dependencies.size(), 1u);
  EXPECT_EQ(info.dependencies[0], (model::Dependency{"lib", "1", repo_.str(), "libs/lib"}));
  EXPECT_FALSE(info.catalog) << "the file stays a file without catalog";

  EXPECT_FALSE(record("lib", "1", "libs/lib").dependency_recorded) << "already recorded as it is";
  record("tool", "1", "tools");
  record("lib", "2", "libs/lib");  // an update: the record follows
  EXPECT_EQ(records(info_of(file_)), (Paths{"lib 2 libs/lib", "tool 1 tools"}));
  EXPECT_EQ(get(proj_.join("libs/lib/m.txt")), "m\n");
}

TEST_P(DependencyFile, RecordingKeepsUnknownKeys) {
  auto info = info_of(file_);
  info.extra["tool_specific"] = R"({"kept": [1, 2]})";
  put(file_, info.serialize());
  record("lib", "1", "libs/lib");
  auto after = info_of(file_);
  EXPECT_EQ(after.extra.at("tool_specific"), R"({"kept": [1, 2]})");
  EXPECT_EQ(records(after), Paths{"lib 1 libs/lib"});
}

TEST_P(DependencyFile, DestinationOutsideTheFilesFolderIsRefusedBeforeInstalling) {
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] {
    install_package("lib", "1", root("elsewhere"), repo_, [&](InstallOptions& o) { o.dependency_file = file_.str(); });
  });
  EXPECT_EQ(code_of(refused), "bad_input") << refused.what();
  EXPECT_NE(std::string(refused.what()).find("not inside"), std::string::npos) << refused.what();
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(DependencyFile, MissingOrInvalidFileIsRefusedBeforeInstalling) {
  auto before = snapshot(root(), false);
  auto missing = failure_of([&] {
    install_package("lib", "1", proj_.join("libs/lib"), repo_,
         [&](InstallOptions& o) { o.dependency_file = proj_.join(".nothing.wrapp").str(); });
  });
  EXPECT_EQ(code_of(missing), "not_found") << missing.what();
  EXPECT_EQ(snapshot(root(), false), before);
  put(proj_.join(".bad.wrapp"), "[1, 2]");
  before = snapshot(root(), false);
  auto invalid = failure_of([&] {
    install_package("lib", "1", proj_.join("libs/lib"), repo_,
         [&](InstallOptions& o) { o.dependency_file = proj_.join(".bad.wrapp").str(); });
  });
  EXPECT_NE(std::string(invalid.what()).find(".bad.wrapp"), std::string::npos) << invalid.what();
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(DependencyFile, APackageIsRecordedInOnePlaceOnly) {
  record("lib", "1", "a");
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { record("lib", "1", "b"); });
  EXPECT_NE(std::string(refused.what()).find("already records package 'lib' at 'a'"), std::string::npos)
      << refused.what();
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(DependencyFile, APackageDoesNotRecordItselfInItsOwnFolder) {
  create_package("proj", "1", root("src-proj"), repo_, {{"p.txt", "p\n"}});
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { record("proj", "1", ""); });
  EXPECT_EQ(code_of(refused), "bad_input") << refused.what();
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(DependencyFile, DryRunRecordsNothing) {
  auto before = snapshot(root());
  auto r = record("lib", "1", "libs/lib", {.dry_run = true});
  EXPECT_TRUE(r.dependency_recorded) << "would be recorded";
  EXPECT_EQ(snapshot(root()), before);
}

TEST_P(DependencyFile, UninstallThroughTheFileRemovesExactlyItsRecord) {
  record("lib", "1", "libs/lib");
  record("tool", "1", "tools");
  put(proj_.join("libs/lib/mine.txt"), "mine\n");
  auto r = uninstall_package("lib", file_, false);
  EXPECT_TRUE(r.record_removed);
  EXPECT_EQ(r.dependency_file, file_.str());
  EXPECT_EQ(r.files_removed, 1u);
  EXPECT_FALSE(exists(marker_of(proj_.join("libs/lib"), "lib")));
  EXPECT_EQ(get(proj_.join("libs/lib/mine.txt")), "mine\n");
  EXPECT_EQ(records(info_of(file_)), Paths{"tool 1 tools"});
  EXPECT_EQ(get(proj_.join("tools/t.txt")), "tool\n");
  EXPECT_EQ(get(proj_.join("scene.usd")), "scene\n");
  auto again = failure_of([&] { uninstall_package("lib", file_, false); });
  EXPECT_NE(std::string(again.what()).find("records no dependency"), std::string::npos) << again.what();
}

TEST_P(DependencyFile, UninstallThroughTheFileKeepsTheRecordWhenRefused) {
  record("lib", "1", "libs/lib");
  put(proj_.join("libs/lib/l.txt"), "edited\n");
  auto refused = failure_of([&] { uninstall_package("lib", file_, false); });
  EXPECT_EQ(code_of(refused), "modified") << refused.what();
  EXPECT_EQ(records(info_of(file_)), Paths{"lib 1 libs/lib"});
  auto dry = uninstall_package("lib", file_, true, {.dry_run = true});
  EXPECT_TRUE(dry.record_removed);
  EXPECT_EQ(records(info_of(file_)), Paths{"lib 1 libs/lib"});
}

TEST_P(DependencyFile, UninstallOfAPackageGoneByHandRemovesOnlyTheRecord) {
  record("lib", "1", "libs/lib");
  store(proj_).remove(marker_of(proj_.join("libs/lib"), "lib"));
  auto r = uninstall_package("lib", file_, false);
  EXPECT_FALSE(r.was_installed);
  EXPECT_TRUE(r.record_removed);
  EXPECT_EQ(records(info_of(file_)), Paths{});
  EXPECT_EQ(get(proj_.join("libs/lib/l.txt")), "lib 1\n") << "no package's files to remove";
}

TEST_P(DependencyFile, UninstallRefusesAFileRecordingThePackageTwice) {
  record("lib", "1", "a");
  auto info = info_of(file_);
  info.dependencies.push_back({"lib", "1", repo_.str(), "b"});  // written by hand
  put(file_, info.serialize());
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { uninstall_package("lib", file_, false); });
  EXPECT_NE(std::string(refused.what()).find("2 places (a, b)"), std::string::npos) << refused.what();
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(DependencyFile, ConcurrentRecordsAreNeverLost) {
  // Both writers read the same version of the file before either writes
  // (on the object store, made to meet at the commit): one replaces it, the
  // other finds it changed, reads it again and adds its record to it.
  if (on_memory()) rendezvous("commit", file_, 2);
  std::vector<std::thread> writers;
  for (const char* name : {"a", "b"}) {
    writers.emplace_back([&, name] {
      Session s;
      record_dependency(s.ctx, file_, {name, "1", repo_.str(), std::string("libs/") + name});
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(records(info_of(file_)).size(), 2u);
  clear_faults();
  // And through install, several at once.
  std::vector<std::thread> installs;
  for (const char* where : {"x/lib", "y/tool"}) {
    installs.emplace_back([&, where] { record(std::string(where).substr(2), "1", where); });
  }
  for (auto& t : installs) t.join();
  auto all = records(info_of(file_));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (Paths{"a 1 libs/a", "b 1 libs/b", "lib 1 x/lib", "tool 1 y/tool"}));
}

TEST_P(DependencyFile, CreateOfTheFolderRecordsTheInstalls) {
  record("lib", "2", "libs/lib");
  record("tool", "1", "tools");
  auto created = create_package("proj", "1", proj_, repo_);
  Paths deps;
  for (const auto& d : created.package.dependencies) {
    deps.push_back(d.package + " " + d.version + " " + d.repository + " " + d.relative_destination);
  }
  std::sort(deps.begin(), deps.end());
  EXPECT_EQ(deps, (Paths{"lib 2 " + repo_.str() + " libs/lib", "tool 1 " + repo_.str() + " tools"}));
  ASSERT_EQ(created.package.catalog->items.size(), 1u);
  EXPECT_EQ(created.package.catalog->items[0].relative_path, "scene.usd");
  install_package("proj", "1", root("copy"), repo_);
  EXPECT_EQ(contents(root("copy")),
            (Files{{"scene.usd", "scene\n"}, {"libs/lib/l.txt", "lib 2\n"}, {"libs/lib/m.txt", "m\n"},
                   {"tools/t.txt", "tool\n"}}));
}

// -- install's ignore rules ----------------------------------------------------

TEST_P(DependencyFile, IgnoredFileWhereThePackageBringsOneIsOverwritten) {
  Url dest = root("dest");
  put(dest.join("l.txt"), "my own\n");
  auto refused = failure_of([&] { install_package("lib", "1", dest, repo_); });
  EXPECT_EQ(code_of(refused), "conflict") << refused.what();
  put(root("rules"), "*.txt\n");
  install_package("lib", "1", dest, repo_, [&](InstallOptions& o) { o.ignore_file = root("rules").str(); });
  EXPECT_EQ(get(dest.join("l.txt")), "lib 1\n");
  // The destination's .wrappignore by default; a modified package file is
  // still a conflict, ignored or not.
  put(dest.join(".wrappignore"), "*.txt\n");
  put(dest.join("m.txt"), "my own m\n");
  put(dest.join("l.txt"), "edited\n");
  refused = failure_of([&] { install_package("lib", "2", dest, repo_); });
  EXPECT_EQ(refused.payload(), Paths{"l.txt: modified"});
  put(dest.join("l.txt"), "lib 1\n");
  install_package("lib", "2", dest, repo_);
  EXPECT_EQ(get(dest.join("m.txt")), "m\n");
}

// -- create refuses subpackages it could not install -------------------------------

TEST_P(DependencyFile, CreateRefusesANestedFileWithoutCatalog) {
  new_file("sub", "0.1", proj_.join("sub"));
  auto refused = failure_of([&] { create_package("proj", "1", proj_, repo_); });
  EXPECT_NE(std::string(refused.what()).find(".sub.wrapp"), std::string::npos) << refused.what();
  EXPECT_FALSE(exists(version_url(repo_, "proj", "1")));
}

TEST_P(DependencyFile, CreateRefusesANestedFileWithoutRepositoryUnlessTheTargetHasIt) {
  put(proj_.join("sub/s.txt"), "s\n");
  new_file("sub", "0.1", proj_.join("sub"), /*with_catalog=*/true);
  auto refused = failure_of([&] { create_package("proj", "1", proj_, repo_); });
  EXPECT_EQ(code_of(refused), "not_found") << refused.what();
  ASSERT_EQ(refused.payload().size(), 1u);
  EXPECT_NE(refused.payload()[0].find("sub/.sub.wrapp: package 'sub' 0.1 records no repository"), std::string::npos)
      << refused.payload()[0];
  EXPECT_FALSE(exists(version_url(repo_, "proj", "1")));
  // Published there, it installs from the parent's repository.
  create_package("sub", "0.1", root("src-sub"), repo_, {{"s.txt", "s\n"}});
  auto created = create_package("proj", "1", proj_, repo_);
  ASSERT_EQ(created.package.dependencies.size(), 1u);
  EXPECT_EQ(created.package.dependencies[0].repository, "");
  install_package("proj", "1", root("copy"), repo_);
  EXPECT_EQ(get(root("copy").join("sub/s.txt")), "s\n");
}

TEST_P(DependencyFile, CheckSubpackageFindsVersionsMissingFromTheirRepositories) {
  Url other = root("other");
  create_package("base", "1", root("src-base"), other, {{"b.txt", "b\n"}});
  install_package("base", "1", root("src-kit").join("base"), other);
  create_package("kit", "1", root("src-kit"), other, {{"k.txt", "k\n"}});
  install_package("kit", "1", proj_.join("kit"), other, [&](InstallOptions& o) { o.dependency_file = file_.str(); });
  record("lib", "1", "libs/lib");
  auto check = [](CreateOptions& o) { o.check_subpackage = true; };
  create_package("proj", "1", proj_, repo_, {}, check);  // everything is there
  // base goes from its repository: kit, which depends on it, would not install.
  store(other).remove(repo_marker_url(other, "base", "1"));
  store(repo_).remove(repo_marker_url(repo_, "lib", "1"));
  create_package("proj", "2", proj_, repo_);  // not looked for without the option
  auto refused = failure_of([&] { create_package("proj", "3", proj_, repo_, {}, check); });
  EXPECT_EQ(code_of(refused), "not_found") << refused.what();
  ASSERT_EQ(refused.payload().size(), 2u) << refused.what();
  EXPECT_NE(refused.payload()[0].find("package 'base' 1 not found in repository '" + other.str() +
                                      "', which 'kit 1' depends on"),
            std::string::npos)
      << refused.payload()[0];
  EXPECT_NE(refused.payload()[1].find("libs/lib/.lib.wrapp: package 'lib' 1 not found"), std::string::npos)
      << refused.payload()[1];
  EXPECT_FALSE(exists(version_url(repo_, "proj", "3")));
}

TEST_P(DependencyFile, CheckSubpackageFindsAVersionUnderTheOlderFileName) {
  record("lib", "1", "libs/lib");
  Url canonical = repo_marker_url(repo_, "lib", "1");
  std::string text = get(canonical);
  store(canonical).remove(canonical);
  put(version_url(repo_, "lib", "1").join("lib.wrapp"), text);
  auto created = create_package("proj", "1", proj_, repo_, {}, [](CreateOptions& o) { o.check_subpackage = true; });
  EXPECT_EQ(created.package.dependencies.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DependencyFile, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
