// ListedTree answers as the store's stat would, from one listing of the
// folders asked for, and asks the store for everything else.
#include "commands/listed_tree.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "commands/command_test_support.h"

namespace wrapp::commands::cmdtest {
namespace {

// What stat says, as text (or the error code it throws), to compare.
std::string describe(const std::function<std::optional<storage::FileInfo>()>& stat) {
  try {
    auto info = stat();
    if (!info) return "absent";
    return fmt::format("dir={} link={} other={} size={} mtime={} ctime={} inode={} mode={:o}", info->is_dir,
                       info->is_link, info->is_other, info->size, info->mtime_ns, info->ctime_ns, info->inode,
                       info->mode);
  } catch (const Error& e) {
    return "error " + code_of(e);
  }
}

class ListedTreeTest : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    put_tree(local(), {{"a.txt", "a"}, {"d/b.txt", "bb"}, {"d/e/c.txt", "ccc"}, {"f/g.txt", "g"}});
    ASSERT_EQ(::symlink("a.txt", (dir_ + "/l").c_str()), 0);
    ASSERT_EQ(::symlink("d", (dir_ + "/dl").c_str()), 0);
  }
  Session session_;
};

TEST_F(ListedTreeTest, AnswersWhatStatAnswers) {
  std::set<std::string> dirs{""};
  for (const char* path : {"a.txt", "d/b.txt", "d/e/c.txt", "dl/b.txt"}) ListedTree::add_folders_of(dirs, path);
  EXPECT_EQ(dirs, (std::set<std::string>{"", "d", "d/e", "dl"}));
  ListedTree listed(session_.ctx, local(), dirs, kMinLookupsToList);
  auto& store = this->store(local());
  // Files, folders, links (as themselves), absent names in listed and in
  // unlisted folders, a path through a link, a path through a file.
  for (std::string path : {"a.txt", "d/b.txt", "d/e/c.txt", "d", "d/e", "l", "dl", "missing", "d/missing",
                           "dl/b.txt", "f/g.txt", "x/y.txt", "a.txt/z"}) {
    EXPECT_EQ(describe([&] { return listed.stat(path); }), describe([&] { return store.stat(local(path)); }))
        << path;
  }
}

TEST_F(ListedTreeTest, ListedFoldersAnswerFromTheListingOthersFromTheStore) {
  ListedTree listed(session_.ctx, local(), {"", "d"}, kMinLookupsToList);
  // Removed after the listing: a listed folder's file is still seen as
  // listed, an unlisted folder's is stat'ed now.
  ASSERT_EQ(::unlink((dir_ + "/d/b.txt").c_str()), 0);
  ASSERT_EQ(::unlink((dir_ + "/f/g.txt").c_str()), 0);
  ASSERT_EQ(::unlink((dir_ + "/d/e/c.txt").c_str()), 0);
  EXPECT_TRUE(listed.stat("d/b.txt"));
  EXPECT_FALSE(listed.stat("f/g.txt"));
  EXPECT_FALSE(listed.stat("d/e/c.txt")) << "d/e was not asked for";
  // Written after the listing into a listed folder: the listing says absent.
  put(local("d/new.txt"), "n");
  EXPECT_FALSE(listed.stat("d/new.txt"));
}

TEST_F(ListedTreeTest, PathsBelowAFolderThatIsNotThereAreAbsentWithoutAStat) {
  // "x" and "x/y" do not exist (the folders an install is about to make),
  // "a.txt" is a file and "dl" a link on the way, "f" a folder not asked for.
  std::set<std::string> dirs{"", "x", "x/y", "d"};
  ListedTree listed(session_.ctx, local(), dirs, kMinLookupsToList);
  auto& store = this->store(local());
  for (std::string path : {"x/y/z.txt", "x/z.txt", "d/nope/z.txt", "a.txt/z", "dl/b.txt", "f/g.txt", "f/none/z"}) {
    EXPECT_EQ(describe([&] { return listed.stat(path); }), describe([&] { return store.stat(local(path)); }))
        << path;
  }
  // Made after the listing: below a folder the listing found absent, the
  // listing's answer stands; below one it did not read, the store answers.
  put(local("x/y/z.txt"), "z");
  put(local("f/new/z.txt"), "z");
  EXPECT_FALSE(listed.stat("x/y/z.txt"));
  EXPECT_TRUE(listed.stat("f/new/z.txt"));
}

TEST_F(ListedTreeTest, EveryPathBelowAnAbsentRootIsAbsent) {
  ListedTree listed(session_.ctx, local("fresh"), {"", "d"}, kMinLookupsToList);
  put(local("fresh/d/a.txt"), "a");  // made after: the answer is the listing's
  EXPECT_FALSE(listed.stat("d/a.txt"));
  EXPECT_FALSE(listed.stat("b.txt"));
  // With too few lookups to list, the store answers, now.
  ListedTree few(session_.ctx, local("fresh2"), {""}, kMinLookupsToList - 1);
  put(local("fresh2/b.txt"), "b");
  EXPECT_TRUE(few.stat("b.txt"));
}

TEST_F(ListedTreeTest, AFewLookupsAreStatsNotAListing) {
  // Too few paths to pay for stat'ing a whole folder: every answer is a stat
  // made now.
  ListedTree listed(session_.ctx, local(), {"", "d"}, kMinLookupsToList - 1);
  ASSERT_EQ(::unlink((dir_ + "/d/b.txt").c_str()), 0);
  EXPECT_FALSE(listed.stat("d/b.txt"));
  put(local("d/new.txt"), "n");
  EXPECT_TRUE(listed.stat("d/new.txt"));
}

TEST_F(ListedTreeTest, ARootThatIsNotAFolderListsNothing) {
  for (std::string root : {"missing", "a.txt", "dl"}) {
    ListedTree listed(session_.ctx, local(root), {""}, kMinLookupsToList);
    put(local("a.txt"), "a");  // unchanged content, in case the loop removed it
    EXPECT_EQ(describe([&] { return listed.stat("b.txt"); }),
              describe([&] { return store(local(root)).stat(local(root).join("b.txt")); }))
        << root;
  }
}

TEST_F(ListedTreeTest, OnAStoreWithoutFoldersEveryStatGoesToTheStore) {
  put_tree(mem(), {{"a.txt", "a"}});
  ListedTree listed(session_.ctx, mem(), {""}, kMinLookupsToList);
  put(mem("later.txt"), "l");
  EXPECT_TRUE(listed.stat("later.txt"));
  EXPECT_TRUE(listed.stat("a.txt"));
}

}  // namespace
}  // namespace wrapp::commands::cmdtest
