// What the commands guarantee when writers meet or fail (docs/reliability.md),
// on the local file system and on the in-memory object store: version locks
// held, or left by a dead holder; publishing interrupted by a storage
// failure and run again; two creates of one version, two installs into one
// folder; an update that fails half-way; a package depending on itself; and,
// on a disk, a symbolic link in an install destination.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/command_test_support.h"
#include "commands/install_lock.h"
#include "commands/publish.h"
#include "storage/lock.h"

namespace wrapp::commands::cmdtest {
namespace {

using namespace std::chrono_literals;
using Paths = std::vector<std::string>;

// A lock held by this (live) process for the whole test.
storage::Lock::Options held_lock_options() {
  storage::Lock::Options o;
  o.purpose = "test holds the version";
  o.refresh = 1h;
  o.expiry = 2h;
  return o;
}

// The pid of a process that existed and is gone (reaped).
int64_t dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// Two commands at once: which succeeded, and what the others said ("<exit
// code> <error code>: <message>").
struct RaceResult {
  std::array<bool, 2> won{false, false};
  std::array<std::string, 2> lost;
};
RaceResult race(const std::function<void(int)>& command) {
  RaceResult result;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      try {
        command(t);
        result.won[t] = true;
      } catch (const Error& e) {
        result.lost[t] = fmt::format("{} {}: {}", e.exit_code(), code_of(e), e.what());
      }
    });
  }
  for (auto& th : threads) th.join();
  return result;
}

class Safety : public BackendTest {
 protected:
  // The version's files, each checked by check: intact and nothing else.
  void expect_published(const Url& repo, const std::string& version, const Files& files) {
    EXPECT_EQ(check_report(repo, version), all_ok(files));
    EXPECT_EQ(contents(version_folder(repo, version)), files);
  }
  // Not published: no package file, not listed, no lock left behind.
  void expect_unpublished(const Url& repo, const std::string& version) {
    EXPECT_FALSE(exists(repo_marker_url(repo, kPkg, version)));
    for (const auto& p : packages_in(repo)) EXPECT_NE(p.name, kPkg) << "listed: " << p.versions.size() << " version(s)";
    EXPECT_FALSE(exists(version_lock_url(repo, kPkg, version)));
  }

  // Version 1 installed in `dest` beside a file of the user's, then an
  // update to 2 that fails copying z.txt: it has deleted dir/c.txt and
  // written a.txt and new/f.txt (deletes first, then copies one by one in
  // path order).
  struct Interrupted {
    Url repo;
    Url dest;
  };
  Interrupted interrupted_update() {
    Interrupted at{faulty("repo"), root("work")};
    publish_both(faulty(), at.repo);
    install_pkg(at.repo, at.dest, "1");
    put(at.dest.join("mine.txt"), "mine\n");
    fail_copy(version_folder(at.repo, "2").join("z.txt"), at.dest.join("z.txt"));
    EXPECT_THROW(install_pkg(at.repo, at.dest, "2", {.transfers = 1}), StorageError);
    clear_faults();
    EXPECT_EQ(installed_version(at.dest), "1");
    Files mid = with_mine(v2_files());
    mid.erase("z.txt");
    EXPECT_EQ(contents(at.dest), mid);
    return at;
  }
  static Files with_mine(Files files) {
    files["mine.txt"] = "mine\n";
    return files;
  }
  // What a process killed right there would have left besides: its install
  // lock, with the intent it recorded before executing.
  Interrupted killed_update() {
    auto at = interrupted_update();
    InstallIntent intent;
    intent.packages.push_back({"", kPkg, "2", at.repo.str()});
    put_dead_holders_lock(install_lock_url(at.dest), "install pkg 2", intent.to_json());
    return at;
  }

  // The three ways to end an interrupted update cleanly (G8).
  void expect_finished_by_running_it_again(const Interrupted& at) {
    auto rerun = install_pkg(at.repo, at.dest, "2");
    EXPECT_EQ(actions_of(rerun.plan)["copy"], Paths{"z.txt"});
    EXPECT_EQ(installed_version(at.dest), "2");
    EXPECT_EQ(contents(at.dest), with_mine(v2_files()));
    EXPECT_EQ(status_lines(at.dest), Paths{"extra_item mine.txt"});
  }
  void expect_undone_by_installing_the_old_version(const Interrupted& at) {
    install_pkg(at.repo, at.dest, "1");
    EXPECT_EQ(installed_version(at.dest), "1");
    EXPECT_EQ(contents(at.dest), with_mine(v1_files()));
    EXPECT_EQ(status_lines(at.dest), Paths{"extra_item mine.txt"});
  }
  void expect_removed_by_uninstall_force(const Interrupted& at) {
    uninstall_pkg(at.dest, /*force=*/true);
    EXPECT_FALSE(exists(marker(at.dest)));
    EXPECT_FALSE(exists(install_lock_url(at.dest)));
    EXPECT_EQ(contents(at.dest), with_mine({}));
  }

  // Leaves at `url` the lock object of a process that died holding it: this
  // host and boot (as a lock of ours records them), a pid that is gone.
  void put_dead_holders_lock(const Url& url, const std::string& purpose, const std::string& intent) {
    storage::LockHolder me;
    {
      auto probe = storage::Lock::acquire(store(aux("probe.lock")), aux("probe.lock"), held_lock_options());
      me = probe->holder();
    }
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json lock = {{"wrapp_lock", 1},       {"purpose", purpose},   {"host", me.host},
                           {"boot_id", me.boot_id}, {"pid", dead_pid()},    {"process_start", 1},
                           {"started_ms", now},     {"heartbeat_ms", now},  {"expiry_ms", 3600000},
                           {"token", "gone"},       {"intent", nlohmann::json::parse(intent)}};
    put(url, lock.dump());
  }
};

// (1) A live holder of the version's lock: create and mirror fail at once
// and write nothing.
TEST_P(Safety, HeldVersionLockStopsCreateAndMirror) {
  Url repo = root("repo"), other = root("other");
  publish_both(root(), other);
  auto held = storage::Lock::acquire(store(repo), version_lock_url(repo, kPkg, "1"), held_lock_options());
  auto before = snapshot(root());
  auto created = failure_of([&] { create_pkg(root("src1"), repo, "1"); });
  auto mirrored = failure_of([&] { mirror_pkg(other, repo, "1"); });
  EXPECT_EQ(snapshot(root()), before);
  held.reset();
  EXPECT_FALSE(exists(repo_marker_url(repo, kPkg, "1")));
  EXPECT_EQ(code_of(created), "locked") << created.what();
  EXPECT_EQ(code_of(mirrored), "locked") << mirrored.what();
  EXPECT_NE(std::string(created.what()).find("test holds the version"), std::string::npos) << created.what();
}

// (2) A lock left by a dead process is taken over.
TEST_P(Safety, DeadHoldersVersionLockIsTakenOver) {
  Url repo = root("repo");
  put_tree(root("src1"), v1_files());
  Url lock_url = version_lock_url(repo, kPkg, "1");
  put_dead_holders_lock(lock_url, "create pkg 1", "null");
  create_pkg(root("src1"), repo, "1");
  expect_published(repo, "1", v1_files());
  EXPECT_FALSE(exists(lock_url)) << "released after publishing";
}

// (3) A storage failure in the middle of create leaves no version; a re-run
// replaces what the failed run left (wrong bytes, a stray file) and
// publishes a version that checks clean.
TEST_P(Safety, InterruptedCreateIsNotPublishedAndRerunPublishes) {
  Url repo = root("repo"), src = faulty("src1");
  put_tree(src, v1_files());
  Url version = version_folder(repo, "1");
  fail_copy(src.join("dir/sub/d.txt"), version.join("dir/sub/d.txt"));
  EXPECT_THROW(create_pkg(src, repo, "1", {.transfers = 1}), StorageError);
  clear_faults();
  expect_unpublished(repo, "1");
  EXPECT_EQ(contents(version), (Files{{"a.txt", v1_files().at("a.txt")}, {"b.bin", v1_files().at("b.bin")},
                                      {"dir/c.txt", v1_files().at("dir/c.txt")}}));
  std::string wrong = get(version.join("b.bin"));
  wrong[0] ^= 1;
  put(version.join("b.bin"), wrong);
  put(version.join("dir/junk.txt"), "junk\n");

  create_pkg(src, repo, "1");
  expect_published(repo, "1", v1_files());
  ASSERT_EQ(packages_in(repo).size(), 1u);
  EXPECT_EQ(packages_in(repo)[0].versions, Paths{"1"});
}

// (3) The same for mirror: a leftover that verifies is kept, one with wrong
// bytes is replaced, a stray one removed.
TEST_P(Safety, InterruptedMirrorIsNotPublishedAndRerunRepairsLeftovers) {
  Url source = faulty("repo1"), repo = root("repo2");
  put_tree(faulty("src1"), v1_files());
  create_pkg(faulty("src1"), source, "1");
  Url version = version_folder(repo, "1");
  fail_copy(version_folder(source, "1").join("dir/sub/d.txt"), version.join("dir/sub/d.txt"));
  EXPECT_THROW(mirror_pkg(source, repo, "1", false, {.transfers = 1}), StorageError);
  clear_faults();
  expect_unpublished(repo, "1");
  EXPECT_EQ(contents(version).size(), 3u);
  std::string wrong = get(version.join("b.bin"));
  wrong[99999] ^= 1;
  put(version.join("b.bin"), wrong);
  put(version.join("dir/junk.txt"), "junk\n");

  auto rerun = mirror_pkg(source, repo, "1");
  auto actions = actions_of(rerun.plan);
  EXPECT_EQ(actions["keep"], (Paths{"a.txt", "dir/c.txt"}));
  EXPECT_EQ(actions["copy"], (Paths{"b.bin", "dir/sub/d.txt", "e.txt", "keep.txt"}));
  expect_published(repo, "1", v1_files());
}

// (4) Two creates of one version at once: one publishes, the other is
// refused, and the version holds one tree, whole.
TEST_P(Safety, ConcurrentCreatesOfOneVersionHaveOneWinner) {
  Url repo = root("repo");
  put_tree(root("src1"), v1_files());
  put_tree(root("src2"), v2_files());
  // On the object store both take their lock at the very same moment.
  auto arrived = rendezvous("commit", version_lock_url(repo, kPkg, "1"), 2);
  const Files* trees[2] = {&v1_files(), &v2_files()};
  auto [won, lost] = race([&](int t) { create_pkg(root(t == 0 ? "src1" : "src2"), repo, "1"); });
  clear_faults();
  if (on_memory()) {
    EXPECT_EQ(arrived->load(), 2) << "the two creates did not race for the lock";
  }
  ASSERT_NE(won[0], won[1]) << lost[0] << " | " << lost[1];
  int winner = won[0] ? 0 : 1;
  expect_published(repo, "1", *trees[winner]);
  const std::string& refusal = lost[1 - winner];
  EXPECT_TRUE(refusal.starts_with("1 ")) << refusal;
  EXPECT_TRUE(refusal.starts_with("1 locked:") || refusal.starts_with("1 already_exists:")) << refusal;
}

// (5) Two installs into one folder at once: one wins or they take turns,
// and the folder holds one version, whole.
TEST_P(Safety, ConcurrentInstallsIntoOneFolderNeverMix) {
  Url repo = root("repo"), dest = root("work");
  publish_both(root(), repo);
  auto arrived = rendezvous("commit", install_lock_url(dest), 2);
  auto [won, lost] = race([&](int t) { install_pkg(repo, dest, t == 0 ? "1" : "2"); });
  clear_faults();
  if (on_memory()) {
    EXPECT_EQ(arrived->load(), 2) << "the two installs did not race for the lock";
  }
  ASSERT_TRUE(won[0] || won[1]) << lost[0] << " | " << lost[1];
  std::string version = installed_version(dest);
  ASSERT_TRUE(version == "1" || version == "2") << version;
  EXPECT_EQ(contents(dest), version == "1" ? v1_files() : v2_files());
  EXPECT_EQ(status_lines(dest), Paths{});
  for (const auto& refusal : lost) {
    if (refusal.empty()) continue;
    EXPECT_TRUE(refusal.starts_with("1 locked:")) << refusal;
  }
}

// (6) An update that failed half-way (a storage error) is finished by
// running it again, undone by installing the old version, or removed by
// uninstall --force.
TEST_P(Safety, FailedUpdateIsFinishedByRunningItAgain) { expect_finished_by_running_it_again(interrupted_update()); }

TEST_P(Safety, FailedUpdateIsUndoneByInstallingTheOldVersion) {
  expect_undone_by_installing_the_old_version(interrupted_update());
}

TEST_P(Safety, FailedUpdateIsRemovedByUninstallForce) {
  expect_removed_by_uninstall_force(interrupted_update());
}

// (6) The same update killed there: the next install or uninstall takes the
// dead holder's lock over and reads its intent.
TEST_P(Safety, KilledUpdateIsReportedAndFinishedByRunningItAgain) {
  auto at = killed_update();
  auto lines = status_lines(at.dest);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines.back().starts_with("interrupted: 'install pkg 2'")) << lines.back();
  expect_finished_by_running_it_again(at);
}

TEST_P(Safety, KilledUpdateIsUndoneByInstallingTheOldVersion) {
  expect_undone_by_installing_the_old_version(killed_update());
}

TEST_P(Safety, KilledUpdateIsRemovedByUninstallForce) {
  expect_removed_by_uninstall_force(killed_update());
}

// An update that adds a subpackage and fails part-way, then undone by
// installing the old version: what it wrote for the subpackage goes too,
// whether the subpackage got as far as its marker or not.
class SubpackageUpdate : public Safety {
 protected:
  // pkg 3: the files of `parent` plus lib 1 installed at lib/.
  Interrupted update_adding_lib(const Files& parent, const Url& fail_from, const std::string& fail_to) {
    Interrupted at{faulty("repo"), root("work")};
    publish_both(faulty(), at.repo);
    put_tree(faulty("libsrc"), lib_files());
    {
      Session s;
      CreateOptions o{"lib", "1", faulty("libsrc").str()};
      o.repo = at.repo.str();
      create(s.ctx, o);
    }
    put_tree(faulty("src3"), parent);
    {
      Session s;
      InstallOptions o{"lib", "1", faulty("src3/lib").str(), at.repo.str()};
      install(s.ctx, o);
    }
    create_pkg(faulty("src3"), at.repo, "3");
    install_pkg(at.repo, at.dest, "1");
    put(at.dest.join("mine.txt"), "mine\n");
    fail_copy(fail_from, at.dest.join(fail_to));
    EXPECT_THROW(install_pkg(at.repo, at.dest, "3", {.transfers = 1}), StorageError);
    clear_faults();
    EXPECT_EQ(installed_version(at.dest), "1");
    return at;
  }
  static const Files& lib_files() {
    static const Files files{{"l.txt", "lib\n"}, {"m/n.txt", "nested\n"}};
    return files;
  }
};

TEST_P(SubpackageUpdate, SubpackageWithoutItsMarkerIsRemovedByGoingBack) {
  auto at = update_adding_lib(v1_files(), version_folder(faulty("repo"), "1").parent().parent().join("lib/1/m/n.txt"),
                              "lib/m/n.txt");
  EXPECT_EQ(get(at.dest.join("lib/l.txt")), "lib\n") << "the failure came too early to test anything";
  EXPECT_FALSE(exists(at.dest.join("lib/.lib.wrapp")));
  install_pkg(at.repo, at.dest, "1");
  EXPECT_EQ(contents(at.dest), with_mine(v1_files()));
  EXPECT_EQ(status_lines(at.dest), Paths{"extra_item mine.txt"});
}

TEST_P(SubpackageUpdate, SubpackageWithItsMarkerIsRemovedByGoingBack) {
  auto at = update_adding_lib(v2_files(), version_folder(faulty("repo"), "3").join("z.txt"), "z.txt");
  EXPECT_TRUE(exists(at.dest.join("lib/.lib.wrapp"))) << "lib is installed before its parent's files";
  install_pkg(at.repo, at.dest, "1");
  EXPECT_EQ(contents(at.dest), with_mine(v1_files()));
  EXPECT_EQ(status_lines(at.dest), Paths{"extra_item mine.txt"});
}

INSTANTIATE_TEST_SUITE_P(Backends, SubpackageUpdate, ::testing::Values("local", "memory"), backend_name);

// (7) A package that depends on itself at "" is refused or handled, never
// a crash or an endless recursion, and a refused install writes nothing.
TEST_P(Safety, PackageDependingOnItselfNeverRecursesForever) {
  Url repo = root("repo"), dest = root("work"), fresh = root("fresh");
  put_tree(root("src1"), v1_files());
  create_pkg(root("src1"), repo, "1");
  install_pkg(repo, dest, "1");
  for (const Url& file : {repo_marker_url(repo, kPkg, "1"), marker(dest)}) {
    Session s;
    auto info = read_package_info(s.ctx, file);
    ASSERT_TRUE(info);
    info->dependencies.push_back({kPkg, "1", "", ""});
    put(file, info->serialize());
  }
  try {
    install_pkg(repo, fresh, "1");
  } catch (const FailedCommand& e) {
    EXPECT_FALSE(exists(marker(fresh))) << e.what();
    EXPECT_EQ(contents(fresh), Files{}) << e.what();
  }
  try {
    install_pkg(repo, dest, "1");
  } catch (const FailedCommand&) {
  }
  try {
    status_lines(dest);
  } catch (const FailedCommand&) {
  }
  try {
    uninstall_pkg(dest, false);
    EXPECT_FALSE(exists(marker(dest)));
    EXPECT_EQ(contents(dest), Files{});
  } catch (const FailedCommand&) {
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Safety, ::testing::Values("local", "memory"), backend_name);

// -- one backend only -----------------------------------------------------------

class ObjectStoreFaults : public CommandTest {};

// (3) On the object store, the very write that publishes fails: nothing is
// published, and a re-run publishes (mirror keeping every file it verifies).
TEST_F(ObjectStoreFaults, FailedPackageFileLeavesNoVersion) {
  Url repo = mem("repo"), copy = mem("copy");
  put_tree(mem("src1"), v1_files());
  for (bool mirroring : {false, true}) {
    SCOPED_TRACE(mirroring ? "mirror" : "create");
    Url target = mirroring ? copy : repo;
    Url package_file = repo_marker_url(target, kPkg, "1");
    fail_on("commit", package_file);
    if (mirroring) {
      EXPECT_THROW(mirror_pkg(repo, copy, "1"), StorageError);
    } else {
      EXPECT_THROW(create_pkg(mem("src1"), repo, "1"), StorageError);
    }
    clear_faults();
    EXPECT_FALSE(exists(package_file));
    EXPECT_EQ(packages_in(target).size(), 0u);
    EXPECT_FALSE(exists(version_lock_url(target, kPkg, "1")));
    EXPECT_EQ(contents(version_folder(target, "1")), v1_files()) << "every data file was written";
    if (mirroring) {
      EXPECT_EQ(actions_of(mirror_pkg(repo, copy, "1").plan)["keep"].size(), v1_files().size());
    } else {
      create_pkg(mem("src1"), repo, "1");
    }
    EXPECT_EQ(check_report(target, "1"), all_ok(v1_files()));
  }
}

class LocalLinks : public CommandTest {};

// A symbolic link in a subfolder of the destination leading outside: a
// conflict, and nothing is written outside.
TEST_F(LocalLinks, LinkInADestinationSubfolderIsAConflict) {
  publish_both(local(), local("repo"));
  Url dest = local("work");
  fs::create_directories(dir_ + "/outside");
  fs::create_directories(dir_ + "/work");
  fs::create_directory_symlink(dir_ + "/outside", dir_ + "/work/dir");
  auto refused = failure_of([&] { install_pkg(local("repo"), dest, "1"); });
  EXPECT_TRUE(fs::is_empty(dir_ + "/outside"));
  EXPECT_EQ(code_of(refused), "conflict") << refused.what();
  EXPECT_NE(std::string(refused.what()).find("symbolic link"), std::string::npos) << refused.what();
  EXPECT_FALSE(exists(marker(dest)));
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
