#include "commands/folder_batches.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "commands/command_test_support.h"
#include "util/error.h"

namespace wrapp::commands {
namespace {

namespace fs = std::filesystem;
using storage::Url;

class FolderBatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "wrapp-batches-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    storage::register_memory_store("batches-test", {});
  }
  void TearDown() override {
    storage::unregister_memory_store("batches-test");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Url at(const std::string& rel) const { return Url::from_local_path(dir_).join(rel); }
  void write(const std::string& rel, const std::string& data) {
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel, std::ios::binary) << data;
  }
  std::string read(const std::string& rel) {
    std::ifstream in(dir_ + "/" + rel, std::ios::binary);
    return in ? std::string(std::istreambuf_iterator<char>(in), {}) : "<absent>";
  }
  static size_t open_descriptors() {
    return static_cast<size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
  }

  cmdtest::Session session_;
  std::string dir_;
};

TEST_F(FolderBatchesTest, ConsecutiveCopiesOfOneFolderPairShareItsFoldersUpToTheBatchSize) {
  // 300 files of src/a, one of src/b, then src/a again: groups of 256 and
  // 44, one of 1, one of 1.
  std::vector<Url> from;
  std::vector<std::string> to;  // below dst
  std::vector<uint64_t> sizes;
  auto add = [&](const std::string& folder, int i) {
    std::string name = "f" + std::to_string(i);
    write("src/" + folder + "/" + name, folder + std::to_string(i));
    sizes.push_back((folder + std::to_string(i)).size());
    from.push_back(at("src/" + folder + "/" + name));
    to.push_back(folder + "/" + name);
  };
  for (int i = 0; i < 300; ++i) add("a", i);
  add("b", 0);
  add("a", 300);
  FolderBatches batches(
      session_.ctx, from.size(), [&](size_t i) -> const Url& { return from[i]; }, at("dst"),
      [&](size_t i) -> std::string_view { return to[i]; });

  std::vector<CopyRequest> requests(from.size());
  std::vector<std::unique_ptr<FolderBatches::Use>> uses;
  for (size_t i = 0; i < from.size(); ++i) {
    requests[i].from = from[i];
    requests[i].to = at("dst/" + to[i]);
    requests[i].size = sizes[i];
    uses.push_back(std::make_unique<FolderBatches::Use>(batches, i));
    uses.back()->apply(requests[i]);
    ASSERT_TRUE(requests[i].from_folder && requests[i].to_folder) << i;
  }
  auto same = [&](size_t x, size_t y) {
    return requests[x].from_folder == requests[y].from_folder && requests[x].to_folder == requests[y].to_folder;
  };
  EXPECT_TRUE(same(0, 255));
  EXPECT_FALSE(same(255, 256)) << "a group holds at most kFolderBatch copies";
  EXPECT_TRUE(same(256, 299));
  EXPECT_FALSE(same(299, 300));
  EXPECT_FALSE(same(300, 301)) << "a folder met again after another one starts a new group";

  // A request that no longer lies in its group's folders (a retry from
  // another source) gets no folder for that side: a name opened in another
  // folder would be another file.
  CopyRequest elsewhere = requests[1];
  elsewhere.from = at("src/b/f0");
  uses[1]->apply(elsewhere);
  EXPECT_EQ(elsewhere.from_folder, nullptr);
  EXPECT_EQ(elsewhere.to_folder, requests[1].to_folder);
  elsewhere.to = at("dst/b/f1");
  uses[1]->apply(elsewhere);
  EXPECT_EQ(elsewhere.to_folder, nullptr);

  // Copies through the folders write what a copy by URL writes.
  for (size_t i : {size_t{0}, size_t{299}, size_t{300}, size_t{301}}) {
    requests[i].need_hash = true;
    copy_object(session_.ctx, requests[i], nullptr);
  }
  EXPECT_EQ(read("dst/a/f0"), "a0");
  EXPECT_EQ(read("dst/a/f299"), "a299");
  EXPECT_EQ(read("dst/b/f0"), "b0");
  EXPECT_EQ(read("dst/a/f300"), "a300");
}

TEST(SpreadByFolderTest, TakesTheFirstRunOfEveryFolderBeforeAnySecondOne) {
  // Runs 0-2 in one folder, 3-4 in another, 5 in a third.
  EXPECT_EQ(spread_by_folder({0, 1, 1, 0, 1, 0}), (std::vector<size_t>{0, 3, 5, 1, 4, 2}));
  EXPECT_EQ(spread_by_folder({0, 0, 0}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(spread_by_folder({0, 1, 1}), (std::vector<size_t>{0, 1, 2})) << "one folder: plan order";
  EXPECT_TRUE(spread_by_folder({}).empty());
}

TEST_F(FolderBatchesTest, WorkRunsAreTheGroupsOneFoldersGroupsApartAndCoverEveryCopyOnce) {
  // 600 files of a (groups of 256, 256, 88), 10 of b, 300 of c (256, 44).
  std::vector<Url> from;
  std::vector<std::string> to;
  for (auto [folder, count] : {std::pair<std::string, int>{"a", 600}, {"b", 10}, {"c", 300}}) {
    for (int i = 0; i < count; ++i) {
      from.push_back(at("src/" + folder + "/f" + std::to_string(i)));
      to.push_back(folder + "/f" + std::to_string(i));
    }
  }
  FolderBatches batches(
      session_.ctx, from.size(), [&](size_t i) -> const Url& { return from[i]; }, at("dst"),
      [&](size_t i) -> std::string_view { return to[i]; });
  std::vector<WorkRun> runs = batches.work_runs();
  std::vector<std::pair<size_t, size_t>> got;
  for (const auto& r : runs) got.emplace_back(r.begin, r.end);
  // The first group of a, b and c, then the second of a and c, then a's third.
  EXPECT_EQ(got, (std::vector<std::pair<size_t, size_t>>{
                     {0, 256}, {600, 610}, {610, 866}, {256, 512}, {866, 910}, {512, 600}}));

  // Copies that are not batched (a memory store on both sides) are one run.
  std::vector<Url> mem{Url::parse("mem://batches-test/x/1"), Url::parse("mem://batches-test/x/2")};
  std::vector<std::string> names{"y/1", "y/2"};
  FolderBatches unbatched(
      session_.ctx, 2, [&](size_t i) -> const Url& { return mem[i]; }, Url::parse("mem://batches-test/out"),
      [&](size_t i) -> std::string_view { return names[i]; });
  got.clear();
  for (const auto& r : unbatched.work_runs()) got.emplace_back(r.begin, r.end);
  EXPECT_EQ(got, (std::vector<std::pair<size_t, size_t>>{{0, 2}}));
}

TEST_F(FolderBatchesTest, TheLastCopyOfAGroupLetsItsFoldersGoWhetherOrNotItCopied) {
  std::vector<Url> from;
  std::vector<std::string> to;
  for (int i = 0; i < 3; ++i) {
    write("src/f" + std::to_string(i), "x");
    from.push_back(at("src/f" + std::to_string(i)));
    to.push_back("f" + std::to_string(i));
  }
  size_t before = open_descriptors();
  {
    FolderBatches batches(
        session_.ctx, from.size(), [&](size_t i) -> const Url& { return from[i]; }, at("dst"),
        [&](size_t i) -> std::string_view { return to[i]; });
    std::vector<CopyRequest> requests(3);
    auto first = std::make_unique<FolderBatches::Use>(batches, 0);
    EXPECT_EQ(open_descriptors(), before) << "opened only when a copy needs them";
    first->apply(requests[0]);
    EXPECT_EQ(open_descriptors(), before + 2) << "the two folders, once";
    auto second = std::make_unique<FolderBatches::Use>(batches, 1);
    second->apply(requests[1]);
    EXPECT_EQ(open_descriptors(), before + 2);
    first.reset();
    second.reset();
    EXPECT_EQ(open_descriptors(), before + 2) << "a copy of the group is still to come";
    FolderBatches::Use(batches, 2);  // a copy with nothing to do (already there)
    EXPECT_EQ(open_descriptors(), before) << "the group is done";
  }
  EXPECT_EQ(open_descriptors(), before);
}

TEST_F(FolderBatchesTest, ATargetFolderThatIsALinkIsRefusedForEachCopyAndNothingIsWritten) {
  write("src/f", "x");
  write("outside/keep", "y");
  fs::create_directories(dir_ + "/dst");
  fs::create_directory_symlink(dir_ + "/outside", dir_ + "/dst/sub");
  std::vector<Url> from{at("src/f"), at("src/f")};
  std::vector<std::string> to{"sub/f", "sub/g"};
  FolderBatches batches(
      session_.ctx, 2, [&](size_t i) -> const Url& { return from[i]; }, at("dst"),
      [&](size_t i) -> std::string_view { return to[i]; });
  for (size_t i = 0; i < 2; ++i) {
    CopyRequest request;
    try {
      FolderBatches::Use use(batches, i);
      use.apply(request);
      ADD_FAILURE() << "a folder was opened through a link";
    } catch (const FailedCommand& e) {
      EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
    }
  }
  EXPECT_EQ(read("outside/f"), "<absent>");
}

TEST_F(FolderBatchesTest, OnlyTheSideOnADiskGetsAFolder) {
  write("src/f", "x");
  std::vector<Url> from{at("src/f"), Url::parse("mem://batches-test/a/f")};
  std::vector<std::string> to{"b/f", "b/g"};
  auto path = [&](size_t i) -> std::string_view { return to[i]; };
  auto request = [&](size_t i, const Url& root) {
    CopyRequest r;
    r.from = from[i];
    r.to = root.join(to[i]);
    return r;
  };
  Url mem_out = Url::parse("mem://batches-test/out");
  {
    FolderBatches batches(
        session_.ctx, 2, [&](size_t i) -> const Url& { return from[i]; }, mem_out, path);
    CopyRequest r = request(0, mem_out);
    FolderBatches::Use(batches, 0).apply(r);
    EXPECT_NE(r.from_folder, nullptr) << "the source is on the disk";
    EXPECT_EQ(r.to_folder, nullptr);
    CopyRequest neither = request(1, mem_out);
    FolderBatches::Use(batches, 1).apply(neither);
    EXPECT_EQ(neither.from_folder, nullptr);
    EXPECT_EQ(neither.to_folder, nullptr);
  }
  FolderBatches into_disk(
      session_.ctx, 2, [&](size_t i) -> const Url& { return from[i]; }, at("dst"), path);
  CopyRequest r = request(1, at("dst"));
  FolderBatches::Use(into_disk, 1).apply(r);
  EXPECT_EQ(r.from_folder, nullptr);
  EXPECT_NE(r.to_folder, nullptr) << "the target is on the disk";
}

}  // namespace
}  // namespace wrapp::commands
