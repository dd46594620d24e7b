// catalog_tree (the catalog command's one pass over a folder) against the
// three steps it replaces, walk_tree, check_packable_names and hash_tree,
// on a disk and on the in-memory object store (pages of 3 entries).
#include "commands/catalog_tree.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "commands/command_test_support.h"
#include "commands/tree.h"
#include "util/test_data.h"

namespace wrapp::commands::cmdtest {
namespace {

class CatalogTree : public BackendTest {
 protected:
  model::Catalog streamed(const Url& at, SessionOptions options = {}) {
    Session s(options);
    model::IgnoreEvaluator none;
    return catalog_tree(s.ctx, at, none, &s.ctx.scheduler.sub_job("catalog", "hashing"));
  }
  model::Catalog in_three_steps(const Url& at) {
    Session s;
    model::IgnoreEvaluator none;
    auto entries = walk_tree(s.ctx, at, none);
    check_packable_names(entries);
    return hash_tree(s.ctx, at, std::move(entries), nullptr);
  }
};

// Folders whose files sort around a subfolder's ("d/a", "d/b/...", "d/c"),
// more files than a task takes (256), and two files that fill a task by
// their bytes (8 MiB): the pages are merged in path order, every file is
// hashed once.
TEST_P(CatalogTree, GivesWhatTheWalkAndTheHashingGaveInThreeSteps) {
  Files files;
  for (int i = 0; i < 700; ++i) {
    std::string folder = i % 3 == 0 ? "d" : i % 3 == 1 ? "d/b" : "e/f/g";
    files[fmt::format("{}/{:04d}{}", folder, i, i % 2 ? ".txt" : "")] = fmt::format("file {}\n", i);
  }
  files["d/big1.bin"] = wrapp::testing::pattern(5 << 20, 1);
  files["d/b/big2.bin"] = wrapp::testing::pattern(5 << 20, 2);
  files["top.txt"] = "top\n";
  put_tree(root("tree"), files);
  auto got = streamed(root("tree"));
  auto want = in_three_steps(root("tree"));
  EXPECT_EQ(got.root, want.root);
  ASSERT_EQ(got.items.size(), files.size());
  ASSERT_EQ(got.items.size(), want.items.size());
  for (size_t i = 0; i < got.items.size(); ++i) {
    EXPECT_EQ(got.items[i].relative_path, want.items[i].relative_path) << i;
    EXPECT_EQ(got.items[i].size, want.items[i].size) << got.items[i].relative_path;
    EXPECT_FALSE(got.items[i].hash.empty()) << got.items[i].relative_path;
    EXPECT_EQ(got.items[i].hash, want.items[i].hash) << got.items[i].relative_path;
  }
  // One transfer slot: the walk's own thread hashes whatever does not fit.
  auto one_slot = streamed(root("tree"), SessionOptions{.transfers = 1});
  ASSERT_EQ(one_slot.items.size(), want.items.size());
  for (size_t i = 0; i < want.items.size(); ++i) EXPECT_EQ(one_slot.items[i].hash, want.items[i].hash);
}

TEST_P(CatalogTree, RefusesEveryNameACatalogCannotCarryTogetherAndSorted) {
  if (on_memory()) GTEST_SKIP() << "such names are written on a disk, where they occur";
  put_tree(root("tree"), {{"ok.txt", "ok"}});
  for (const char* name : {"z/bad\x01.txt", "a/b\\c.txt"}) {
    fs::path path = fs::path(root("tree").path()) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "x";
  }
  try {
    streamed(root("tree"));
    FAIL() << "the names were accepted";
  } catch (const FailedCommand& e) {
    std::string what = e.what();
    size_t a = what.find("a/b\\\\c.txt"), z = what.find("z/bad");
    EXPECT_NE(a, std::string::npos) << what;
    EXPECT_NE(z, std::string::npos) << what;
    EXPECT_LT(a, z) << what;
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

// A file that cannot be read stops the walk, and is the error reported,
// not the cancellation of the other tasks it caused.
TEST_P(CatalogTree, AFileThatCannotBeReadIsTheError) {
  if (!on_memory()) GTEST_SKIP() << "faults are injected in the in-memory store";
  Files files;
  for (int i = 0; i < 900; ++i) files[fmt::format("d{}/f{:04d}", i / 300, i)] = fmt::format("file {}\n", i);
  put_tree(root("tree"), files);
  fail_on("open_read", root("tree/d1/f0400"));
  try {
    streamed(root("tree"));
    FAIL() << "the catalog was made";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("injected failure: open_read"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogTree, ::testing::Values("local", "memory"), backend_name);

}  // namespace
}  // namespace wrapp::commands::cmdtest
