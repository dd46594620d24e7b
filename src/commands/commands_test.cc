// The commands, called as the CLI calls them, on the local file system and on
// the in-memory object store (no rename, no folders, create-only writes,
// paginated listings): create, list-repo, install, status, check, update,
// uninstall, mirror and their dry runs; then the same commands across
// backends. Locks, interrupted runs and races are in commands_safety_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands/command_test_support.h"
#include "commands/install_lock.h"

namespace wrapp::commands::cmdtest {
namespace {

using Paths = std::vector<std::string>;

class Lifecycle : public BackendTest {};

TEST_P(Lifecycle, CreateListRepoAndCheck) {
  Url repo = root("repo");
  put_tree(root("src1"), v1_files());
  auto created = create_pkg(root("src1"), repo, "1");
  EXPECT_EQ(created.wrapp_file, repo_marker_url(repo, kPkg, "1").str());
  EXPECT_EQ(actions_of(created.plan)["copy"].size(), v1_files().size());
  EXPECT_EQ(contents(version_folder(repo, "1")), v1_files());
  put_tree(root("src2"), v2_files());
  create_pkg(root("src2"), repo, "2");
  // A version folder without its package file (an interrupted create) is
  // no version.
  put(version_folder(repo, "10").join("a.txt"), "partial\n");

  auto packages = packages_in(repo);
  ASSERT_EQ(packages.size(), 1u);
  EXPECT_EQ(packages[0].name, kPkg);
  EXPECT_EQ(packages[0].versions, (Paths{"1", "2"}));
  EXPECT_EQ(check_report(repo, "1"), all_ok(v1_files()));
  EXPECT_EQ(check_report(repo, "2"), all_ok(v2_files()));

  auto again = failure_of([&] { create_pkg(root("src2"), repo, "1"); });
  EXPECT_EQ(code_of(again), "already_exists") << again.what();
  EXPECT_EQ(contents(version_folder(repo, "1")), v1_files());
}

TEST_P(Lifecycle, InstallThenStatusSeesEveryChange) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  auto installed = install_pkg(repo, dest, "1");
  EXPECT_FALSE(installed.no_op);
  EXPECT_EQ(actions_of(installed.plan)["copy"].size(), v1_files().size());
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_EQ(installed_version(dest), "1");
  EXPECT_FALSE(exists(install_lock_url(dest)));
  EXPECT_EQ(status_lines(dest), Paths{});
  EXPECT_TRUE(install_pkg(repo, dest, "1").unchanged()) << "an intact install is a no-op";

  put(dest.join("a.txt"), "alpha 1, edited\n");  // another size
  put(dest.join("keep.txt"), "KEPT\n");          // the same size, other bytes
  store(dest).remove(dest.join("dir/c.txt"));
  put(dest.join("dir/extra.txt"), "mine\n");
  EXPECT_EQ(status_lines(dest),
            (Paths{"item_differs a.txt", "item_missing dir/c.txt", "extra_item dir/extra.txt", "item_differs keep.txt"}));
}

TEST_P(Lifecycle, CheckReportsDamageMissingFilesAndStrays) {
  Url repo = root("repo");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  Url version = version_folder(repo, "1");
  std::string damaged = get(version.join("b.bin"));
  damaged[50000] ^= 1;
  put(version.join("b.bin"), damaged);
  put(version.join("a.txt"), "alpha");
  store(version).remove(version.join("dir/c.txt"));
  put(version.join("dir/stray.txt"), "left over\n");

  auto expected = all_ok(v1_files());
  expected["a.txt"] = "size_mismatch";
  expected["b.bin"] = "hash_mismatch";
  expected["dir/c.txt"] = "missing";
  expected["dir/stray.txt"] = "stray";
  EXPECT_EQ(check_report(repo, "1"), expected);
}

TEST_P(Lifecycle, UpdateCopiesDeletesAndKeeps) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  install_pkg(repo, dest, "1");
  auto update = install_pkg(repo, dest, "2");
  auto actions = actions_of(update.plan);
  EXPECT_EQ(actions["copy"], (Paths{"a.txt", "new/f.txt", "z.txt"}));
  EXPECT_EQ(actions["delete"], (Paths{"dir/c.txt"}));
  EXPECT_EQ(actions["keep"], (Paths{"b.bin", "dir/sub/d.txt", "e.txt", "keep.txt"}));
  EXPECT_EQ(contents(dest), v2_files());
  EXPECT_EQ(installed_version(dest), "2");
  EXPECT_EQ(status_lines(dest), Paths{});

  auto back = install_pkg(repo, dest, "1");
  EXPECT_EQ(actions_of(back.plan)["delete"], (Paths{"new/f.txt", "z.txt"}));
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_EQ(status_lines(dest), Paths{});
}

// An update of a package of many files lists the installed version's
// folders while the new version's package file is still being read, and
// plans on that listing, or lists again where the new version has folders
// the old one lacks: either way every path is seen as it is (a modified
// file conflicts, a user's file in a new folder conflicts, the rest
// updates).
TEST_P(Lifecycle, AnUpdateOfManyFilesSeesTheDestinationAsItIsWhetherOrNotItListsAgain) {
  Url repo = root("repo"), dest = root("work");
  Files v1, v2, v3;
  for (int i = 0; i < 40; ++i) {
    std::string name = "d" + std::to_string(i % 4) + "/f" + std::to_string(i);
    v1[name] = "one " + name;
    v2[name] = i % 10 == 0 ? "two " + name : v1[name];
  }
  v3 = v2;
  v3["added/g.txt"] = "a new folder";
  put_tree(root("src1"), v1);
  put_tree(root("src2"), v2);
  put_tree(root("src3"), v3);
  create_pkg(root("src1"), repo, "1");
  create_pkg(root("src2"), repo, "2");
  create_pkg(root("src3"), repo, "3");
  install_pkg(repo, dest, "1");

  put(dest.join("d1/f5"), "my own edit");  // a file v2 keeps as it is
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { install_pkg(repo, dest, "2"); });
  EXPECT_EQ(code_of(refused), "conflict") << refused.what();
  EXPECT_EQ(refused.payload(), (Paths{"d1/f5: modified"})) << refused.what();
  EXPECT_EQ(snapshot(root(), false), before);

  put(dest.join("d1/f5"), v1.at("d1/f5"));
  auto update = install_pkg(repo, dest, "2");
  EXPECT_EQ(actions_of(update.plan)["copy"], (Paths{"d0/f0", "d0/f20", "d2/f10", "d2/f30"}));
  EXPECT_EQ(contents(dest), v2);

  put(dest.join("added/g.txt"), "the user's own");  // where v3 brings a file
  auto refused3 = failure_of([&] { install_pkg(repo, dest, "3"); });
  ASSERT_EQ(refused3.payload().size(), 1u) << refused3.what();
  EXPECT_TRUE(refused3.payload()[0].starts_with("added/g.txt: ")) << refused3.payload()[0];
  store(dest).remove(dest.join("added/g.txt"));
  install_pkg(repo, dest, "3");
  EXPECT_EQ(contents(dest), v3);
  EXPECT_EQ(status_lines(dest), Paths{});
}

// An update reads the version's package file on another thread while it
// reads the installed one (RepoPackageReadAhead): its errors are still the
// install's, reported where the read stands, and nothing changes.
TEST_P(Lifecycle, AnUpdateToAVersionTheRepositoryLacksFailsNamingItAndChangesNothing) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  install_pkg(repo, dest, "1");
  std::string marker_before = get(marker(dest));
  auto missing = failure_of([&] { install_pkg(repo, dest, "3"); });
  EXPECT_EQ(code_of(missing), "not_found") << missing.what();
  EXPECT_NE(std::string(missing.what()).find("version '3' not found in repository"), std::string::npos)
      << missing.what();
  EXPECT_NE(std::string(missing.what()).find("(available: 1, 2)"), std::string::npos) << missing.what();
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_EQ(get(marker(dest)), marker_before);

  // The installed file is checked first: one that names another package is
  // the error, whatever the repository holds.
  std::string other = marker_before;
  size_t at = other.find("\"name\": \"" + std::string(kPkg) + "\"");
  ASSERT_NE(at, std::string::npos) << other.substr(0, 200);
  other.replace(at, 10 + std::string(kPkg).size(), "\"name\": \"zzz\"");
  put(marker(dest), other);
  auto foreign = failure_of([&] { install_pkg(repo, dest, "3"); });
  EXPECT_NE(std::string(foreign.what()).find("belongs to package 'zzz'"), std::string::npos) << foreign.what();
  EXPECT_EQ(contents(dest), v1_files());
}

TEST_P(Lifecycle, UninstallRemovesThePackagesFilesAndMarkerOnly) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  install_pkg(repo, dest, "1");
  put(dest.join("dir/mine.txt"), "mine\n");
  auto result = uninstall_pkg(dest, false);
  EXPECT_EQ(result.removed, Paths{marker(dest).str()});
  EXPECT_EQ(result.files_removed, v1_files().size());
  EXPECT_TRUE(result.modified.empty());
  // The user's file stays; on a disk the folders the package emptied go.
  auto left = snapshot(dest);
  Paths paths;
  for (const auto& [path, what] : left) paths.push_back(path);
  EXPECT_EQ(paths, (Paths{"dir", "dir/mine.txt"}));
  std::string again = failure_of([&] { uninstall_pkg(dest, false); }).what();
  EXPECT_NE(again.find("is not installed"), std::string::npos) << again;
}

TEST_P(Lifecycle, UninstallRefusesModifiedFilesUnlessForced) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  install_pkg(repo, dest, "1");
  put(dest.join("dir/sub/d.txt"), "DELTA\n");
  store(dest).remove(dest.join("e.txt"));  // missing does not refuse
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { uninstall_pkg(dest, false); });
  EXPECT_EQ(code_of(refused), "modified") << refused.what();
  EXPECT_EQ(refused.payload(), (Paths{"dir/sub/d.txt: modified", "e.txt: missing"}));
  EXPECT_EQ(snapshot(root(), false), before);

  auto forced = uninstall_pkg(dest, true);
  ASSERT_EQ(forced.modified.size(), 2u);
  EXPECT_EQ(forced.modified[0].relative_path, "dir/sub/d.txt");
  EXPECT_EQ(contents(dest), Files{});
  EXPECT_FALSE(exists(marker(dest)));
}

TEST_P(Lifecycle, InstallConflictsNameEveryPathAndChangeNothing) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  put(dest.join("a.txt"), "my own a\n");
  put(dest.join("dir/sub/d.txt"), "my own d\n");
  put(dest.join("keep.txt"), v1_files().at("keep.txt"));  // what the package brings: no conflict
  auto before = snapshot(root(), false);
  auto refused = failure_of([&] { install_pkg(repo, dest, "1"); });
  EXPECT_EQ(code_of(refused), "conflict") << refused.what();
  ASSERT_EQ(refused.payload().size(), 2u) << refused.what();
  EXPECT_TRUE(refused.payload()[0].starts_with("a.txt: ")) << refused.payload()[0];
  EXPECT_TRUE(refused.payload()[1].starts_with("dir/sub/d.txt: ")) << refused.payload()[1];
  EXPECT_EQ(snapshot(root(), false), before);
}

TEST_P(Lifecycle, MirrorCopiesOnceAndRefusesOtherContent) {
  Url repo1 = root("repo1"), repo2 = root("repo2"), repo3 = root("repo3");
  publish_both(root(), repo1);
  auto first = mirror_pkg(repo1, repo2, "1");
  EXPECT_FALSE(first.no_op);
  EXPECT_EQ(actions_of(first.plan)["copy"].size(), v1_files().size());
  EXPECT_EQ(check_report(repo2, "1"), all_ok(v1_files()));
  EXPECT_EQ(contents(version_folder(repo2, "1")), v1_files());
  ASSERT_EQ(packages_in(repo2).size(), 1u);
  EXPECT_EQ(packages_in(repo2)[0].versions, Paths{"1"});
  {
    Session s;
    EXPECT_EQ(read_package_info(s.ctx, repo_marker_url(repo2, kPkg, "1"))->repository, repo1.str());
  }

  auto before = snapshot(version_folder(repo2, "1"));
  EXPECT_TRUE(mirror_pkg(repo1, repo2, "1").no_op);
  EXPECT_EQ(snapshot(version_folder(repo2, "1")), before);

  put_tree(root("other"), v2_files());
  create_pkg(root("other"), repo3, "1");
  auto refused = failure_of([&] { mirror_pkg(repo1, repo3, "1"); });
  EXPECT_EQ(code_of(refused), "already_exists") << refused.what();
  EXPECT_EQ(contents(version_folder(repo3, "1")), v2_files());
}

// Where the store keeps object metadata, every mirrored object carries the
// hash its catalog records for it.
TEST_P(Lifecycle, MirroredObjectsCarryTheirHashAsMetadata) {
  Url repo1 = root("repo1"), repo2 = root("repo2");
  publish_both(root(), repo1);
  mirror_pkg(repo1, repo2, "1");
  if (!store(repo2).features().object_metadata) GTEST_SKIP() << "this store keeps no object metadata";
  Session s;
  auto info = read_package_info(s.ctx, repo_marker_url(repo2, kPkg, "1"));
  ASSERT_TRUE(info && info->catalog);
  for (const auto& item : info->catalog->items) {
    Url object = version_folder(repo2, "1").join(item.relative_path);
    auto st = store(object).stat(object);
    ASSERT_TRUE(st) << item.relative_path;
    EXPECT_EQ(st->content_hash, item.hash.str()) << item.relative_path;
  }
}

TEST_P(Lifecycle, MirrorResumeRepairsAPublishedVersion) {
  Url repo1 = root("repo1"), repo2 = root("repo2");
  publish_both(root(), repo1);
  mirror_pkg(repo1, repo2, "1");
  Url version = version_folder(repo2, "1");
  std::string damaged = get(version.join("b.bin"));
  damaged[10] ^= 0x40;
  put(version.join("b.bin"), damaged);
  store(version).remove(version.join("keep.txt"));

  EXPECT_TRUE(mirror_pkg(repo1, repo2, "1").no_op) << "without --resume a published version is left alone";
  EXPECT_EQ(check_report(repo2, "1")["b.bin"], "hash_mismatch");
  auto repaired = mirror_pkg(repo1, repo2, "1", /*resume=*/true);
  EXPECT_FALSE(repaired.no_op);
  auto actions = actions_of(repaired.plan);
  EXPECT_EQ(actions["copy"], (Paths{"b.bin", "keep.txt"}));
  EXPECT_EQ(actions["keep"].size(), v1_files().size() - 2);
  EXPECT_EQ(check_report(repo2, "1"), all_ok(v1_files()));
  EXPECT_EQ(contents(version), v1_files());
  EXPECT_TRUE(mirror_pkg(repo1, repo2, "1", true).no_op);
}

TEST_P(Lifecycle, DryRunsWriteNothing) {
  Url repo1 = root("repo1"), repo2 = root("repo2"), dest = root("work");
  publish_both(root(), repo1);
  SessionOptions dry{.dry_run = true};
  auto before = snapshot(root());
  auto created = create_pkg(root("src2"), repo1, "3", dry);
  EXPECT_EQ(created.wrapp_file, "");
  EXPECT_EQ(actions_of(created.plan)["copy"].size(), v2_files().size());
  EXPECT_EQ(actions_of(install_pkg(repo1, dest, "1", dry).plan)["copy"].size(), v1_files().size());
  EXPECT_EQ(actions_of(mirror_pkg(repo1, repo2, "1", false, dry).plan)["copy"].size(), v1_files().size());
  EXPECT_EQ(snapshot(root()), before);

  // Over an installed package and a published, damaged mirror.
  install_pkg(repo1, dest, "1");
  mirror_pkg(repo1, repo2, "1");
  put(version_folder(repo2, "1").join("a.txt"), "alpha X\n");
  before = snapshot(root());
  auto update = actions_of(install_pkg(repo1, dest, "2", dry).plan);
  EXPECT_EQ(update["copy"].size(), 3u);
  EXPECT_EQ(update["delete"].size(), 1u);
  EXPECT_EQ(uninstall_pkg(dest, false, dry).files_removed, 0u);
  EXPECT_EQ(actions_of(mirror_pkg(repo1, repo2, "1", true, dry).plan)["copy"], Paths{"a.txt"});
  EXPECT_EQ(snapshot(root()), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, Lifecycle, ::testing::Values("local", "memory"), backend_name);

// -- across backends ------------------------------------------------------------

class AcrossBackends : public CommandTest {};

TEST_F(AcrossBackends, CreateFromLocalIntoMemoryAndFromMemoryIntoLocal) {
  put_tree(local("src1"), v1_files());
  put_tree(mem("src2"), v2_files());
  create_pkg(local("src1"), mem("repo"), "1");
  create_pkg(mem("src2"), local("repo"), "2");
  EXPECT_EQ(check_report(mem("repo"), "1"), all_ok(v1_files()));
  EXPECT_EQ(contents(version_folder(mem("repo"), "1")), v1_files());
  EXPECT_EQ(check_report(local("repo"), "2"), all_ok(v2_files()));
  EXPECT_EQ(contents(version_folder(local("repo"), "2")), v2_files());
  ASSERT_EQ(packages_in(mem("repo")).size(), 1u);
  EXPECT_EQ(packages_in(mem("repo"))[0].versions, Paths{"1"});
}

TEST_F(AcrossBackends, InstallFromMemoryIntoLocal) {
  Url repo = mem("repo"), dest = local("work");
  publish_both(mem(), repo);
  install_pkg(repo, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_EQ(status_lines(dest), Paths{});
  install_pkg(repo, dest, "2");
  EXPECT_EQ(contents(dest), v2_files());
  EXPECT_EQ(status_lines(dest), Paths{});
  uninstall_pkg(dest, false);
  EXPECT_EQ(contents(dest), Files{});
  EXPECT_FALSE(exists(marker(dest)));
}

TEST_F(AcrossBackends, MirrorLocalToMemoryAndMemoryToMemory) {
  publish_both(local(), local("repo"));
  EXPECT_FALSE(mirror_pkg(local("repo"), mem("repo"), "2").no_op);
  EXPECT_FALSE(mirror_pkg(mem("repo"), aux("repo"), "2").no_op);
  EXPECT_TRUE(mirror_pkg(local("repo"), mem("repo"), "2").no_op);
  EXPECT_TRUE(mirror_pkg(mem("repo"), aux("repo"), "2").no_op);
  for (const Url& repo : {mem("repo"), aux("repo")}) {
    EXPECT_EQ(check_report(repo, "2"), all_ok(v2_files())) << repo.str();
    EXPECT_EQ(contents(version_folder(repo, "2")), v2_files()) << repo.str();
  }
  install_pkg(aux("repo"), local("work"), "2");
  EXPECT_EQ(contents(local("work")), v2_files());
}

// A store that may clone (Features::reflink) but refuses each clone, as a
// disk without copy-on-write does; clone_attempts counts its link calls.
class RefusedClones : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    static std::atomic<int> stores{0};
    name_ = "commands-refusing-clones" + std::to_string(++stores);
    storage::MemoryStorage::Options options;
    options.claims_reflink = true;
    options.fault = [this](const std::string& op, const std::string&) { clone_attempts += op == "link"; };
    storage::register_memory_store(name_, options);
  }
  void TearDown() override {
    storage::unregister_memory_store(name_);
    CommandTest::TearDown();
  }
  Url cloning(const std::string& rel) const { return Url::parse("mem://" + name_ + "/" + rel); }

  std::atomic<int> clone_attempts{0};

 private:
  std::string name_;
};

// The next version tries one clone, then copies every unchanged file from
// the source without trying again.
TEST_F(RefusedClones, ACreateStopsTryingOnceTheStoreRefusesOne) {
  Url repo = cloning("repo");
  Files files;
  for (int i = 0; i < 20; ++i) files[fmt::format("f{:02}.txt", i)] = fmt::format("file {}\n", i);
  put_tree(local("src"), files);
  model::HashCache hashes;  // filled by the first create: the second knows every hash
  auto create_version = [&](const std::string& version) {
    Session s(SessionOptions{.transfers = 1});
    s.ctx.hash_cache = &hashes;
    CreateOptions o;
    o.package_name = kPkg;
    o.version = version;
    o.source = local("src").str();
    o.repo = repo.str();
    return create(s.ctx, o);
  };
  create_version("1");
  EXPECT_EQ(clone_attempts.load(), 0);
  CreateResult second = create_version("2");
  EXPECT_EQ(actions_of(second.plan)["reuse"].size(), files.size());
  EXPECT_EQ(clone_attempts.load(), 1);
  EXPECT_EQ(contents(version_folder(repo, "2")), files);
  EXPECT_EQ(check_report(repo, "2"), all_ok(files));
}

// An install in reflink mode tries one clone, then copies: not one per
// file (the store's link_batch), nor one per batch (link_objects).
TEST_F(RefusedClones, AnInstallStopsTryingOnceTheStoreRefusesOne) {
  Url repo = cloning("repo");
  Files files;  // three folders: three batches of links
  for (int i = 0; i < 15; ++i) files[fmt::format("d{}/f{:02}.txt", i % 3, i)] = fmt::format("file {}\n", i);
  put_tree(local("src"), files);
  create_pkg(local("src"), repo, "1");
  Url dest = cloning("work");
  install_package(kPkg, "1", dest, repo, [](InstallOptions& o) { o.link_mode = LinkMode::kReflink; },
                  SessionOptions{.transfers = 1});
  EXPECT_EQ(clone_attempts.load(), 1);
  EXPECT_EQ(contents(dest), files);
  EXPECT_EQ(status_lines(dest), Paths{});
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
