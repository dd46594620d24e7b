// Packages whose bytes are not next to their package file: redirect
// packages (items pointing into another repository), publish-redirect,
// storage_map, moved repositories, and catalogs with null sizes and hashes.
// install, mirror, check and get read each file where its catalog says
// (item_source.h); on the local file system and on the in-memory store.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/command_test_support.h"
#include "commands/files.h"
#include "commands/item_source.h"
#include "commands/publish_redirect.h"

namespace wrapp::commands::cmdtest {
namespace {

using Paths = std::vector<std::string>;

class Redirect : public BackendTest {
 protected:
  model::PackageInfo read_info(const Url& file) {
    Session s;
    auto info = read_package_info(s.ctx, file);
    EXPECT_TRUE(info) << file.str();
    return info ? *info : model::PackageInfo{};
  }
  void write_info(const Url& file, const model::PackageInfo& info) { put(file, info.serialize()); }

  // A redirect package of `version` in `to`, written by hand: the package
  // file only, each item's source_path the file in `from`.
  model::PackageInfo redirect_by_hand(const Url& from, const Url& to, const std::string& version) {
    auto info = read_info(repo_marker_url(from, kPkg, version));
    for (auto& item : info.catalog->items) item.set_source_path(info.catalog->source_of(item));
    info.catalog->root = version_folder(to, version).str();
    write_info(repo_marker_url(to, kPkg, version), info);
    return info;
  }

  PublishRedirectResult publish_redirects(const std::vector<Url>& sources, const Url& to,
                                          std::optional<std::string> external = std::nullopt,
                                          SessionOptions so = {}) {
    Session s(so);
    PublishRedirectOptions o;
    for (const auto& u : sources) o.source_repos.push_back(u.str());
    o.redirect_repo = to.str();
    o.external_url = std::move(external);
    return publish_redirect(s.ctx, o);
  }

  std::map<std::string, FileCheck> check_results(const Url& wrapp_file) {
    Session s;
    CheckOptions o;
    o.wrapp_file = wrapp_file.str();
    std::map<std::string, FileCheck> out;
    for (auto& r : check_package_content(s.ctx, o).files) out[r.relative_path] = r;
    return out;
  }

  // Every file below `from`, package files included, copied below `to`.
  void copy_tree(const Url& from, const Url& to) {
    storage::ListOptions options;
    for (const auto& e : storage::list_all(store(from), from, options)) {
      put(to.join(e.relative_path), get(from.join(e.relative_path)));
    }
  }
  // Only package files below `root`.
  Paths files_below(const Url& root) {
    Paths out;
    for (const auto& e : storage::list_all(store(root), root, {})) out.push_back(e.relative_path);
    return out;
  }
};

TEST_P(Redirect, ARedirectPackageInstallsChecksMirrorsAndGets) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), repo3 = root("mirror"), dest = root("work");
  publish_both(root(), repo1);
  redirect_by_hand(repo1, repo2, "1");
  EXPECT_EQ(files_below(repo2), Paths{".packages/pkg/1/.pkg.wrapp"});

  auto installed = install_pkg(repo2, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  for (const auto& a : installed.plan.actions) {
    EXPECT_TRUE(a.from.starts_with(version_folder(repo1, "1").str())) << a.from;
  }
  auto marker_info = read_info(marker(dest));
  EXPECT_EQ(marker_info.repository, repo2.str());
  EXPECT_EQ(marker_info.catalog->root, dest.str());
  for (const auto& item : marker_info.catalog->items) EXPECT_EQ(item.source_path(), "") << "the installed file";
  EXPECT_EQ(status_lines(dest), Paths{});
  EXPECT_TRUE(install_pkg(repo2, dest, "1").unchanged());

  // check reads where the items point, and finds no stray in a folder
  // holding only the package file.
  auto checked = check_results(repo_marker_url(repo2, kPkg, "1"));
  ASSERT_EQ(checked.size(), v1_files().size());
  for (const auto& [rel, r] : checked) {
    EXPECT_EQ(check_status_name(r.status), std::string("ok")) << rel;
    EXPECT_EQ(r.url, version_folder(repo1, "1").join(rel).str());
  }

  // mirror materialises: the destination holds the bytes, at their paths.
  auto mirrored = mirror_pkg(repo2, repo3, "1");
  EXPECT_EQ(contents(version_folder(repo3, "1")), v1_files());
  EXPECT_EQ(check_report(repo3, "1"), all_ok(v1_files()));
  auto mirrored_info = read_info(repo_marker_url(repo3, kPkg, "1"));
  EXPECT_EQ(mirrored_info.catalog->root, version_folder(repo3, "1").str());
  for (const auto& item : mirrored_info.catalog->items) EXPECT_EQ(item.source_path(), "") << item.relative_path;
  EXPECT_TRUE(mirror_pkg(repo2, repo3, "1").no_op);

  // get of the version folder, and of one file, reads them where they are.
  {
    Session s;
    GetOptions o;
    o.url = version_folder(repo2, "1").str();
    o.local_path = local("got").str();
    EXPECT_EQ(commands::get(s.ctx, o).files, v1_files().size() + 1);  // the package file comes along
    o.url = version_folder(repo2, "1").join("dir/c.txt").str();
    o.local_path = local("c.txt").str();
    EXPECT_EQ(commands::get(s.ctx, o).files, 1u);
  }
  EXPECT_EQ(contents(local("got")), v1_files());
  EXPECT_TRUE(exists(local("got/.pkg.wrapp")));
  EXPECT_EQ(get(local("c.txt")), v1_files().at("dir/c.txt"));
}

TEST_P(Redirect, PublishRedirectWritesPackageFilesOnlyAndIsIdempotent) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), dest = root("work");
  publish_both(root(), repo1);
  auto before = snapshot(root());
  auto dry = publish_redirects({repo1}, repo2, std::nullopt, {.dry_run = true});
  EXPECT_EQ(dry.written, (Paths{repo_marker_url(repo2, kPkg, "1").str(), repo_marker_url(repo2, kPkg, "2").str()}));
  EXPECT_EQ(snapshot(root()), before) << "a dry run writes nothing";

  auto result = publish_redirects({repo1}, repo2);
  EXPECT_EQ(result.written, dry.written);
  EXPECT_TRUE(result.unchanged.empty());
  EXPECT_EQ(files_below(repo2), (Paths{".packages/pkg/1/.pkg.wrapp", ".packages/pkg/2/.pkg.wrapp"}));
  auto info = read_info(repo_marker_url(repo2, kPkg, "2"));
  auto source = read_info(repo_marker_url(repo1, kPkg, "2"));
  EXPECT_EQ(info.repository, repo1.str());
  EXPECT_EQ(info.source, source.source);
  EXPECT_EQ(info.catalog->root, version_folder(repo2, "2").str());
  ASSERT_EQ(info.catalog->items.size(), v2_files().size());
  for (const auto& item : info.catalog->items) {
    EXPECT_EQ(info.catalog->source_of(item), version_folder(repo1, "2").join(item.relative_path).str());
    EXPECT_TRUE(item.same_content(*source.catalog->find(item.relative_path))) << item.relative_path;
  }

  install_pkg(repo2, dest, "1");
  install_pkg(repo2, dest, "2");
  EXPECT_EQ(contents(dest), v2_files());

  auto again = publish_redirects({repo1}, repo2);
  EXPECT_TRUE(again.written.empty());
  EXPECT_EQ(again.unchanged, result.written);
}

TEST_P(Redirect, PublishRedirectWithAnExternalUrlPointsThere) {
  Url repo1 = root("repo1"), cdn = root("cdn"), repo2 = root("redirect"), dest = root("work");
  publish_both(root(), repo1);
  copy_tree(repo1, cdn);  // what a CDN in front of repo1 serves
  publish_redirects({repo1}, repo2, cdn.str() + "/");
  auto info = read_info(repo_marker_url(repo2, kPkg, "1"));
  for (const auto& item : info.catalog->items) {
    EXPECT_EQ(info.catalog->source_of(item), version_folder(cdn, "1").join(item.relative_path).str());
  }
  // The source repository is not read any more.
  store(repo1).remove(version_folder(repo1, "1").join("a.txt"));
  install_pkg(repo2, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());

  // A URL of a scheme this build has no backend for is written as given,
  // and installing from it fails clearly, before anything is written.
  Url repo3 = root("redirect-https"), dest3 = root("work3");
  publish_redirects({repo1}, repo3, "ftp://cdn.example.com/assets");
  info = read_info(repo_marker_url(repo3, kPkg, "2"));
  EXPECT_EQ(info.catalog->source_of(*info.catalog->find("dir/sub/d.txt")),
            "ftp://cdn.example.com/assets/.packages/pkg/2/dir/sub/d.txt");
  auto refused = failure_of([&] { install_pkg(repo3, dest3, "2"); });
  EXPECT_EQ(code_of(refused), "bad_input") << refused.what();
  EXPECT_NE(std::string(refused.what()).find("No storage backend available to handle URL 'ftp://cdn.example.com/"),
            std::string::npos)
      << refused.what();
  EXPECT_NE(std::string(refused.what()).find("file 'a.txt' of package 'pkg' 2"), std::string::npos)
      << refused.what();
  EXPECT_FALSE(exists(dest3));
}

TEST_P(Redirect, PublishRedirectMergesIdenticalDuplicatesAndRefusesClashes) {
  Url repo1 = root("repo1"), copy = root("copy"), other = root("other"), repo2 = root("redirect");
  publish_both(root(), repo1);
  mirror_pkg(repo1, copy, "1");  // the same content in a second repository
  auto merged = publish_redirects({repo1, copy}, repo2);
  EXPECT_EQ(merged.written.size(), 2u);
  auto info = read_info(repo_marker_url(repo2, kPkg, "1"));
  EXPECT_EQ(info.repository, repo1.str()) << "written from the first repository given";

  put_tree(root("src-other"), v2_files());
  create_pkg(root("src-other"), other, "1");  // pkg 1 with other content
  Url repo3 = root("redirect3");
  auto before = snapshot(root());
  auto clash = failure_of([&] { publish_redirects({repo1, other}, repo3); });
  EXPECT_EQ(code_of(clash), "conflict") << clash.what();
  ASSERT_EQ(clash.payload().size(), 1u);
  EXPECT_NE(clash.payload()[0].find(repo1.display()), std::string::npos) << clash.payload()[0];
  EXPECT_NE(clash.payload()[0].find(other.display()), std::string::npos) << clash.payload()[0];
  EXPECT_EQ(snapshot(root()), before) << "nothing is written, not even the versions without a clash";

  // A version the redirect repository holds with other content.
  auto exists_other = failure_of([&] { publish_redirects({other}, repo2); });
  EXPECT_EQ(code_of(exists_other), "already_exists") << exists_other.what();
  EXPECT_EQ(snapshot(root()), before);

  auto same = failure_of([&] { publish_redirects({repo1}, repo1); });
  EXPECT_EQ(code_of(same), "bad_input") << same.what();
}

TEST_P(Redirect, AMissingSourceFailsNamingItAndChangesNothing) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), repo3 = root("mirror"), dest = root("work");
  publish_both(root(), repo1);
  redirect_by_hand(repo1, repo2, "1");
  store(repo1).remove(version_folder(repo1, "1").join("dir/c.txt"));
  auto before = snapshot(root());
  auto refused = failure_of([&] { install_pkg(repo2, dest, "1"); });
  EXPECT_EQ(code_of(refused), "not_found") << refused.what();
  ASSERT_EQ(refused.payload().size(), 1u) << refused.what();
  EXPECT_NE(refused.payload()[0].find("file 'dir/c.txt' of package 'pkg' 1 is not at '" +
                                      version_folder(repo1, "1").join("dir/c.txt").display() + "'"),
            std::string::npos)
      << refused.payload()[0];
  EXPECT_EQ(snapshot(root()), before) << "nothing half-installed";
  auto mirror_refused = failure_of([&] { mirror_pkg(repo2, repo3, "1"); });
  EXPECT_EQ(code_of(mirror_refused), "not_found") << mirror_refused.what();
  EXPECT_EQ(files_below(repo3), Paths{}) << "nothing half-mirrored";
  EXPECT_EQ(check_report(repo2, "1")["dir/c.txt"], "missing");
}

TEST_P(Redirect, BytesThatDoNotMatchTheHashAreRefused) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), repo3 = root("mirror"), dest = root("work");
  publish_both(root(), repo1);
  redirect_by_hand(repo1, repo2, "1");
  std::string damaged = get(version_folder(repo1, "1").join("keep.txt"));
  damaged[0] ^= 1;  // the same size, other bytes
  put(version_folder(repo1, "1").join("keep.txt"), damaged);
  std::string message = failure_of([&] { install_pkg(repo2, dest, "1"); }).what();
  EXPECT_NE(message.find("does not match its recorded hash"), std::string::npos) << message;
  EXPECT_FALSE(exists(marker(dest)));
  EXPECT_FALSE(exists(dest.join("keep.txt")));
  message = failure_of([&] { mirror_pkg(repo2, repo3, "1"); }).what();
  EXPECT_NE(message.find("does not match its recorded hash"), std::string::npos) << message;
  EXPECT_FALSE(exists(repo_marker_url(repo3, kPkg, "1")));
  EXPECT_EQ(check_report(repo2, "1")["keep.txt"], "hash_mismatch");
}

TEST_P(Redirect, ASourceOfAnotherSizeIsRefusedBeforeAnythingIsWritten) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), dest = root("work");
  publish_both(root(), repo1);
  redirect_by_hand(repo1, repo2, "1");
  put(version_folder(repo1, "1").join("dir/sub/d.txt"), "a longer delta\n");
  auto before = snapshot(root());
  auto refused = failure_of([&] { install_pkg(repo2, dest, "1"); });
  EXPECT_EQ(code_of(refused), "damaged") << refused.what();
  EXPECT_EQ(refused.payload(), Paths{"file 'dir/sub/d.txt' of package 'pkg' 1 has 15 bytes at '" +
                                     version_folder(repo1, "1").join("dir/sub/d.txt").display() +
                                     "', the catalog records 6"});
  EXPECT_EQ(snapshot(root()), before);
}

TEST_P(Redirect, NullSizesAndHashesAreTakenFromTheBytes) {
  Url repo = root("repo"), repo3 = root("mirror"), dest = root("work");
  publish_both(root(), repo);
  for (const std::string version : {"1", "2"}) {
    auto info = read_info(repo_marker_url(repo, kPkg, version));
    for (auto& item : info.catalog->items) {
      if (item.relative_path != "keep.txt") item.hash = {};
      if (item.relative_path != "a.txt") item.size.reset();
    }
    store(repo).remove(repo_marker_url(repo, kPkg, version));
    write_info(repo_marker_url(repo, kPkg, version), info);
  }
  // check: never "ok" for what it could not verify.
  auto checked = check_results(repo_marker_url(repo, kPkg, "1"));
  EXPECT_EQ(check_status_name(checked["keep.txt"].status), std::string("ok"));
  EXPECT_EQ(check_status_name(checked["a.txt"].status), std::string("unverified"));
  EXPECT_EQ(checked["a.txt"].detail, "no hash recorded");
  EXPECT_EQ(checked["b.bin"].detail, "no size or hash recorded");
  EXPECT_FALSE(is_problem(checked["b.bin"]));
  put(version_folder(repo, "1").join("a.txt"), "alpha");  // a recorded size still counts
  EXPECT_EQ(check_report(repo, "1")["a.txt"], "size_mismatch");
  put(version_folder(repo, "1").join("a.txt"), v1_files().at("a.txt"));

  // install records what it copied.
  install_pkg(repo, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  auto installed = read_info(marker(dest));
  for (const auto& item : installed.catalog->items) {
    EXPECT_FALSE(item.hash.empty()) << item.relative_path;
    ASSERT_TRUE(item.size) << item.relative_path;
    EXPECT_EQ(*item.size, v1_files().at(item.relative_path).size()) << item.relative_path;
  }
  EXPECT_EQ(status_lines(dest), Paths{});
  EXPECT_TRUE(install_pkg(repo, dest, "1").unchanged());
  // An update compares what it knows: unchanged files are kept.
  auto update = install_pkg(repo, dest, "2");
  EXPECT_EQ(actions_of(update.plan)["keep"], (Paths{"b.bin", "dir/sub/d.txt", "e.txt", "keep.txt"}));
  EXPECT_EQ(contents(dest), v2_files());

  // mirror records what it verified, and is a no-op the second time.
  mirror_pkg(repo, repo3, "1");
  EXPECT_EQ(check_report(repo3, "1"), all_ok(v1_files()));
  EXPECT_TRUE(mirror_pkg(repo, repo3, "1").no_op);
}

TEST_P(Redirect, StorageMapLocationsAreReadAndNotCarriedIntoCopies) {
  Url repo1 = root("repo1"), repo2 = root("repo2"), repo3 = root("mirror"), dest = root("work");
  publish_both(root(), repo1);
  // repo2's version 1 keeps a.txt's bytes under blobs/ (a relative
  // location) and b.bin's in repo1 (an absolute one).
  auto info = read_info(repo_marker_url(repo1, kPkg, "1"));
  Url v2 = version_folder(repo2, "1");
  for (const auto& [rel, content] : v1_files()) {
    if (rel != "a.txt" && rel != "b.bin") put(v2.join(rel), content);
  }
  put(v2.join("blobs/alpha"), v1_files().at("a.txt"));
  info.catalog->root = v2.str();
  info.catalog->storage_map[info.catalog->find("a.txt")->hash.str()] = "blobs/alpha";
  info.catalog->storage_map[info.catalog->find("b.bin")->hash.str()] = version_folder(repo1, "1").join("b.bin").str();
  write_info(repo_marker_url(repo2, kPkg, "1"), info);

  install_pkg(repo2, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_TRUE(read_info(marker(dest)).catalog->storage_map.empty()) << "the installed files are at their paths";
  auto checked = check_results(repo_marker_url(repo2, kPkg, "1"));
  EXPECT_EQ(checked["a.txt"].url, v2.join("blobs/alpha").str());
  EXPECT_EQ(check_status_name(checked["b.bin"].status), std::string("ok"));
  mirror_pkg(repo2, repo3, "1");
  EXPECT_EQ(contents(version_folder(repo3, "1")), v1_files());
  EXPECT_TRUE(read_info(repo_marker_url(repo3, kPkg, "1")).catalog->storage_map.empty());
  // Rewrites that keep the bytes where they are keep the map.
  EXPECT_EQ(model::PackageInfo::parse(info.serialize(), "t").catalog->storage_map, info.catalog->storage_map);
}

TEST_P(Redirect, AMovedRepositoryIsReadWhereItIsNow) {
  Url repo1 = root("repo1"), moved = root("moved"), dest = root("work");
  publish_both(root(), repo1);
  copy_tree(repo1, moved);
  for (const auto& [rel, content] : v1_files()) store(repo1).remove(version_folder(repo1, "1").join(rel));
  install_pkg(moved, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  EXPECT_EQ(check_report(moved, "1"), all_ok(v1_files()));
}

// A redirect package that kept its source's root: its items lie below that
// root, so they are looked for next to the package file first, then where
// recorded.
TEST_P(Redirect, ARedirectThatKeptItsSourcesRootFallsBackToTheRecordedUrl) {
  Url repo1 = root("repo1"), repo2 = root("redirect"), dest = root("work");
  publish_both(root(), repo1);
  put(repo_marker_url(repo2, kPkg, "1"), get(repo_marker_url(repo1, kPkg, "1")));
  install_pkg(repo2, dest, "1");
  EXPECT_EQ(contents(dest), v1_files());
  std::string message = failure_of([&] {
    store(repo1).remove(version_folder(repo1, "1").join("a.txt"));
    install_pkg(repo2, root("work2"), "1");
  }).what();
  EXPECT_NE(message.find("is not at '" + version_folder(repo2, "1").join("a.txt").display() + "' nor at '" +
                         version_folder(repo1, "1").join("a.txt").display() + "'"),
            std::string::npos)
      << message;
}

INSTANTIATE_TEST_SUITE_P(Backends, Redirect, ::testing::Values("local", "memory"), backend_name);

TEST(RecordedLocation, AnchorsAtTheRepositoryOrTheFilesFolder) {
  auto in_repo = recorded_location("file:///data/repo/.packages/p/1/a/b.txt");
  EXPECT_EQ(in_repo.path(), "/data/repo/.packages/p/1/a/b.txt");
  EXPECT_EQ(in_repo.anchor().path(), "/data/repo");
  auto elsewhere = recorded_location("/data/assets/tree.usd");
  EXPECT_EQ(elsewhere.anchor().path(), "/data/assets");
  auto remote = recorded_location("https://cdn.example.com/x/.packages/p/1/a.txt");
  EXPECT_EQ(remote.scheme(), "https");
  EXPECT_EQ(remote.anchor().path(), "/x");
  EXPECT_THROW(recorded_location("https://"), FailedCommand);
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
