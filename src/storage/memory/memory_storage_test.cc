// What the in-memory backend does beyond the generic contracts (those are in
// storage/storage_conformance_test.cc): object-store behaviour that commands
// must cope with, and the fault injection that command tests rely on.
#include "storage/memory/memory_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "util/error.h"

namespace wrapp::storage {
namespace {

class MemoryStorageTest : public ::testing::Test {
 protected:
  Url at(const std::string& rel) const { return Url::parse("mem://bucket/" + rel); }
  void put(MemoryStorage& store, const std::string& rel, const std::string& content, WriteOptions options = {}) {
    write_all(store, at(rel), content, options);
  }
  // Every page of a listing, as relative paths.
  std::vector<std::vector<std::string>> pages(MemoryStorage& store, const std::string& rel, const ListOptions& o) {
    std::vector<std::vector<std::string>> out;
    store.list(at(rel), o, [&](std::vector<ListEntry>&& page) {
      out.emplace_back();
      for (const auto& e : page) out.back().push_back(e.relative_path);
    });
    return out;
  }

  MemoryStorage store_;
};

TEST_F(MemoryStorageTest, FeaturesOfAnObjectStore) {
  Features f = store_.features();
  EXPECT_FALSE(f.real_folders);
  EXPECT_TRUE(f.server_side_copy);
  EXPECT_FALSE(f.hardlink);
  EXPECT_FALSE(f.reflink);
  EXPECT_FALSE(f.parallel_write);
  EXPECT_FALSE(f.stable_identity);
  EXPECT_TRUE(f.conditional_write);
  EXPECT_TRUE(f.object_metadata);
  EXPECT_FALSE(f.symbolic_links);
  EXPECT_EQ(f.connections, 16u);
  EXPECT_EQ(MemoryStorage(MemoryStorage::Options{.connections = 3}).features().connections, 3u);
}

TEST_F(MemoryStorageTest, PagesHoldAtMostPageSizeEntriesInKeyOrder) {
  MemoryStorage store(MemoryStorage::Options{.page_size = 4});
  for (const char* k : {"a/1", "a/2", "a/sub/3", "a-b", "b", "c/x", "c/y/z", "d"}) put(store, k, k);
  // "a-b" sorts before "a/...": '-' comes before '/', as in S3's key order.
  EXPECT_EQ(pages(store, "", ListOptions{}),
            (std::vector<std::vector<std::string>>{{"a-b", "a/1", "a/2", "a/sub/3"}, {"b", "c/x", "c/y/z", "d"}}));
  ListOptions dirs;
  dirs.include_dirs = true;
  EXPECT_EQ(pages(store, "", dirs), (std::vector<std::vector<std::string>>{{"a-b", "a", "a/1", "a/2"},
                                                                           {"a/sub", "a/sub/3", "b", "c"},
                                                                           {"c/x", "c/y", "c/y/z", "d"}}));

  MemoryStorage big;  // the default page: 1000 entries
  for (int i = 0; i < 2500; ++i) write_all(big, at(fmt::format("k{:05}", i)), "", {});
  std::vector<size_t> sizes;
  std::string last;
  big.list(at(""), ListOptions{}, [&](std::vector<ListEntry>&& page) {
    sizes.push_back(page.size());
    for (const auto& e : page) {
      EXPECT_LT(last, e.relative_path);
      last = e.relative_path;
    }
  });
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
}

TEST_F(MemoryStorageTest, NonRecursiveListingUsesSlashAsTheDelimiter) {
  for (const char* k : {"top/a/b/c", "top/a/d", "top/a.txt", "top/b", "top2/x"}) put(store_, k, "x");
  ListOptions one_level;
  one_level.recursive = false;
  EXPECT_EQ(pages(store_, "top", one_level), (std::vector<std::vector<std::string>>{{"a.txt", "b"}}));
  one_level.include_dirs = true;
  EXPECT_EQ(pages(store_, "top", one_level), (std::vector<std::vector<std::string>>{{"a.txt", "a", "b"}}));
  EXPECT_EQ(pages(store_, "top/a", one_level), (std::vector<std::vector<std::string>>{{"b", "d"}}));
}

TEST_F(MemoryStorageTest, FoldersExistOnlyWhileAnObjectHasTheirPrefix) {
  store_.prepare_folders(at("root"), {"x", "x/y"});
  EXPECT_EQ(store_.stat(at("root/x")), std::nullopt);
  EXPECT_EQ(store_.object_count(), 0u);

  put(store_, "root/x/y/file", "data");
  ASSERT_TRUE(store_.stat(at("root/x")));
  EXPECT_TRUE(store_.stat(at("root/x"))->is_dir);
  EXPECT_FALSE(store_.remove_folder(at("root/x")));
  EXPECT_FALSE(store_.remove(at("root/x"))) << "a prefix is not an object";
  EXPECT_TRUE(store_.stat(at("root/x/y"))->is_dir);
  EXPECT_EQ(store_.stat(at("root/x/y/fil")), std::nullopt) << "a prefix of a name is not a folder";

  EXPECT_TRUE(store_.remove(at("root/x/y/file")));
  EXPECT_EQ(store_.stat(at("root/x")), std::nullopt);
  EXPECT_EQ(store_.stat(at("root")), std::nullopt);
}

TEST_F(MemoryStorageTest, AnObjectAndAFolderMayShareAName) {
  // S3 allows both "a" and "a/b"; stat and reads see the object.
  put(store_, "a", "object");
  put(store_, "a/b", "below");
  EXPECT_FALSE(store_.stat(at("a"))->is_dir);
  EXPECT_EQ(read_all(store_, at("a")), "object");
  EXPECT_THROW(store_.list(at("a"), ListOptions{}, [](std::vector<ListEntry>&&) {}), FailedCommand);
}

TEST_F(MemoryStorageTest, BucketsAreSeparate) {
  write_all(store_, Url::parse("mem://one/k"), "1", {});
  write_all(store_, Url::parse("mem://two/k"), "2", {});
  EXPECT_EQ(read_all(store_, Url::parse("mem://one/k")), "1");
  EXPECT_EQ(read_all(store_, Url::parse("mem://two/k")), "2");
  EXPECT_EQ(list_all(store_, Url::parse("mem://one/"), ListOptions{}).size(), 1u);
  EXPECT_THROW(store_.open_write(Url::parse("mem://one/"), {}), FailedCommand) << "the root is no object";
}

TEST_F(MemoryStorageTest, WritesMustBeSequentialAndContiguous) {
  auto w = store_.open_write(at("seq"), {});
  w->write_at(0, "hello", 5);
  EXPECT_THROW(w->write_at(10, "gap", 3), std::logic_error);
  EXPECT_THROW(w->write_at(2, "back", 4), std::logic_error);
  w->write_at(5, " world", 6);
  w->commit();
  EXPECT_THROW(w->write_at(11, "!", 1), std::logic_error);
  EXPECT_THROW(w->commit(), std::logic_error);
  EXPECT_EQ(read_all(store_, at("seq")), "hello world");
}

TEST_F(MemoryStorageTest, ConcurrentWritesToOneWriterAreCaught) {
  // The first write_at is held inside the store (by the fault hook) while a
  // second thread writes to the same Writer.
  std::atomic<bool> first_inside{false};
  std::atomic<bool> second_done{false};
  MemoryStorage store(MemoryStorage::Options{.fault = [&](const std::string& op, const std::string&) {
    if (op != "write" || first_inside.exchange(true)) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!second_done && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }});
  auto w = store.open_write(at("parallel"), {});
  std::thread first([&] { w->write_at(0, "aaaa", 4); });
  while (!first_inside) std::this_thread::yield();
  EXPECT_THROW(w->write_at(4, "bbbb", 4), std::logic_error);
  second_done = true;
  first.join();
  w->commit();
  EXPECT_EQ(read_all(store, at("parallel")), "aaaa");
}

TEST_F(MemoryStorageTest, InPlaceIsAnOrdinaryWrite) {
  auto w = store_.open_write(at("v/data"), WriteOptions{.in_place = true});
  w->write_at(0, "x", 1);
  EXPECT_EQ(store_.stat(at("v/data")), std::nullopt);
  w.reset();
  EXPECT_EQ(store_.object_count(), 0u);
}

TEST_F(MemoryStorageTest, EtagsAreGenerationsAndMtimesALogicalClock) {
  put(store_, "a", "1");
  put(store_, "b", "2");
  auto a = *store_.stat(at("a"));
  auto b = *store_.stat(at("b"));
  EXPECT_LT(a.mtime_ns, b.mtime_ns);
  EXPECT_NE(a.etag, b.etag);
  // A new object at an old name never gets an etag it had before, so a
  // compare-and-swap from before the removal fails.
  EXPECT_TRUE(store_.remove(at("a")));
  put(store_, "a", "1");
  EXPECT_NE(store_.stat(at("a"))->etag, a.etag);
  EXPECT_THROW(put(store_, "a", "stale", WriteOptions{.if_match = a.etag}), FailedCommand);
  EXPECT_GT(store_.stat(at("a"))->mtime_ns, b.mtime_ns);
}

TEST_F(MemoryStorageTest, ReadersSeeTheVersionTheyOpened) {
  put(store_, "snap", "first");
  auto r = store_.open_read(at("snap"));
  put(store_, "snap", "second, longer", WriteOptions{.overwrite = true});
  std::string buf(32, '\0');
  EXPECT_EQ(r->size(), 5u);
  EXPECT_EQ(buf.substr(0, r->read_at(0, buf.data(), buf.size())), "first");
  EXPECT_NE(r->info().etag, store_.stat(at("snap"))->etag);
}

TEST_F(MemoryStorageTest, FaultHookSeesEveryOperationAndCanFailIt) {
  std::mutex mu;
  std::vector<std::string> calls;
  MemoryStorage store(MemoryStorage::Options{.page_size = 1, .fault = [&](const std::string& op, const std::string& key) {
    std::lock_guard lock(mu);
    calls.push_back(op + " " + key);
    if (op == "remove") throw StorageError("injected: cannot remove '" + key + "'");
  }});
  write_all(store, at("f"), "data", {});
  read_all(store, at("f"));
  store.stat(at("f"));
  store.copy(at("f"), at("g"), {});
  list_all(store, at(""), ListOptions{});
  EXPECT_THROW(store.remove(at("f")), StorageError);
  EXPECT_EQ(calls, (std::vector<std::string>{
                       "open_write mem://bucket/f", "write mem://bucket/f", "commit mem://bucket/f",
                       "open_read mem://bucket/f", "read mem://bucket/f", "stat mem://bucket/f",
                       "copy mem://bucket/g", "commit mem://bucket/g",
                       // a request per page (1 entry each), the last one finding nothing more
                       "list mem://bucket/", "list mem://bucket/", "list mem://bucket/",
                       "remove mem://bucket/f"}));
  EXPECT_TRUE(store.stat(at("f"))) << "the failed removal removed the object";
}

TEST_F(MemoryStorageTest, FailingCommitsPublishNothing) {
  MemoryStorage store(MemoryStorage::Options{.failing_commits = {"mem://bucket/repo/.p.wrapp"}});
  write_all(store, at("repo/data"), "payload", {});
  write_all(store, at("source"), "marker", {});
  EXPECT_THROW(write_all(store, at("repo/.p.wrapp"), "marker", {}), StorageError);
  EXPECT_THROW(store.copy(at("source"), at("repo/.p.wrapp"), {}), StorageError);
  EXPECT_EQ(store.stat(at("repo/.p.wrapp")), std::nullopt);
  EXPECT_EQ(read_all(store, at("repo/data")), "payload");
  EXPECT_EQ(store.object_count(), 2u);
}

TEST_F(MemoryStorageTest, ServerSideCopyOfAbsentOrFolderFails) {
  put(store_, "dir/x", "x");
  EXPECT_THROW(store_.copy(at("nothing"), at("y"), {}), StorageError);
  EXPECT_THROW(store_.copy(at("dir"), at("y"), {}), FailedCommand);
  EXPECT_EQ(store_.object_count(), 1u);
}

TEST(MemoryStorageRegistry, MemUrlsReachTheStoreRegisteredForTheirName) {
  auto store = register_memory_store("registry-test");
  auto other = register_memory_store("registry-other");
  Resolver first, second;
  Url url = Url::parse("mem://registry-test/repo/file");
  EXPECT_EQ(&first.for_url(url), store.get());
  EXPECT_EQ(&second.for_url(url), store.get()) << "every Resolver shares the store of a name";
  EXPECT_EQ(&first.for_url(Url::parse("mem://registry-other/x")), other.get());
  EXPECT_EQ(find_memory_store("registry-test"), store);

  write_all(first.for_url(url), url, "shared", {});
  EXPECT_EQ(read_all(second.for_url(url), url), "shared");

  unregister_memory_store("registry-test");
  unregister_memory_store("registry-other");
  EXPECT_EQ(find_memory_store("registry-test"), nullptr);
  EXPECT_EQ(read_all(first.for_url(url), url), "shared") << "a Resolver keeps the store it routed to";
  Resolver later;
  try {
    later.for_url(url);
    ADD_FAILURE() << "an unregistered name was served";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("mem://registry-test/repo/file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wrapp::storage
