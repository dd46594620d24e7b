#include "storage/listing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/memory/memory_storage.h"

namespace wrapp::storage {
namespace {

ListEntry entry(const std::string& path, uint64_t size = 0) {
  ListEntry e;
  e.relative_path = path;
  e.info.size = size;
  return e;
}

std::vector<std::string> paths(const Listing& listing) {
  std::vector<std::string> out;
  for (const auto& e : listing) out.push_back(e.relative_path);
  return out;
}

TEST(Listing, SortsEntriesAcrossPagesByPath) {
  std::vector<std::vector<ListEntry>> pages(3);
  pages[0] = {entry("b/2", 2), entry("b/1", 1)};
  pages[1] = {entry("a", 10)};
  pages[2] = {entry("c/x/y", 7), entry("b/10", 3)};
  Listing listing(std::move(pages));
  EXPECT_EQ(paths(listing), (std::vector<std::string>{"a", "b/1", "b/10", "b/2", "c/x/y"}));
  ASSERT_EQ(listing.size(), 5u);
  EXPECT_EQ(listing[0].info.size, 10u);
  EXPECT_EQ(listing[4].info.size, 7u);
  EXPECT_EQ(listing.end() - listing.begin(), 5);
}

TEST(Listing, IteratorsServeBinarySearchAndMoveOutOfEntries) {
  Listing listing(std::vector<ListEntry>{entry("d"), entry("b"), entry("a"), entry("c")});
  auto it = std::lower_bound(listing.begin(), listing.end(), std::string("c"),
                             [](const ListEntry& e, const std::string& p) { return e.relative_path < p; });
  ASSERT_NE(it, listing.end());
  EXPECT_EQ(it->relative_path, "c");
  EXPECT_EQ(it - listing.begin(), 2);
  EXPECT_EQ((it - 1)->relative_path, "b");
  EXPECT_EQ(it[1].relative_path, "d");
  const Listing& view = listing;
  Listing::const_iterator first = view.begin();
  EXPECT_EQ(first->relative_path, "a");
  // Entries can be taken out in place (hash_tree moves their paths).
  std::string taken = std::move(listing[3].relative_path);
  EXPECT_EQ(taken, "d");
}

TEST(Listing, EraseIfKeepsTheOrderOfTheRest) {
  Listing listing(std::vector<ListEntry>{entry("x/skip"), entry("a"), entry("x/keep"), entry("b/skip")});
  listing.erase_if([](const ListEntry& e) { return e.relative_path.ends_with("skip"); });
  EXPECT_EQ(paths(listing), (std::vector<std::string>{"a", "x/keep"}));
}

TEST(Listing, AMovedListingStillPointsIntoItsPages) {
  std::vector<std::vector<ListEntry>> pages(2);
  auto name = [](size_t i) { return std::to_string(1000 + i); };  // sorts as it counts
  for (size_t i = 0; i < 100; ++i) pages[i % 2].push_back(entry(name(i), i));
  Listing first(std::move(pages));
  Listing moved = std::move(first);
  ASSERT_EQ(moved.size(), 100u);
  for (size_t i = 0; i < moved.size(); ++i) {
    EXPECT_EQ(moved[i].relative_path, name(i));
    EXPECT_EQ(moved[i].info.size, i);
  }
  Listing empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
}

TEST(Listing, ListSortedGivesWhatListAllGives) {
  MemoryStorage store;
  Url root = Url::parse("mem://bucket/root");
  for (const std::string rel : {"z", "a/b/c", "a/b/a", "m", "a/z"}) {
    auto w = store.open_write(root.join(rel), WriteOptions{});
    w->write_at(0, rel.data(), rel.size());
    w->commit();
  }
  ListOptions options;
  options.recursive = true;
  Listing listing = list_sorted(store, root, options);
  std::vector<ListEntry> all = list_all(store, root, options);
  ASSERT_EQ(listing.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(listing[i].relative_path, all[i].relative_path);
    EXPECT_EQ(listing[i].info.size, all[i].info.size);
  }
  EXPECT_EQ(paths(listing), (std::vector<std::string>{"a/b/a", "a/b/c", "a/z", "m", "z"}));
}

}  // namespace
}  // namespace wrapp::storage
