// Where commands look for a version's files, and what that costs on an
// object store: a listing of the version folder instead of one stat (a
// HEAD) per file, when enough files are looked up for the listing to pay.

#include "commands/item_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "commands/command_test_support.h"

namespace wrapp::commands::cmdtest {
namespace {

// `n` small files, "d/f00".."d/f<n-1>".
Files many_files(int n, const std::string& salt = "") {
  Files out;
  for (int i = 0; i < n; ++i) out[fmt::format("d/f{:02}", i)] = fmt::format("file {} {}", i, salt);
  return out;
}

class ItemSourceTest : public CommandTest {
 protected:
  // Counts stat and list calls below `folder` from now on.
  struct Counts {
    std::atomic<int> stats{0}, lists{0};
  };
  std::shared_ptr<Counts> count_below(const Url& folder) {
    auto counts = std::make_shared<Counts>();
    faults_->set([counts, prefix = folder.str() + "/", self = folder.str()](const std::string& op,
                                                                             const std::string& key) {
      bool below = key.starts_with(prefix);
      if (op == "stat" && below) ++counts->stats;
      if (op == "list" && (key == self || below)) ++counts->lists;
    });
    return counts;
  }
};

TEST_F(ItemSourceTest, InstallAndCheckOfAVersionInAnObjectStoreListItsFolderInsteadOfAStatPerFile) {
  Files files = many_files(12);
  create_package(kPkg, "1", local("src1"), mem("repo"), files);
  Url version = version_folder(mem("repo"), "1");

  auto counts = count_below(version);
  install_pkg(mem("repo"), local("dest"), "1");
  EXPECT_EQ(contents(local("dest")), files);
  EXPECT_EQ(counts->stats, 0) << "a stat per file, though the folder was listed";
  EXPECT_GE(counts->lists, 1);

  counts = count_below(version);
  EXPECT_EQ(check_report(mem("repo"), "1"), all_ok(files));
  EXPECT_EQ(counts->stats, 0);
  // One listing, for the lookups and the strays alike: the 12 files, folder
  // d and the package file in pages of 3 (command_test_support) take 5
  // requests; listing for each took 10.
  EXPECT_EQ(counts->lists, 5) << "listed for its files, then again for strays";

  // What the listing does not hold is still looked for, and reported.
  clear_faults();
  ASSERT_TRUE(store(version).remove(version.join("d/f03")));
  put(version.join("d/f04"), "not the bytes the catalog records");
  auto report = check_report(mem("repo"), "1");
  EXPECT_EQ(report["d/f03"], "missing");
  EXPECT_EQ(report["d/f04"], "size_mismatch");
  EXPECT_EQ(report["d/f05"], "ok");
  try {
    install_pkg(mem("repo"), local("dest2"), "1");
    FAIL() << "installed a version with a file missing";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("d/f03"), std::string::npos) << e.what();
  }
}

TEST_F(ItemSourceTest, AnUpdateOfAFewFilesOfABigVersionStatsThemInsteadOfListingEverything) {
  Files v1 = many_files(120);
  Files v2 = v1;
  v2["d/f07"] = "changed";
  create_package(kPkg, "1", local("src1"), mem("repo"), v1);
  create_package(kPkg, "2", local("src2"), mem("repo"), v2);
  install_pkg(mem("repo"), local("dest"), "1");

  auto counts = count_below(version_folder(mem("repo"), "2"));
  install_pkg(mem("repo"), local("dest"), "2");
  EXPECT_EQ(contents(local("dest")), v2);
  EXPECT_EQ(counts->lists, 0) << "listed 120 files to update one";
  EXPECT_EQ(counts->stats, 1);
}

TEST_F(ItemSourceTest, FewLookupsOrALocalFolderNeverList) {
  Files files = many_files(ItemSources::kListingPaysFrom - 1);
  create_package(kPkg, "1", local("src1"), mem("repo"), files);
  auto counts = count_below(version_folder(mem("repo"), "1"));
  install_pkg(mem("repo"), local("dest"), "1");
  EXPECT_EQ(contents(local("dest")), files);
  EXPECT_EQ(counts->lists, 0);
  EXPECT_EQ(counts->stats, static_cast<int>(files.size()));

  // On a disk a stat is a system call: nothing to save by listing.
  Files more = many_files(12);
  create_package(kPkg, "1", local("src2"), local("repo"), more);
  Session s;
  auto catalog = read_package_info(s.ctx, repo_marker_url(local("repo"), kPkg, "1"))->catalog;
  ItemSources sources(*catalog, repo_marker_url(local("repo"), kPkg, "1"), "package 'pkg' 1");
  sources.list_folder_once(s.ctx, catalog->items.size());
  fs::remove(dir_ + "/repo/.packages/pkg/1/d/f01");
  EXPECT_EQ(sources.lookup(s.ctx, *catalog->find("d/f01"), false).state, ItemSources::Lookup::State::kMissing)
      << "answered from a listing";
}

// On a disk a stat resolves its path beneath the root (five system calls):
// a fresh install's lookups are answered by one listing of the version's
// folders (ListedTree), exactly as the stats would answer them.
TEST_F(ItemSourceTest, OnADiskManyLookupsAreAnsweredByOneListingAsStatWould) {
  Files files = many_files(24);
  create_package(kPkg, "1", local("src"), local("repo"), files);
  Session s;
  Url marker = repo_marker_url(local("repo"), kPkg, "1");
  auto catalog = read_package_info(s.ctx, marker)->catalog;
  std::string version = dir_ + "/repo/.packages/pkg/1";
  // A file replaced by a link to its neighbour (followed: it stays beneath
  // the repository) and one by a link leading out of it.
  fs::remove(version + "/d/f01");
  fs::create_symlink("f00", version + "/d/f01");
  fs::remove(version + "/d/f02");
  fs::create_symlink("/etc/hostname", version + "/d/f02");
  ItemSources plain(*catalog, marker, "package 'pkg' 1");
  ItemSources listed(*catalog, marker, "package 'pkg' 1");
  listed.list_folders_once(s.ctx, catalog->items.size(), {"", "d"});
  auto describe = [&](const ItemSources& sources, const model::CatalogItem& item, bool follow) {
    try {
      auto found = sources.lookup(s.ctx, item, follow);
      return fmt::format("{} {} size={} inode={} link={}", static_cast<int>(found.state), found.url.str(),
                         found.info.size, found.info.inode, found.info.is_link);
    } catch (const Error& e) {
      return std::string("error ") + e.what();
    }
  };
  model::CatalogItem absent{"d/none", model::ContentHash(), std::nullopt};
  for (bool follow : {true, false}) {
    std::vector<const model::CatalogItem*> items{catalog->find("d/f00"), catalog->find("d/f01"),
                                                 catalog->find("d/f02"), catalog->find("d/f23"), &absent};
    for (const model::CatalogItem* item : items) {
      EXPECT_EQ(describe(listed, *item, follow), describe(plain, *item, follow)) << item->relative_path << follow;
    }
  }
  // Removed after the listing: the listing still answers (the copy would
  // then fail to open it), where a stat now says missing.
  fs::remove(version + "/d/f05");
  EXPECT_EQ(listed.lookup(s.ctx, *catalog->find("d/f05"), true).state, ItemSources::Lookup::State::kFound);
  EXPECT_EQ(plain.lookup(s.ctx, *catalog->find("d/f05"), true).state, ItemSources::Lookup::State::kMissing);

  // A version folder reached through a link: no listing; every lookup says
  // what a stat says about it.
  fs::rename(dir_ + "/repo/.packages/pkg", dir_ + "/repo/.packages/pkg-real");
  fs::create_symlink("pkg-real", dir_ + "/repo/.packages/pkg");
  ItemSources through(*catalog, marker, "package 'pkg' 1");
  through.list_folders_once(s.ctx, catalog->items.size(), {"", "d"});
  EXPECT_EQ(describe(through, *catalog->find("d/f00"), false), describe(plain, *catalog->find("d/f00"), false));
  EXPECT_NE(describe(through, *catalog->find("d/f00"), false).find("symbolic link"), std::string::npos);
  fs::remove(dir_ + "/repo/.packages/pkg");
  fs::rename(dir_ + "/repo/.packages/pkg-real", dir_ + "/repo/.packages/pkg");

  // An update of a few of many files stats them: no listing of everything.
  ItemSources few(*catalog, marker, "package 'pkg' 1");
  few.list_folders_once(s.ctx, catalog->items.size() / ItemSources::kListedFilesPerLookup - 1, {"", "d"});
  fs::remove(version + "/d/f06");
  EXPECT_EQ(few.lookup(s.ctx, *catalog->find("d/f06"), true).state, ItemSources::Lookup::State::kMissing);
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
