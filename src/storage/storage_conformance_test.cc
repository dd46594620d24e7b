// Conformance suite for Storage backends, modelled on rclone's fstest: every
// backend must pass the same tests of the contracts written down in
// storage/storage.h. A backend is added by adding one StorageBackend entry to
// the INSTANTIATE_TEST_SUITE_P list at the bottom (a factory that yields the
// Storage and a fresh, empty root URL below which the test may write).
//
// Capabilities that are optional (Features) are checked when announced and
// checked to fail cleanly when not. Local-only behaviour (symbolic links,
// inodes, file modes) lives in the StorageLocal* suites further down;
// object-store-only behaviour (pages, folders that are prefixes, sequential
// writes, injected faults) in storage/memory/memory_storage_test.cc.
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/test_data.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <iterator>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "model/hash.h"
#include "storage/azure/backend.h"
#include "storage/gcs/backend.h"
#include "storage/local/backend.h"
#include "storage/local/writer.h"
#include "storage/memory/memory_storage.h"
#include "storage/s3/s3_test_support.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/error.h"

namespace wrapp::storage {
namespace {

namespace fs = std::filesystem;

// What a backend factory returns for one test.
struct StorageTarget {
  std::shared_ptr<Storage> storage;  // may be non-owning (no-op deleter)
  Url root;                          // fresh, empty folder/prefix for this test
  std::function<void()> cleanup;     // removes everything below root
  std::string skip;                  // set: the backend cannot run here, and why
  // Set: the server checks a write's condition and then writes without a
  // lock, so concurrent conditional writes can both pass (an emulator's
  // limit, not the backend's), and why. The race tests skip, saying so.
  std::string racy_conditions;
  // Set: objects per listing page, made small on the object stores so that
  // a few dozen objects span several pages (an emulator's time per write can
  // grow with the objects it holds). 0: the backend's own.
  size_t list_page_size = 0;
};

struct StorageBackend {
  std::string name;  // gtest parameter name: [A-Za-z0-9_]
  std::function<StorageTarget()> make;
};

std::string make_temp_dir(const char* tag) {
  std::string tmpl = (fs::temp_directory_path() / (std::string("wrapp-") + tag + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void remove_tree(const std::string& dir) {
  std::error_code ec;
  // Read-only files are fine to remove (the folder is writable); folders
  // made read-only by a test would not be, so restore them first.
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(dir, ec);
}

// Readable parameter in gtest messages.
void PrintTo(const StorageBackend& backend, std::ostream* os) { *os << backend.name; }

StorageTarget local_target(std::shared_ptr<Storage> storage) {
  std::string dir = make_temp_dir("conformance");
  return StorageTarget{std::move(storage), Url::from_local_path(dir), [dir] { remove_tree(dir); }};
}

// A fresh LocalStorage object per test.
StorageBackend local_backend() {
  return {"local", [] { return local_target(std::make_shared<LocalStorage>()); }};
}

// The same, resolving paths with the component walk that stands in where
// openat2 is missing or filtered.
StorageBackend local_walk_backend() {
  return {"local_walk",
          [] { return local_target(std::make_shared<LocalStorage>(std::function<void()>{}, local::Method::kWalk)); }};
}

// The backend that commands reach through a Resolver.
StorageBackend routed_local_backend() {
  return {"local_resolver", [] {
            static Resolver resolver;
            Url probe = Url::from_local_path("/");
            std::shared_ptr<Storage> routed(&resolver.for_url(probe), [](Storage*) {});
            return local_target(std::move(routed));
          }};
}

// A fresh in-memory object store per test, with pages of 3 entries so that
// every listing test crosses page boundaries.
StorageBackend memory_backend() {
  return {"memory", [] {
            auto store = std::make_shared<MemoryStorage>(MemoryStorage::Options{.page_size = 3});
            return StorageTarget{std::move(store), Url::parse("mem://bucket/conformance"), {}};
          }};
}

// The in-memory store that mem://NAME URLs reach through a Resolver (with
// the default page size).
StorageBackend routed_memory_backend() {
  return {"memory_resolver", [] {
            register_memory_store("conformance");
            Url root = Url::parse("mem://conformance/root");
            auto resolver = std::make_shared<Resolver>();
            // Owns the Resolver, which owns the store it routes to.
            std::shared_ptr<Storage> routed(resolver, &resolver->for_url(root));
            return StorageTarget{std::move(routed), root, [] { unregister_memory_store("conformance"); }};
          }};
}

// Objects per listing page on the object-store targets (S3's test target sets
// the same).
constexpr size_t kCloudListPageSize = s3::testing::kTestListPageSize;

// S3 (or an S3-compatible server) when WRAPP_TEST_S3_ENDPOINT and
// WRAPP_TEST_S3_BUCKET name one (tests/e2e/test_s3.py runs this against
// moto); skipped, saying so, otherwise. Each test writes below a prefix of
// its own, which its cleanup empties.
StorageBackend s3_backend() {
  return {"s3", [] {
            auto t = s3::testing::make_s3_target();
            const char* racy = std::getenv("WRAPP_TEST_S3_RACY_CONDITIONS");
            return StorageTarget{t.storage, t.root, t.cleanup, t.skip, racy ? racy : "", kCloudListPageSize};
          }};
}

// Google Cloud Storage through an emulator of its JSON API, when
// WRAPP_TEST_GCS_EMULATOR (host:port) and WRAPP_TEST_GCS_BUCKET name one
// (tests/e2e/test_gcs.py starts gcp-storage-emulator and runs these). Each
// test gets a prefix of its own and removes it afterwards. Uploads switch to
// resumable sessions above 256 KiB here, and reads to ranges above 128 KiB,
// so both paths of each are tested.
StorageBackend gcs_backend() {
  return {"gcs", [] {
            const char* host = std::getenv("WRAPP_TEST_GCS_EMULATOR");
            const char* bucket = std::getenv("WRAPP_TEST_GCS_BUCKET");
            if (!host || !*host || !bucket || !*bucket) {
              return StorageTarget{.skip = "set WRAPP_TEST_GCS_EMULATOR (host:port) and WRAPP_TEST_GCS_BUCKET to test "
                                           "Google Cloud Storage (tests/e2e/test_gcs.py does)"};
            }
            gcs::Config config;
            config.endpoint = gcs::emulator_endpoint(host);
            config.emulator = true;
            config.multipart_threshold = 256 << 10;
            config.chunk_size = 256 << 10;
            config.snapshot_limit = 128 << 10;  // bigger objects are read in ranges
            config.list_page_size = kCloudListPageSize;  // (this emulator ignores it: one page)
            auto store = std::make_shared<gcs::GcsStorage>(config, std::function<void()>{});
            static std::atomic<int> counter{0};
            Url root = Url::parse(fmt::format("gs://{}/conformance-{}-{}-{}", bucket, ::getpid(),
                                              std::chrono::steady_clock::now().time_since_epoch().count(), ++counter));
            auto cleanup = [store, root] {
              for (const auto& e : list_all(*store, root, ListOptions{})) store->remove(root.join(e.relative_path));
            };
            return StorageTarget{.storage = store, .root = root, .cleanup = cleanup,
                                 .list_page_size = kCloudListPageSize};
          }};
}

// Azure Blob Storage through Azurite, when WRAPP_TEST_AZURE_ENDPOINT (the
// account's base URL, http://127.0.0.1:PORT/devstoreaccount1) and
// WRAPP_TEST_AZURE_CONTAINER name one (tests/e2e/test_azure.py starts
// Azurite and runs these), with the emulator's well-known Shared Key. Each
// test gets a prefix of its own and removes it afterwards. Blobs above
// 256 KiB go in blocks of 128 KiB here, so both kinds of upload are tested.
StorageBackend azure_backend() {
  return {"azure", [] {
            const char* endpoint = std::getenv("WRAPP_TEST_AZURE_ENDPOINT");
            const char* container = std::getenv("WRAPP_TEST_AZURE_CONTAINER");
            if (!endpoint || !*endpoint || !container || !*container) {
              return StorageTarget{.skip = "set WRAPP_TEST_AZURE_ENDPOINT and WRAPP_TEST_AZURE_CONTAINER to test Azure "
                                           "Blob Storage (tests/e2e/test_azure.py does)"};
            }
            azure::Config config;
            config.accounts.push_back(azure::Account{.endpoint = endpoint,
                                                     .name = std::string(azure::kDevelopmentAccount),
                                                     .key = std::string(azure::kDevelopmentKey),
                                                     .source = "the test"});
            config.single_put_limit = 256 << 10;
            config.block_size = 128 << 10;
            config.list_page_size = kCloudListPageSize;
            auto store = std::make_shared<azure::AzureStorage>(config, std::function<void()>{});
            static std::atomic<int> counter{0};
            Url root = Url::parse(fmt::format("{}/{}/conformance-{}-{}-{}", endpoint, container, ::getpid(),
                                              std::chrono::steady_clock::now().time_since_epoch().count(), ++counter));
            auto cleanup = [store, root] {
              for (const auto& e : list_all(*store, root, ListOptions{})) store->remove(root.join(e.relative_path));
            };
            return StorageTarget{.storage = store, .root = root, .cleanup = cleanup,
                                 .list_page_size = kCloudListPageSize};
          }};
}

ListOptions opts(bool recursive, bool include_dirs = false,
                 SymlinkPolicy symlinks = SymlinkPolicy::kRefuseOutside) {
  ListOptions o;
  o.recursive = recursive;
  o.include_dirs = include_dirs;
  o.symlinks = symlinks;
  return o;
}

using wrapp::testing::pattern;

class StorageConformance : public ::testing::TestWithParam<StorageBackend> {
 protected:
  void SetUp() override {
    target_ = GetParam().make();
    if (!target_.skip.empty()) GTEST_SKIP() << target_.skip;
    ASSERT_TRUE(target_.storage);
  }
  void TearDown() override {
    if (target_.cleanup) target_.cleanup();
  }

  Storage& s() { return *target_.storage; }
  Url at(const std::string& rel) const { return target_.root.join(rel); }

  void put(const std::string& rel, const std::string& content, WriteOptions options = {}) {
    options.size_hint = content.size();
    auto w = s().open_write(at(rel), options);
    ASSERT_TRUE(w);
    if (!content.empty()) w->write_at(0, content.data(), content.size());
    w->commit();
  }

  // Whole content, or "<absent>".
  std::string get(const std::string& rel) {
    auto r = s().open_read(at(rel));
    if (!r) return "<absent>";
    std::string out(r->size(), '\0');
    size_t n = r->read_at(0, out.data(), out.size());
    out.resize(n);
    return out;
  }

  // Every file below the root (recursive, files only), e.g. to prove that no
  // temporary object was left behind.
  std::vector<std::string> all_files() {
    std::vector<std::string> out;
    for (const auto& e : list_all(s(), target_.root, ListOptions{})) out.push_back(e.relative_path);
    return out;
  }

  std::vector<std::string> paths(const std::vector<ListEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.relative_path);
    return out;
  }

  StorageTarget target_;
};

TEST_P(StorageConformance, NameIsNotEmpty) { EXPECT_FALSE(s().name().empty()); }

TEST_P(StorageConformance, StatOfAbsentIsNullopt) {
  EXPECT_EQ(s().stat(at("nothing-here")), std::nullopt);
  EXPECT_EQ(s().stat(at("no/such/folder/file")), std::nullopt);
}

TEST_P(StorageConformance, OpenReadOfAbsentIsNull) {
  EXPECT_EQ(s().open_read(at("nothing-here")), nullptr);
  EXPECT_EQ(s().open_read(at("no/such/folder/file")), nullptr);
}

TEST_P(StorageConformance, WriteThenStatAndRead) {
  std::string data = pattern(12345, 1);
  put("file.bin", data);
  auto info = s().stat(at("file.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_FALSE(info->is_dir);
  EXPECT_EQ(get("file.bin"), data);
  auto r = s().open_read(at("file.bin"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), data.size());
}

TEST_P(StorageConformance, EmptyObject) {
  put("empty", "");
  auto info = s().stat(at("empty"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(get("empty"), "");
}

TEST_P(StorageConformance, ObjectIsVisibleOnlyAfterCommit) {
  std::string data = pattern(5000, 2);
  auto w = s().open_write(at("late.bin"), WriteOptions{});
  w->write_at(0, data.data(), data.size());
  EXPECT_EQ(s().stat(at("late.bin")), std::nullopt);
  EXPECT_EQ(s().open_read(at("late.bin")), nullptr);
  for (const auto& p : all_files()) EXPECT_NE(p, "late.bin");
  w->commit();
  auto info = s().stat(at("late.bin"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(get("late.bin"), data);
  w.reset();
  EXPECT_EQ(all_files(), std::vector<std::string>{"late.bin"});
}

TEST_P(StorageConformance, AbandonedWriterLeavesNothing) {
  {
    auto w = s().open_write(at("sub/abandoned.bin"), WriteOptions{.size_hint = 1 << 20});
    std::string data = pattern(1 << 16, 3);
    w->write_at(0, data.data(), data.size());
  }
  EXPECT_EQ(s().stat(at("sub/abandoned.bin")), std::nullopt);
  EXPECT_EQ(all_files(), std::vector<std::string>{});
}

// In-place writes (unpublished version folders): same result, no temporary
// names, and an abandoned write still leaves nothing behind.
TEST_P(StorageConformance, InPlaceWriteCommitsAndAbandonsCleanly) {
  put("v/a.bin", "in place", WriteOptions{.in_place = true});
  EXPECT_EQ(get("v/a.bin"), "in place");
  put("v/a.bin", "replaced", WriteOptions{.overwrite = true, .read_only = true, .in_place = true});
  EXPECT_EQ(get("v/a.bin"), "replaced");
  put("v/a.bin", "again over a read-only one", WriteOptions{.overwrite = true, .in_place = true});
  EXPECT_EQ(get("v/a.bin"), "again over a read-only one");
  EXPECT_THROW(put("v/a.bin", "no overwrite", WriteOptions{.in_place = true}), FailedCommand);
  EXPECT_EQ(get("v/a.bin"), "again over a read-only one");
  {
    auto w = s().open_write(at("v/partial.bin"), WriteOptions{.in_place = true});
    w->write_at(0, "part", 4);
  }
  EXPECT_EQ(s().stat(at("v/partial.bin")), std::nullopt);
  EXPECT_EQ(all_files(), std::vector<std::string>{"v/a.bin"});
}

TEST_P(StorageConformance, AbandonedOverwriteKeepsTheOldObject) {
  put("keep", "old content");
  {
    auto w = s().open_write(at("keep"), WriteOptions{.overwrite = true});
    w->write_at(0, "new", 3);
  }
  EXPECT_EQ(get("keep"), "old content");
  EXPECT_EQ(all_files(), std::vector<std::string>{"keep"});
}

TEST_P(StorageConformance, OpenWriteWithoutOverwriteRefusesExisting) {
  put("exists.txt", "first");
  try {
    auto w = s().open_write(at("exists.txt"), WriteOptions{});
    ADD_FAILURE() << "open_write without overwrite accepted an existing object";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("exists.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get("exists.txt"), "first");
  EXPECT_EQ(all_files(), std::vector<std::string>{"exists.txt"});
}

TEST_P(StorageConformance, CommitRefusesTargetThatAppearedMeanwhile) {
  auto w = s().open_write(at("race.txt"), WriteOptions{});
  w->write_at(0, "mine", 4);
  put("race.txt", "theirs");
  try {
    w->commit();
    ADD_FAILURE() << "commit without overwrite replaced an object that appeared meanwhile";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("race.txt"), std::string::npos) << e.what();
  }
  w.reset();
  EXPECT_EQ(get("race.txt"), "theirs");
  EXPECT_EQ(all_files(), std::vector<std::string>{"race.txt"});
}

TEST_P(StorageConformance, OverwriteReplaces) {
  put("x.txt", "a much longer first version");
  put("x.txt", "short", WriteOptions{.overwrite = true});
  EXPECT_EQ(get("x.txt"), "short");
  EXPECT_EQ(s().stat(at("x.txt"))->size, 5u);
  // overwrite=true on an absent object simply creates it.
  put("y.txt", "new", WriteOptions{.overwrite = true});
  EXPECT_EQ(get("y.txt"), "new");
  EXPECT_EQ(all_files(), (std::vector<std::string>{"x.txt", "y.txt"}));
}

TEST_P(StorageConformance, SizeHintLargerThanContentIsTrimmed) {
  auto w = s().open_write(at("hinted"), WriteOptions{.size_hint = 1 << 20});
  w->write_at(0, "0123456789", 10);
  w->commit();
  EXPECT_EQ(s().stat(at("hinted"))->size, 10u);
  EXPECT_EQ(get("hinted"), "0123456789");
}

TEST_P(StorageConformance, ParentsAreCreatedImplicitly) {
  put("a/b/c/deep.txt", "deep");
  EXPECT_EQ(get("a/b/c/deep.txt"), "deep");
  if (s().features().real_folders) {
    auto dir = s().stat(at("a/b"));
    ASSERT_TRUE(dir);
    EXPECT_TRUE(dir->is_dir);
  }
  EXPECT_EQ(all_files(), std::vector<std::string>{"a/b/c/deep.txt"});
}

TEST_P(StorageConformance, SequentialWritesInPieces) {
  std::string data = pattern(300000, 4);
  auto w = s().open_write(at("pieces"), WriteOptions{.size_hint = data.size()});
  for (size_t off = 0; off < data.size(); off += 65536) {
    size_t n = std::min<size_t>(65536, data.size() - off);
    w->write_at(off, data.data() + off, n);
  }
  w->commit();
  EXPECT_EQ(get("pieces"), data);
}

TEST_P(StorageConformance, ParallelWritesOnDisjointRanges) {
  if (!s().features().parallel_write) GTEST_SKIP() << "backend has no parallel_write";
  constexpr size_t kPiece = 64 * 1024 + 7;
  constexpr size_t kPieces = 24;
  std::string data = pattern(kPiece * kPieces - 100, 5);
  auto w = s().open_write(at("parallel.bin"), WriteOptions{.size_hint = data.size()});
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Each thread writes every 4th piece, from the end backwards.
        for (size_t i = kPieces; i-- > 0;) {
          if (i % 4 != t) continue;
          size_t off = i * kPiece;
          size_t n = std::min(kPiece, data.size() - off);
          w->write_at(off, data.data() + off, n);
        }
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  w->commit();
  EXPECT_EQ(get("parallel.bin"), data);
}

TEST_P(StorageConformance, ReadAtIsShortOnlyAtTheEnd) {
  std::string data = pattern(1000, 6);
  put("r.bin", data);
  auto r = s().open_read(at("r.bin"));
  ASSERT_TRUE(r);
  std::string buf(4096, '\0');
  EXPECT_EQ(r->read_at(0, buf.data(), 100), 100u);
  EXPECT_EQ(buf.substr(0, 100), data.substr(0, 100));
  EXPECT_EQ(r->read_at(500, buf.data(), 500), 500u);
  EXPECT_EQ(buf.substr(0, 500), data.substr(500));
  EXPECT_EQ(r->read_at(990, buf.data(), 100), 10u);
  EXPECT_EQ(buf.substr(0, 10), data.substr(990));
  EXPECT_EQ(r->read_at(0, buf.data(), buf.size()), 1000u);
  EXPECT_EQ(buf.substr(0, 1000), data);
  EXPECT_EQ(r->read_at(1000, buf.data(), 1), 0u);
  EXPECT_EQ(r->read_at(5000, buf.data(), 10), 0u);
  EXPECT_EQ(r->read_at(10, buf.data(), 0), 0u);
}

TEST_P(StorageConformance, ConcurrentReadsOfOneReader) {
  std::string data = pattern(256 * 1024, 7);
  put("cr.bin", data);
  auto r = s().open_read(at("cr.bin"));
  ASSERT_TRUE(r);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string buf(4096, '\0');
      for (size_t off = static_cast<size_t>(t) * 4096; off < data.size(); off += 4 * 4096) {
        if (r->read_at(off, buf.data(), buf.size()) != buf.size() || buf != data.substr(off, buf.size())) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// Reader::visit_in_place gives exactly the bytes asked for, once, or
// declines without calling the visitor.
TEST_P(StorageConformance, VisitInPlaceGivesTheRangeOrDeclines) {
  std::string data = pattern(3 * 4096 + 123, 11);
  put("visit.bin", data);
  auto r = s().open_read(at("visit.bin"));
  ASSERT_TRUE(r);
  struct Seen {
    char* out;
    size_t len = 0;
    int calls = 0;
  };
  for (auto [offset, len] : {std::pair<size_t, size_t>{0, data.size()}, {4097, 5000}, {data.size() - 10, 10}}) {
    std::string out(len, '\0');
    Seen seen{out.data()};
    auto copy = [](const char* bytes, size_t n, void* arg) {
      auto* to = static_cast<Seen*>(arg);
      std::memcpy(to->out, bytes, n);
      to->len = n;
      ++to->calls;
    };
    if (!r->visit_in_place(offset, len, copy, &seen)) {
      EXPECT_EQ(seen.calls, 0);
      continue;
    }
    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.len, len);
    EXPECT_TRUE(out == data.substr(offset, len)) << "offset " << offset;
  }
}

class StorageConformanceListing : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    for (const auto& [p, c] : files_) put(p, c);
  }
  std::vector<std::pair<std::string, std::string>> files_ = {
      {"b.txt", "bb"},   {"a/1", "1"},       {"a/2", "22"},    {"a/sub/3", "333"},
      {"a-b.txt", "ab"}, {"c/x", "xxxx"},    {"c/y/z", "z"},   {"aa", ""},
  };
};

TEST_P(StorageConformanceListing, RecursiveIsSortedWithSizes) {
  auto entries = list_all(s(), target_.root, ListOptions{});
  std::vector<std::string> expected;
  for (const auto& [p, c] : files_) expected.push_back(p);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(paths(entries), expected);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(),
                             [](const ListEntry& x, const ListEntry& y) { return x.relative_path < y.relative_path; }));
  for (const auto& e : entries) {
    EXPECT_FALSE(e.info.is_dir) << e.relative_path;
    auto it = std::find_if(files_.begin(), files_.end(), [&](const auto& f) { return f.first == e.relative_path; });
    ASSERT_NE(it, files_.end());
    EXPECT_EQ(e.info.size, it->second.size()) << e.relative_path;
  }
}

TEST_P(StorageConformanceListing, ListOfASubfolderIsRelativeToIt) {
  EXPECT_EQ(paths(list_all(s(), at("a"), ListOptions{})), (std::vector<std::string>{"1", "2", "sub/3"}));
  EXPECT_EQ(paths(list_all(s(), at("c/y"), ListOptions{})), (std::vector<std::string>{"z"}));
}

TEST_P(StorageConformanceListing, NonRecursive) {
  EXPECT_EQ(paths(list_all(s(), target_.root, opts(false))),
            (std::vector<std::string>{"a-b.txt", "aa", "b.txt"}));
}

TEST_P(StorageConformanceListing, IncludeDirs) {
  auto top = list_all(s(), target_.root, opts(false, true));
  EXPECT_EQ(paths(top), (std::vector<std::string>{"a", "a-b.txt", "aa", "b.txt", "c"}));
  for (const auto& e : top) EXPECT_EQ(e.info.is_dir, e.relative_path == "a" || e.relative_path == "c") << e.relative_path;

  auto all = list_all(s(), target_.root, opts(true, true));
  EXPECT_EQ(paths(all), (std::vector<std::string>{"a", "a-b.txt", "a/1", "a/2", "a/sub", "a/sub/3", "aa", "b.txt",
                                                  "c", "c/x", "c/y", "c/y/z"}));
}

TEST_P(StorageConformanceListing, DescendPrunes) {
  std::mutex mu;
  std::set<std::string> asked;
  ListOptions options;
  options.descend = [&](const std::string& dir) {
    std::lock_guard lock(mu);
    asked.insert(dir);
    return dir != "a";
  };
  EXPECT_EQ(paths(list_all(s(), target_.root, options)), (std::vector<std::string>{"a-b.txt", "aa", "b.txt", "c/x", "c/y/z"}));
  EXPECT_EQ(asked, (std::set<std::string>{"a", "c", "c/y"}));

  // A pruned folder itself is still listed with include_dirs; its content is not.
  options.include_dirs = true;
  options.descend = [](const std::string& dir) { return dir != "c/y"; };
  EXPECT_EQ(paths(list_all(s(), target_.root, options)),
            (std::vector<std::string>{"a", "a-b.txt", "a/1", "a/2", "a/sub", "a/sub/3", "aa", "b.txt", "c", "c/x",
                                      "c/y"}));
}

TEST_P(StorageConformanceListing, MissingFolderIsEmpty) {
  EXPECT_TRUE(list_all(s(), at("missing"), ListOptions{}).empty());
  EXPECT_TRUE(list_all(s(), at("missing/deeper"), opts(true, true)).empty());
}

TEST_P(StorageConformanceListing, ListingAFileThrows) {
  EXPECT_THROW(list_all(s(), at("b.txt"), ListOptions{}), FailedCommand);
  EXPECT_THROW(list_all(s(), at("a/sub/3"), opts(false)), FailedCommand);
}

TEST_P(StorageConformance, RemoveReportsAbsence) {
  EXPECT_FALSE(s().remove(at("never-was")));
  put("gone", "x");
  EXPECT_TRUE(s().remove(at("gone")));
  EXPECT_EQ(s().stat(at("gone")), std::nullopt);
  EXPECT_FALSE(s().remove(at("gone")));
  EXPECT_EQ(all_files(), std::vector<std::string>{});
}

TEST_P(StorageConformance, ServerSideCopy) {
  if (!s().features().server_side_copy) GTEST_SKIP() << "backend has no server-side copy";
  std::string data = pattern(3 * 1024 * 1024 + 17, 8);
  put("src.bin", data);
  put("empty", "");
  s().copy(at("src.bin"), at("dst/copy.bin"), WriteOptions{});
  EXPECT_EQ(get("dst/copy.bin"), data);
  s().copy(at("empty"), at("dst/empty"), WriteOptions{});
  auto info = s().stat(at("dst/empty"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(get("src.bin"), data);  // source untouched
  EXPECT_EQ(all_files(), (std::vector<std::string>{"dst/copy.bin", "dst/empty", "empty", "src.bin"}));
}

TEST_P(StorageConformance, ServerSideCopyHonoursOverwrite) {
  if (!s().features().server_side_copy) GTEST_SKIP() << "backend has no server-side copy";
  put("src", "source bytes");
  put("dst", "old");
  EXPECT_THROW(s().copy(at("src"), at("dst"), WriteOptions{}), FailedCommand);
  EXPECT_EQ(get("dst"), "old");
  // In place (a version folder being written) is create-only too, whether
  // the backend looks first or leaves it to the service's condition.
  try {
    s().copy(at("src"), at("dst"), WriteOptions{.in_place = true});
    ADD_FAILURE() << "an in-place copy replaced an object";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAlreadyExists) << e.what();
  }
  EXPECT_EQ(get("dst"), "old");
  s().copy(at("src"), at("dst"), WriteOptions{.overwrite = true});
  EXPECT_EQ(get("dst"), "source bytes");
  EXPECT_EQ(all_files(), (std::vector<std::string>{"dst", "src"}));
}

TEST_P(StorageConformance, LinkBatchLinksEachNameOrDeclines) {
  put("from/a", "first");
  put("from/b", "second");
  std::vector<Storage::LinkName> names{{"a", "a"}, {"b", "renamed"}};
  std::vector<std::optional<FileInfo>> linked;
  ASSERT_NO_THROW(linked = s().link_batch(at("from"), at("to/sub"), names, LinkMode::kHardlink, WriteOptions{}));
  ASSERT_EQ(linked.size(), 2u);
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i].to);
    Url to = at("to/sub/" + names[i].to);
    if (!s().features().hardlink) {
      EXPECT_FALSE(linked[i]);
    }
    if (linked[i]) {
      EXPECT_EQ(get("to/sub/" + names[i].to), get("from/" + names[i].from));
      auto now = s().stat(to);
      ASSERT_TRUE(now);
      EXPECT_EQ(linked[i]->size, now->size);
      EXPECT_EQ(linked[i]->inode, now->inode);
      EXPECT_EQ(linked[i]->ctime_ns, now->ctime_ns);
      EXPECT_EQ(linked[i]->etag, now->etag);
    } else {
      EXPECT_EQ(s().stat(to), std::nullopt);
    }
  }
}

TEST_P(StorageConformance, LinkSharesDataOrDeclines) {
  std::string data = pattern(70000, 9);
  put("orig", data);
  for (LinkMode mode : {LinkMode::kHardlink, LinkMode::kReflink}) {
    SCOPED_TRACE(mode == LinkMode::kHardlink ? "hardlink" : "reflink");
    bool announced = mode == LinkMode::kHardlink ? s().features().hardlink : s().features().reflink;
    std::string to = mode == LinkMode::kHardlink ? "linked/hard" : "linked/ref";
    bool linked = false;
    ASSERT_NO_THROW(linked = s().link(at("orig"), at(to), mode, WriteOptions{}));
    if (!announced) {
      EXPECT_FALSE(linked);
    }
    if (linked) {
      EXPECT_EQ(get(to), data);
    } else {
      EXPECT_EQ(s().stat(at(to)), std::nullopt);
    }
  }
  // Whatever was declined left no partial object behind.
  for (const auto& p : all_files()) {
    EXPECT_TRUE(p == "orig" || p == "linked/hard" || p == "linked/ref") << p;
  }
  EXPECT_EQ(get("orig"), data);
}

TEST_P(StorageConformance, ReadOnlyWriteIsReadable) {
  put("ro.txt", "read only", WriteOptions{.read_only = true});
  EXPECT_EQ(get("ro.txt"), "read only");
  // A read-only object can still be removed or replaced through the API.
  put("ro.txt", "replaced", WriteOptions{.overwrite = true, .read_only = true});
  EXPECT_EQ(get("ro.txt"), "replaced");
  EXPECT_TRUE(s().remove(at("ro.txt")));
}

// sync() only makes durable what is there: of a folder, a file's folder or
// a folder that does not exist, it changes and creates nothing. (That the
// bytes reach the disk cannot be observed here.)
TEST_P(StorageConformance, SyncChangesNothingAndToleratesMissingFolders) {
  put("a/file", "x");
  put("b/deeper/file", "y");
  auto before = all_files();
  s().sync(target_.root);
  s().sync(at("a"));
  s().sync(at("missing"));
  s().sync(at("missing/deeper"));
  EXPECT_EQ(all_files(), before);
  EXPECT_EQ(get("a/file"), "x");
  EXPECT_EQ(get("b/deeper/file"), "y");
  EXPECT_FALSE(s().stat(at("missing"))) << "sync created the folder it was given";
}

TEST_P(StorageConformance, ConcurrentWritersOfDifferentObjects) {
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        std::string data = pattern(10000 + static_cast<size_t>(t), static_cast<uint64_t>(t));
        auto w = s().open_write(at("many/f" + std::to_string(t)), WriteOptions{});
        w->write_at(0, data.data(), data.size());
        w->commit();
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(get("many/f" + std::to_string(t)), pattern(10000 + static_cast<size_t>(t), static_cast<uint64_t>(t)));
  }
  EXPECT_EQ(all_files().size(), 8u);
}

// -- conditional writes, removal, pages, documents --------------------------

// Runs `action` and expects it to throw FailedCommand with `code`, with a
// message that names `name`.
template <typename Action>
void expect_refusal(Action&& action, ErrorCode code, const std::string& name) {
  try {
    action();
    ADD_FAILURE() << "accepted; expected FailedCommand " << error_code_name(code);
  } catch (const FailedCommand& e) {
    EXPECT_EQ(error_code_name(e.code()), std::string(error_code_name(code))) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

// Create-only writes are atomic: of 8 writers that all opened the same new
// object, exactly one publishes it, and every other commit is refused with
// kAlreadyExists (so is a later open).
TEST_P(StorageConformance, CreateOnlyRaceHasExactlyOneWinner) {
  if (!target_.racy_conditions.empty()) GTEST_SKIP() << target_.racy_conditions;
  constexpr int kWriters = 8;
  std::atomic<int> opened{0};
  std::vector<std::string> outcome(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      bool counted = false;
      try {
        auto w = s().open_write(at("race/new"), WriteOptions{});
        std::string data = "writer " + std::to_string(t);
        w->write_at(0, data.data(), data.size());
        ++opened;
        counted = true;
        // Every writer has opened before any commits.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (opened.load() < kWriters && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        w->commit();
        outcome[t] = "won";
      } catch (const FailedCommand& e) {
        if (!counted) ++opened;
        outcome[t] = error_code_name(e.code());
      } catch (const std::exception& e) {
        if (!counted) ++opened;
        outcome[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  int winner = -1;
  for (int t = 0; t < kWriters; ++t) {
    if (outcome[t] == "won") {
      EXPECT_EQ(winner, -1) << "two writers published the same new object";
      winner = t;
    } else {
      EXPECT_EQ(outcome[t], "already_exists") << "writer " << t;
    }
  }
  ASSERT_NE(winner, -1) << "no writer published the object";
  EXPECT_EQ(get("race/new"), "writer " + std::to_string(winner));
  expect_refusal([&] { s().open_write(at("race/new"), WriteOptions{}); }, ErrorCode::kAlreadyExists, "race/new");
  EXPECT_EQ(all_files(), std::vector<std::string>{"race/new"});
}

// if_match replaces exactly the version whose etag it names: a stale etag, or
// an object that is gone, is refused with kPreconditionFailed, at open or at
// commit, and changes nothing.
TEST_P(StorageConformance, IfMatchReplacesOnlyTheVersionItNames) {
  put("obj", "one");
  std::string e1 = s().stat(at("obj"))->etag;
  EXPECT_FALSE(e1.empty());
  EXPECT_EQ(s().stat(at("obj"))->etag, e1) << "the etag changed without a write";
  put("obj", "two", WriteOptions{.overwrite = true});
  std::string e2 = s().stat(at("obj"))->etag;
  EXPECT_NE(e2, e1);
  EXPECT_EQ(s().open_read(at("obj"))->info().etag, e2);

  expect_refusal([&] { put("obj", "stale", WriteOptions{.if_match = e1}); }, ErrorCode::kPreconditionFailed, "obj");
  EXPECT_EQ(get("obj"), "two");
  put("obj", "three", WriteOptions{.if_match = e2});
  EXPECT_EQ(get("obj"), "three");
  std::string e3 = s().stat(at("obj"))->etag;
  EXPECT_NE(e3, e2);

  // The condition holds at open but not at commit.
  auto w = s().open_write(at("obj"), WriteOptions{.if_match = e3});
  w->write_at(0, "late", 4);
  put("obj", "four", WriteOptions{.overwrite = true});
  expect_refusal([&] { w->commit(); }, ErrorCode::kPreconditionFailed, "obj");
  w.reset();
  EXPECT_EQ(get("obj"), "four");

  expect_refusal([&] { put("absent", "x", WriteOptions{.if_match = e3}); }, ErrorCode::kPreconditionFailed, "absent");
  EXPECT_EQ(s().stat(at("absent")), std::nullopt);
  EXPECT_EQ(all_files(), std::vector<std::string>{"obj"});
}

// Eight threads add one to a counter object 25 times each, every time by
// reading it with open (which gives its etag) and writing it back with
// write(text, etag) under if_match, again after each kPreconditionFailed:
// no increment may be lost.
void count_by_compare_and_swap(const std::function<std::unique_ptr<Reader>()>& open,
                               const std::function<void(const std::string&, const std::string&)>& write) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 25;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      try {
        for (int i = 0; i < kIncrements; ++i) {
          for (;;) {
            auto r = open();
            std::string etag = r->info().etag;
            std::string text(r->size(), '\0');
            text.resize(r->read_at(0, text.data(), text.size()));
            try {
              write(std::to_string(std::stoi(text) + 1), etag);
              break;
            } catch (const FailedCommand& e) {
              if (e.code() != ErrorCode::kPreconditionFailed) throw;
            }
          }
        }
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

// Compare-and-swap loses no update.
TEST_P(StorageConformance, CompareAndSwapLosesNoUpdate) {
  if (!target_.racy_conditions.empty()) GTEST_SKIP() << target_.racy_conditions;
  put("counter", "0");
  count_by_compare_and_swap([&] { return s().open_read(at("counter")); },
                            [&](const std::string& text, const std::string& etag) {
                              write_all(s(), at("counter"), text, WriteOptions{.if_match = etag});
                            });
  EXPECT_EQ(get("counter"), "200");
}

// A Folder reads and writes its objects by name, under the rules of
// open_read and open_write (create-only unless overwrite, visible only
// after commit), and makes a missing folder for writing.
TEST_P(StorageConformance, FolderReadsAndWritesItsObjectsByName) {
  put("f/a", "alpha");
  auto reading = s().open_folder(at("f"), false);
  ASSERT_TRUE(reading);
  auto r = reading->open_read("a");
  ASSERT_TRUE(r);
  std::string text(r->size(), '\0');
  text.resize(r->read_at(0, text.data(), text.size()));
  EXPECT_EQ(text, "alpha");
  EXPECT_EQ(r->opened_info().size, 5u);
  EXPECT_EQ(reading->open_read("absent"), nullptr);

  auto writing = s().open_folder(at("new/sub"), true);
  ASSERT_TRUE(writing);
  auto w = writing->open_write("x", WriteOptions{});
  w->write_at(0, "one", 3);
  EXPECT_EQ(get("new/sub/x"), "<absent>");
  w->commit();
  EXPECT_EQ(get("new/sub/x"), "one");
  expect_refusal([&] { writing->open_write("x", WriteOptions{}); }, ErrorCode::kAlreadyExists, "new/sub/x");
  auto again = writing->open_write("x", WriteOptions{.overwrite = true});
  again->write_at(0, "two", 3);
  again->commit();
  EXPECT_EQ(get("new/sub/x"), "two");
  EXPECT_EQ(all_files(), (std::vector<std::string>{"f/a", "new/sub/x"}));
}

// Threads sharing one Folder exclude each other as separate callers do: a
// compare-and-swap through it loses no update (on a disk, each conditional
// publish locks a description of the folder of its own).
TEST_P(StorageConformance, CompareAndSwapThroughOneSharedFolderLosesNoUpdate) {
  if (!target_.racy_conditions.empty()) GTEST_SKIP() << target_.racy_conditions;
  put("shared/counter", "0");
  auto folder = s().open_folder(at("shared"), true);
  ASSERT_TRUE(folder);
  count_by_compare_and_swap([&] { return folder->open_read("counter"); },
                            [&](const std::string& text, const std::string& etag) {
                              auto w = folder->open_write("counter", WriteOptions{.if_match = etag});
                              w->write_at(0, text.data(), text.size());
                              w->commit();
                            });
  EXPECT_EQ(get("shared/counter"), "200");
}

// Removing is idempotent: of 8 concurrent removals of one object exactly one
// reports it, and removing what is gone is never an error.
TEST_P(StorageConformance, RemoveIsIdempotent) {
  put("once", "x");
  std::atomic<int> removed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      try {
        if (s().remove(at("once"))) ++removed;
      } catch (...) {
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(removed.load(), 1);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_FALSE(s().remove(at("once")));
  EXPECT_FALSE(s().remove(at("once"), RemoveOptions{.if_match = "some-etag"}));
  EXPECT_EQ(all_files(), std::vector<std::string>{});
}

TEST_P(StorageConformance, RemoveWithStaleIfMatchIsRefused) {
  put("guarded", "v1");
  std::string e1 = s().stat(at("guarded"))->etag;
  put("guarded", "v2", WriteOptions{.overwrite = true});
  std::string e2 = s().stat(at("guarded"))->etag;
  expect_refusal([&] { s().remove(at("guarded"), RemoveOptions{.if_match = e1}); }, ErrorCode::kPreconditionFailed,
                 "guarded");
  EXPECT_EQ(get("guarded"), "v2");
  EXPECT_TRUE(s().remove(at("guarded"), RemoveOptions{.if_match = e2}));
  EXPECT_EQ(s().stat(at("guarded")), std::nullopt);
}

// However a backend cuts a listing into pages, every object comes exactly
// once: more objects than two pages (an object store's default page is 1000;
// the test targets ask for smaller ones), in several folders.
TEST_P(StorageConformance, PagesCoverEveryKeyExactlyOnce) {
  const int kObjects = target_.list_page_size ? static_cast<int>(2 * target_.list_page_size + 25) : 1100;
  auto rel_of = [](int i) { return fmt::format("d{}/f{}", i % 5, i); };
  for (int i = 0; i < kObjects; ++i) put(fmt::format("p/{}", rel_of(i)), std::to_string(i));
  std::set<std::string> expected;
  for (int i = 0; i < kObjects; ++i) expected.insert(rel_of(i));
  std::map<std::string, int> seen;
  int pages = 0;
  s().list(at("p"), ListOptions{}, [&](std::vector<ListEntry>&& page) {
    ++pages;
    EXPECT_FALSE(page.empty()) << "page " << pages;
    for (const auto& e : page) ++seen[e.relative_path];
  });
  EXPECT_EQ(seen.size(), expected.size());
  for (const auto& rel : expected) EXPECT_EQ(seen[rel], 1) << rel;

  std::map<std::string, int> folders;
  s().list(at("p"), opts(false, true), [&](std::vector<ListEntry>&& page) {
    for (const auto& e : page) {
      EXPECT_TRUE(e.info.is_dir) << e.relative_path;
      ++folders[e.relative_path];
    }
  });
  EXPECT_EQ(folders, (std::map<std::string, int>{{"d0", 1}, {"d1", 1}, {"d2", 1}, {"d3", 1}, {"d4", 1}}));
}

TEST_P(StorageConformance, ReadDocumentHoldsTheWholeObject) {
  std::string data = pattern(300000, 10);
  put("doc.json", data);
  auto doc = s().read_document(at("doc.json"));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->text(), data);
  doc->release_before(200000);
  doc->restart();
  EXPECT_EQ(doc->text(), data);

  put("empty.json", "");
  auto empty = s().read_document(at("empty.json"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->text(), "");

  EXPECT_EQ(s().read_document(at("absent.json")), nullptr);
  put("folder/inner", "x");
  EXPECT_THROW(s().read_document(at("folder")), FailedCommand);
}

// A folder holding objects (a real one, or a prefix) is reported as such,
// and is not a file to read.
TEST_P(StorageConformance, FolderHoldingObjectsIsADirectory) {
  put("f/g/h.txt", "x");
  for (const char* dir : {"f", "f/g"}) {
    auto info = s().stat(at(dir));
    ASSERT_TRUE(info) << dir;
    EXPECT_TRUE(info->is_dir) << dir;
    EXPECT_FALSE(info->is_file()) << dir;
    EXPECT_THROW(s().open_read(at(dir)), FailedCommand) << dir;
  }
  EXPECT_FALSE(s().stat(at("f/g/h.txt"))->is_dir);
}

// Features::object_metadata: the content hash given to a write comes back
// from stat, list and readers, and travels with a server-side copy.
TEST_P(StorageConformance, ContentHashIsKeptAsMetadata) {
  if (!s().features().object_metadata) GTEST_SKIP() << "backend keeps no object metadata";
  const std::string hash = "sha256-flat:" + std::string(64, 'a');
  put("hashed", "bytes", WriteOptions{.content_hash = hash});
  EXPECT_EQ(s().stat(at("hashed"))->content_hash, hash);
  EXPECT_EQ(s().open_read(at("hashed"))->info().content_hash, hash);
  auto listed = list_all(s(), target_.root, ListOptions{});
  ASSERT_EQ(listed.size(), 1u);
  if (s().features().listed_metadata) {
    EXPECT_EQ(listed[0].info.content_hash, hash);
  }
  if (s().features().server_side_copy) {
    s().copy(at("hashed"), at("copied"), WriteOptions{});
    EXPECT_EQ(s().stat(at("copied"))->content_hash, hash);
  }
  put("hashed", "other bytes", WriteOptions{.overwrite = true});
  // No hash, or (S3: computed while the bytes streamed) the new bytes' own.
  std::string after = s().stat(at("hashed"))->content_hash;
  EXPECT_NE(after, hash) << "a replaced object kept the old object's hash";
  if (!after.empty()) {
    EXPECT_EQ(after, model::flat_hash("other bytes", 11));
  }
}

// A hash computed while the bytes streamed is given at commit instead of at
// open: the object carries the hash of its bytes, for small objects and for
// big ones (which object stores upload in parts before the hash is known).
// A backend may keep the given hash or compute its own while the bytes pass
// (S3 does): either way it is the bytes' hash.
TEST_P(StorageConformance, ContentHashGivenAtCommitIsKept) {
  if (!s().features().object_metadata) GTEST_SKIP() << "backend keeps no object metadata";
  for (size_t size : {size_t{5}, size_t{600 * 1024 + 3}}) {
    SCOPED_TRACE(size);
    std::string name = "late-hash-" + std::to_string(size);
    std::string data = pattern(size, 11);
    const std::string hash = model::flat_hash(data.data(), data.size());
    auto w = s().open_write(at(name), WriteOptions{.size_hint = data.size()});
    w->write_at(0, data.data(), data.size());
    w->set_content_hash(hash);
    w->commit();
    EXPECT_EQ(s().stat(at(name))->content_hash, hash);
    EXPECT_EQ(get(name), data);
  }
}

// The error a call throws: its code, and its message in the failure.
template <typename Fn>
std::optional<ErrorCode> error_code_of(Fn&& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return std::nullopt;
}

TEST_P(StorageConformance, EtagChangesWhenTheObjectIsReplaced) {
  put("e", "one");
  auto first = s().stat(at("e"));
  ASSERT_TRUE(first);
  if (first->etag.empty()) GTEST_SKIP() << "backend reports no etag";
  put("e", "two", WriteOptions{.overwrite = true});  // same size
  auto second = s().stat(at("e"));
  ASSERT_TRUE(second);
  EXPECT_NE(first->etag, second->etag);
  EXPECT_EQ(s().stat(at("e"))->etag, second->etag) << "an unchanged object keeps its etag";
  // Removed and made again at once (a local file may get the freed inode
  // number back, with the same size and, on coarse clocks, the same times).
  // Other bytes of the same size: S3's etag is a digest of the bytes, so the
  // very same bytes rightly keep their etag.
  ASSERT_TRUE(s().remove(at("e")));
  put("e", "owt");
  EXPECT_NE(s().stat(at("e"))->etag, second->etag);
  second = s().stat(at("e"));
  // A Reader reports the identity of what it reads, as stat does.
  auto r = s().open_read(at("e"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->info().etag, second->etag);
  EXPECT_EQ(r->info().size, 3u);
}

TEST_P(StorageConformance, IfMatchIsCheckedWhenTheWriterCommits) {
  if (!s().features().conditional_write) GTEST_SKIP() << "backend has no conditional writes";
  put("cas", "v1");
  auto w = s().open_write(at("cas"), WriteOptions{.if_match = s().stat(at("cas"))->etag});
  w->write_at(0, "mine", 4);
  put("cas", "someone else's", WriteOptions{.overwrite = true});
  EXPECT_EQ(error_code_of([&] { w->commit(); }), ErrorCode::kPreconditionFailed);
  w.reset();
  EXPECT_EQ(get("cas"), "someone else's");
  EXPECT_EQ(all_files(), std::vector<std::string>{"cas"}) << "a failed commit left a temporary object";
}

TEST_P(StorageConformance, RemoveFolderOnlyWhenEmpty) {
  put("d/sub/f", "x");
  if (!s().features().real_folders) {
    EXPECT_FALSE(s().remove_folder(at("d/sub")));
    return;
  }
  EXPECT_FALSE(s().remove_folder(at("d/sub")));  // not empty
  EXPECT_FALSE(s().remove_folder(at("never")));  // absent
  EXPECT_FALSE(s().remove_folder(at("d/sub/f")));  // a file
  EXPECT_EQ(get("d/sub/f"), "x");
  EXPECT_TRUE(s().remove(at("d/sub/f")));
  EXPECT_TRUE(s().remove_folder(at("d/sub")));
  EXPECT_EQ(s().stat(at("d/sub")), std::nullopt);
  EXPECT_TRUE(s().remove_folder(at("d")));
  EXPECT_FALSE(s().remove_folder(at("d")));
}

TEST_P(StorageConformance, DurableWritesCommit) {
  put("d/new", "durable", WriteOptions{.durable = true});
  put("d/new", "durable again", WriteOptions{.overwrite = true, .durable = true});
  put("d/cas", "v1", WriteOptions{.durable = true});
  if (s().features().conditional_write) {
    put("d/cas", "v2", WriteOptions{.if_match = s().stat(at("d/cas"))->etag, .durable = true});
  }
  put("v/in-place", "in place", WriteOptions{.in_place = true, .durable = true});
  if (s().features().server_side_copy) s().copy(at("d/new"), at("d/copy"), WriteOptions{.durable = true});
  EXPECT_EQ(get("d/new"), "durable again");
  EXPECT_EQ(get("v/in-place"), "in place");
  if (s().features().server_side_copy) {
    EXPECT_EQ(get("d/copy"), "durable again");
  }
}

std::string backend_name(const ::testing::TestParamInfo<StorageBackend>& info) { return info.param.name; }

// One line per backend. Remote backends (S3, Azure, GCS) return a target with
// a unique prefix in a test bucket and a cleanup that deletes it.
INSTANTIATE_TEST_SUITE_P(StorageBackends, StorageConformance,
                         ::testing::Values(local_backend(), local_walk_backend(), routed_local_backend(), memory_backend(),
                                           routed_memory_backend(), s3_backend(), gcs_backend(),
                                           azure_backend()),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(StorageBackends, StorageConformanceListing,
                         ::testing::Values(local_backend(), local_walk_backend(), routed_local_backend(), memory_backend(),
                                           routed_memory_backend(), s3_backend(), gcs_backend(),
                                           azure_backend()),
                         backend_name);

// ---------------------------------------------------------------------------
// Local-only behaviour: inodes, file modes, symbolic links.

// Every local test runs twice: resolving paths with openat2, and with the
// component walk that stands in where openat2 is missing or filtered.
class StorageLocal : public ::testing::TestWithParam<local::Method> {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("local");
    root_ = Url::from_local_path(dir_);
  }
  void TearDown() override { remove_tree(dir_); }

  Url at(const std::string& rel) const { return root_.join(rel); }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }
  void put(const std::string& rel, const std::string& content, WriteOptions options = {}) {
    auto w = store_.open_write(at(rel), options);
    w->write_at(0, content.data(), content.size());
    w->commit();
  }
  std::string get(const std::string& rel) { return read_all(store_, at(rel)).value_or("<absent>"); }
  struct stat st(const std::string& rel) {
    struct stat s {};
    EXPECT_EQ(::lstat(path(rel).c_str(), &s), 0) << rel;
    return s;
  }
  std::vector<std::string> dir_names(const std::string& rel) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(rel.empty() ? dir_ : path(rel))) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), path(rel).c_str()), 0) << rel;
  }

  LocalStorage store_{std::function<void()>{}, GetParam()};
  std::string dir_;
  Url root_;
};

TEST_P(StorageLocal, FeaturesOfTheLocalFileSystem) {
  Features f = store_.features();
  EXPECT_TRUE(f.real_folders);
  EXPECT_TRUE(f.server_side_copy);
  EXPECT_TRUE(f.hardlink);
  EXPECT_TRUE(f.parallel_write);
  EXPECT_TRUE(f.stable_identity);
  EXPECT_TRUE(f.reflink);
  EXPECT_TRUE(f.conditional_write);
  EXPECT_TRUE(f.symbolic_links);
  EXPECT_FALSE(f.object_metadata);
  EXPECT_EQ(f.connections, 64u);
}

TEST_P(StorageLocal, AWriterReportsTheStatOfWhatItPublished) {
  put("replaced", "old bytes");
  struct Case {
    std::string rel;
    WriteOptions options;
  };
  for (const Case& c : {Case{"fresh", WriteOptions{}}, Case{"replaced", WriteOptions{.overwrite = true}},
                        Case{"in-place", WriteOptions{.in_place = true}}}) {
    SCOPED_TRACE(c.rel);
    auto w = store_.open_write(at(c.rel), c.options);
    EXPECT_EQ(w->committed_info(), std::nullopt) << "nothing is published before commit";
    w->write_at(0, "new bytes", 9);
    w->commit();
    auto reported = w->committed_info();
    auto now = store_.stat(at(c.rel));
    ASSERT_TRUE(reported);
    ASSERT_TRUE(now);
    EXPECT_EQ(reported->inode, now->inode);
    EXPECT_EQ(reported->size, 9u);
    EXPECT_EQ(reported->mtime_ns, now->mtime_ns);
    EXPECT_EQ(reported->ctime_ns, now->ctime_ns);
    EXPECT_EQ(reported->mode, now->mode);
    EXPECT_EQ(reported->etag, now->etag);
  }
}

TEST_P(StorageLocal, StatReportsIdentity) {
  put("f", "hello");
  auto info = store_.stat(at("f"));
  ASSERT_TRUE(info);
  struct stat s = st("f");
  EXPECT_EQ(info->inode, s.st_ino);
  EXPECT_EQ(info->mtime_ns, static_cast<int64_t>(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec);
  EXPECT_EQ(info->size, 5u);
  auto dir = store_.stat(root_);
  ASSERT_TRUE(dir);
  EXPECT_TRUE(dir->is_dir);
}

TEST_P(StorageLocal, HardlinkSharesTheInode) {
  put("orig", "shared bytes");
  ASSERT_TRUE(store_.link(at("orig"), at("sub/hard"), LinkMode::kHardlink, WriteOptions{}));
  EXPECT_EQ(st("orig").st_ino, st("sub/hard").st_ino);
  EXPECT_EQ(store_.stat(at("orig"))->inode, store_.stat(at("sub/hard"))->inode);
  EXPECT_EQ(get("sub/hard"), "shared bytes");
}

TEST_P(StorageLocal, HardlinkHonoursOverwrite) {
  put("orig", "new");
  put("target", "old");
  EXPECT_THROW(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{}), FailedCommand);
  EXPECT_EQ(get("target"), "old");
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{.overwrite = true}));
  EXPECT_EQ(get("target"), "new");
  EXPECT_EQ(st("orig").st_ino, st("target").st_ino);
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig", "target"}));
}

TEST_P(StorageLocal, HardlinkOverwriteOfAnExistingLinkLeavesNoTempFile) {
  // Re-installing with --link hardlink over a previous hardlink install:
  // the target already is the same inode as the source.
  put("orig", "shared");
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{}));
  ASSERT_TRUE(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{.overwrite = true}));
  EXPECT_EQ(st("orig").st_ino, st("target").st_ino);
  EXPECT_EQ(st("orig").st_nlink, 2u) << "a stray extra link to the inode exists";
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig", "target"}));
}

TEST_P(StorageLocal, OverwriteOfAFolderIsRefusedAndLeavesItWhereItWas) {
  // Replacing exchanges the two names, then removes the old one: a folder
  // found at the name must be put back, not removed or moved aside.
  put("target/inside", "kept");
  put("orig", "file");
  EXPECT_THROW(put("target", "file", WriteOptions{.overwrite = true}), Error);
  EXPECT_THROW(store_.link(at("orig"), at("target"), LinkMode::kHardlink, WriteOptions{.overwrite = true}), Error);
  EXPECT_EQ(get("target/inside"), "kept");
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig", "target"})) << "no temporary name is left";
  EXPECT_EQ(st("orig").st_nlink, 1u);
}

TEST_P(StorageLocal, OverwriteLeavesOneNameAndOpenReadersOnTheOldFile) {
  put("x", "old");
  struct stat old_st = st("x");
  auto reader = store_.open_read(at("x"));  // an open reader keeps the old inode alive
  put("x", "new bytes", WriteOptions{.overwrite = true});
  EXPECT_EQ(get("x"), "new bytes");
  EXPECT_NE(st("x").st_ino, old_st.st_ino);
  EXPECT_EQ(dir_names(""), std::vector<std::string>{"x"});
  char buf[8] = {};
  ASSERT_EQ(reader->read_at(0, buf, sizeof buf), 3u);
  EXPECT_EQ(std::string(buf, 3), "old") << "a reader of the old file still reads it";
}

TEST_P(StorageLocal, LinkBatchReportsTheStatOfEachPublishedName) {
  put("repo/a", "new a");
  put("repo/b", "new b");
  put("out/b", "old b");  // replaced through a temporary name and a rename
  auto linked = store_.link_batch(at("repo"), at("out"), {{"a", "a"}, {"b", "b"}}, LinkMode::kHardlink,
                                  WriteOptions{.overwrite = true});
  ASSERT_EQ(linked.size(), 2u);
  for (const std::string name : {"a", "b"}) {
    SCOPED_TRACE(name);
    size_t i = name == "a" ? 0 : 1;
    ASSERT_TRUE(linked[i]);
    EXPECT_EQ(st("repo/" + name).st_ino, st("out/" + name).st_ino);
    EXPECT_EQ(get("out/" + name), "new " + name);
    // What the hash cache records must be what a later stat sees.
    auto now = store_.stat(at("out/" + name));
    ASSERT_TRUE(now);
    EXPECT_EQ(linked[i]->inode, now->inode);
    EXPECT_EQ(linked[i]->size, now->size);
    EXPECT_EQ(linked[i]->mtime_ns, now->mtime_ns);
    EXPECT_EQ(linked[i]->ctime_ns, now->ctime_ns);
    EXPECT_EQ(linked[i]->etag, now->etag);
  }
  EXPECT_EQ(dir_names("out"), (std::vector<std::string>{"a", "b"})) << "no temporary name is left";
  EXPECT_THROW(store_.link_batch(at("repo"), at("out"), {{"a", "a"}}, LinkMode::kHardlink, WriteOptions{}),
               FailedCommand)
      << "create-only unless overwrite";
}

TEST_P(StorageLocal, LinkBatchRefusesNamesThatAreNotPlainNames) {
  put("repo/sub/f", "data");
  put("repo/f", "data");
  for (const std::string bad : {"sub/f", "..", ".", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(store_.link_batch(at("repo"), at("out"), {{bad, "f"}}, LinkMode::kHardlink, WriteOptions{}),
                 FailedCommand);
    EXPECT_THROW(store_.link_batch(at("repo"), at("out"), {{"f", bad}}, LinkMode::kHardlink, WriteOptions{}),
                 FailedCommand);
  }
  EXPECT_FALSE(fs::exists(path("out"))) << "nothing is made before every name is checked";
}

TEST_P(StorageLocal, LinkBatchNeverLinksALinkOrThroughOne) {
  put("repo/a", "a");
  fs::create_directories(path("outside"));
  put("outside/secret", "not the package's");
  symlink("../outside/secret", "repo/link");
  // A link among the sources: refused; the names before it stay linked.
  try {
    store_.link_batch(at("repo"), at("out"), {{"a", "a"}, {"link", "link"}}, LinkMode::kHardlink, WriteOptions{});
    ADD_FAILURE() << "a symbolic link was hard-linked";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
    EXPECT_NE(std::string(e.what()).find(path("repo/link")), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir_names("out"), std::vector<std::string>{"a"});
  // A source folder reached through a link, and a target folder that is
  // one: refused before anything is linked.
  symlink("repo", "alias");
  EXPECT_THROW(store_.link_batch(at("alias"), at("out2"), {{"a", "a"}}, LinkMode::kHardlink, WriteOptions{}),
               FailedCommand);
  EXPECT_FALSE(fs::exists(path("out2")));
  symlink("outside", "trap");
  try {
    store_.link_batch(at("repo"), at("trap"), {{"a", "a"}}, LinkMode::kHardlink, WriteOptions{});
    ADD_FAILURE() << "linked through a link to a folder";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
  }
  EXPECT_EQ(dir_names("outside"), std::vector<std::string>{"secret"});
}

TEST_P(StorageLocal, FolderRefusesNamesThatAreNotPlainNames) {
  put("repo/sub/f", "data");
  auto reading = store_.open_folder(at("repo"), false);
  auto writing = store_.open_folder(at("out"), true);
  ASSERT_TRUE(reading && writing);
  for (const std::string bad : {"sub/f", "..", ".", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(reading->open_read(bad), FailedCommand);
    EXPECT_THROW(writing->open_write(bad, WriteOptions{}), FailedCommand);
  }
  EXPECT_EQ(dir_names("out"), std::vector<std::string>{});
  EXPECT_THROW(reading->open_write("f", WriteOptions{}), FailedCommand) << "opened for reading only";
  EXPECT_EQ(store_.open_folder(at("absent"), false), nullptr);
}

// A Folder is resolved as the calls it stands for: for writing, never
// through a link; for reading, following links that stay beneath the
// anchor. A link inside it is read as open_read reads it.
TEST_P(StorageLocal, FolderNeverWritesThroughALinkAndReadsOnlyLinksThatStayInside) {
  Url anchor = Url::from_local_path(path("root"));
  put("root/repo/a", "a");
  put("root/repo/other/b", "b");
  put("outside/secret", "not the package's");
  symlink("../outside", "root/trap");  // leads out of the anchor
  for (bool for_write : {true, false}) {
    try {
      store_.open_folder(anchor.join("trap"), for_write);
      ADD_FAILURE() << "a folder was opened through a link leading outside, for_write " << for_write;
    } catch (const FailedCommand& e) {
      EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
    }
  }
  symlink("repo", "root/alias");  // stays beneath the anchor: fine for reading only
  auto alias = store_.open_folder(anchor.join("alias"), false);
  ASSERT_TRUE(alias);
  EXPECT_TRUE(alias->open_read("a"));
  EXPECT_THROW(store_.open_folder(anchor.join("alias"), true), FailedCommand);

  symlink("../../outside/secret", "root/repo/escape");
  symlink("other/b", "root/repo/inside");
  auto repo = store_.open_folder(anchor.join("repo"), false);
  ASSERT_TRUE(repo);
  try {
    repo->open_read("escape");
    ADD_FAILURE() << "read through a link leading outside";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
  }
  auto inside = repo->open_read("inside");
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->size(), 1u);

  // A write through a Folder never follows a link at its name either: an
  // overwrite replaces the link itself.
  auto out = store_.open_folder(anchor.join("repo"), true);
  ASSERT_TRUE(out);
  auto w = out->open_write("escape", WriteOptions{.overwrite = true});
  w->write_at(0, "new", 3);
  w->commit();
  EXPECT_EQ(get("outside/secret"), "not the package's");
  EXPECT_FALSE(S_ISLNK(st("root/repo/escape").st_mode));
  EXPECT_EQ(get("root/repo/escape"), "new");
}

// New files are named with linkat(AT_EMPTY_PATH) where the process may,
// else through /proc/self/fd: both publish the same way.
TEST_P(StorageLocal, WritersPublishTheSameThroughProcWhereAnEmptyPathLinkIsRefused) {
  for (bool via_proc : {true, false}) {
    SCOPED_TRACE(via_proc);
    local::set_tmpfile_links_via_proc_for_testing(via_proc);
    std::string name = via_proc ? "proc" : "empty";
    put(name + "/new", "one");
    EXPECT_THROW(put(name + "/new", "again"), FailedCommand) << "create-only";
    put(name + "/new", "two", WriteOptions{.overwrite = true});
    EXPECT_EQ(get(name + "/new"), "two");
    EXPECT_EQ(dir_names(name), std::vector<std::string>{"new"}) << "no temporary name left";
  }
  local::set_tmpfile_links_via_proc_for_testing(false);
}

TEST_P(StorageLocal, LinkBatchNamesTheMissingSource) {
  put("repo/a", "a");
  for (const char* folder : {"repo", "absent-folder"}) {
    try {
      store_.link_batch(at(folder), at("out"), {{"gone", "gone"}}, LinkMode::kHardlink, WriteOptions{});
      ADD_FAILURE() << "linked a file that does not exist";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path(std::string(folder) + "/gone")), std::string::npos) << e.what();
    }
  }
}

TEST_P(StorageLocal, ReflinkClonesOrDeclinesCleanly) {
  std::string data(200000, 'r');
  put("orig", data);
  bool cloned = false;
  ASSERT_NO_THROW(cloned = store_.link(at("orig"), at("clone"), LinkMode::kReflink, WriteOptions{}));
  if (cloned) {
    EXPECT_EQ(get("clone"), data);
    EXPECT_NE(st("orig").st_ino, st("clone").st_ino);  // a clone is a new file
    EXPECT_EQ(dir_names(""), (std::vector<std::string>{"clone", "orig"}));
  } else {
    // ext4, tmpfs: no clone, and no temporary file left behind.
    EXPECT_EQ(dir_names(""), (std::vector<std::string>{"orig"}));
  }
}

TEST_P(StorageLocal, HardlinkAcrossFileSystemsReturnsFalse) {
  // /dev/shm is a tmpfs on most Linux systems; skip when it is the same
  // file system as the temp dir or does not exist.
  struct stat shm {}, tmp {};
  if (::stat("/dev/shm", &shm) != 0 || ::stat(dir_.c_str(), &tmp) != 0 || shm.st_dev == tmp.st_dev ||
      ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "no second writable file system";
  }
  std::string other = "/dev/shm/wrapp-xdev-XXXXXX";
  ASSERT_NE(::mkdtemp(other.data()), nullptr);
  Url far = Url::from_local_path(other).join("f");
  put("orig", "data");
  bool hard = true, ref = true;
  EXPECT_NO_THROW(hard = store_.link(at("orig"), far, LinkMode::kHardlink, WriteOptions{}));
  EXPECT_FALSE(hard);
  EXPECT_NO_THROW(ref = store_.link(at("orig"), far, LinkMode::kReflink, WriteOptions{}));
  EXPECT_FALSE(ref);
  EXPECT_EQ(store_.stat(far), std::nullopt);
  EXPECT_TRUE(fs::is_empty(other));
  // A batch declines each file the same way: the caller copies them.
  put("orig2", "more data");
  std::vector<std::optional<FileInfo>> batch;
  EXPECT_NO_THROW(batch = store_.link_batch(root_, far.parent(), {{"orig", "f"}, {"orig2", "g"}},
                                            LinkMode::kHardlink, WriteOptions{}));
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_FALSE(batch[0]);
  EXPECT_FALSE(batch[1]);
  EXPECT_TRUE(fs::is_empty(other));
  std::error_code ec;
  fs::remove_all(other, ec);
}

TEST_P(StorageLocal, ReadOnlyClearsWriteBits) {
  put("ro", "x", WriteOptions{.read_only = true});
  EXPECT_EQ(st("ro").st_mode & 0222, 0u);
  put("rw", "x");
  EXPECT_NE(st("rw").st_mode & 0200, 0u);
  put("src", "copy me");
  store_.copy(at("src"), at("ro-copy"), WriteOptions{.read_only = true});
  EXPECT_EQ(st("ro-copy").st_mode & 0222, 0u);
  EXPECT_EQ(get("ro-copy"), "copy me");
}

TEST_P(StorageLocal, NoPartialFilesAfterCommitFailure) {
  auto w = store_.open_write(at("t"), WriteOptions{});
  w->write_at(0, "abc", 3);
  put("t", "other");
  EXPECT_THROW(w->commit(), FailedCommand);
  w.reset();
  EXPECT_EQ(dir_names(""), std::vector<std::string>{"t"});
}

TEST_P(StorageLocal, UncommittedWriterLeavesNoTempFileInTheFolder) {
  auto w = store_.open_write(at("pending"), WriteOptions{});
  w->write_at(0, "abc", 3);
  EXPECT_EQ(::access(path("pending").c_str(), F_OK), -1);
  w.reset();
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_P(StorageLocal, OpenReadOfAFolderThrows) {
  fs::create_directories(path("d"));
  EXPECT_THROW(store_.open_read(at("d")), Error);
}

// -- symbolic links --------------------------------------------------------

class StorageLocalSymlinks : public StorageLocal {
 protected:
  void SetUp() override {
    StorageLocal::SetUp();
    fs::create_directories(path("tree/sub"));
    put("tree/file.txt", "12345");
    put("tree/sub/inner", "inner");
    put("outside.txt", "outside content");
  }
  std::vector<ListEntry> list_tree(SymlinkPolicy policy, bool include_dirs = false) {
    return list_all(store_, at("tree"), opts(true, include_dirs, policy));
  }
  // Asserts that listing refuses and names the link.
  void expect_refused(const std::string& link_rel) {
    try {
      auto entries = list_tree(SymlinkPolicy::kRefuseOutside);
      ADD_FAILURE() << "listing accepted the link " << link_rel << " (" << entries.size() << " entries)";
    } catch (const FailedCommand& e) {
      EXPECT_NE(std::string(e.what()).find(link_rel), std::string::npos) << e.what();
    }
  }
};

TEST_P(StorageLocalSymlinks, LinkToAFileInsideIsListedAsThatFile) {
  symlink("file.txt", "tree/link");
  symlink("../file.txt", "tree/sub/uplink");
  for (auto policy : {SymlinkPolicy::kRefuseOutside, SymlinkPolicy::kSkipOutside}) {
    auto entries = list_tree(policy);
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.relative_path);
    EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "link", "sub/inner", "sub/uplink"}));
    for (const auto& e : entries) {
      EXPECT_FALSE(e.info.is_dir);
      if (e.relative_path == "link" || e.relative_path == "sub/uplink") {
        EXPECT_EQ(e.info.size, 5u);
      }
    }
  }
}

TEST_P(StorageLocalSymlinks, LinkToAFolderInsideIsFollowed) {
  symlink("sub", "tree/alias");
  auto entries = list_tree(SymlinkPolicy::kRefuseOutside, true);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"alias", "alias/inner", "file.txt", "sub", "sub/inner"}));
  EXPECT_TRUE(entries[0].info.is_dir);
}

TEST_P(StorageLocalSymlinks, LinkOutsideIsRefusedOrSkipped) {
  symlink("../../outside.txt", "tree/sub/escape");
  ASSERT_TRUE(fs::exists(path("tree/sub/escape"))) << "the link must resolve, to an outside file";
  expect_refused("escape");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub/inner"}));
}

TEST_P(StorageLocalSymlinks, AbsoluteLinkOutsideIsRefused) {
  symlink(path("outside.txt"), "tree/abs");
  expect_refused("abs");
  EXPECT_EQ(list_tree(SymlinkPolicy::kSkipOutside).size(), 2u);
}

TEST_P(StorageLocalSymlinks, BrokenLinkIsRefusedOrSkipped) {
  symlink("does-not-exist", "tree/broken");
  expect_refused("broken");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub/inner"}));
}

TEST_P(StorageLocalSymlinks, LinkToAnAncestorFolderIsALoop) {
  symlink("..", "tree/sub/up");
  expect_refused("up");
  auto entries = list_tree(SymlinkPolicy::kSkipOutside, true);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  EXPECT_EQ(names, (std::vector<std::string>{"file.txt", "sub", "sub/inner"}));
}

TEST_P(StorageLocalSymlinks, MutuallyPointingFolderLinksAreALoop) {
  // tree/a/to_b -> ../b and tree/b/to_a -> ../a: neither link points to a
  // folder that contains it, yet following both never ends (a/to_b/to_a/...).
  fs::create_directories(path("tree/a"));
  fs::create_directories(path("tree/b"));
  put("tree/a/fa", "a");
  put("tree/b/fb", "b");
  symlink("../b", "tree/a/to_b");
  symlink("../a", "tree/b/to_a");
  try {
    auto entries = list_tree(SymlinkPolicy::kRefuseOutside);
    ADD_FAILURE() << "a cycle of folder links was listed (" << entries.size() << " entries)";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find("loop"), std::string::npos) << e.what();
  }
  // Skipping keeps each folder once through each link, and drops the link
  // that closes the cycle.
  auto entries = list_tree(SymlinkPolicy::kSkipOutside);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  std::vector<std::string> expected = {"a/fa", "a/to_b/fb", "b/fb", "b/to_a/fa", "file.txt", "sub/inner"};
  if (names.size() > 3 * expected.size()) {
    auto deepest = *std::max_element(names.begin(), names.end(),
                                     [](const std::string& x, const std::string& y) { return x.size() < y.size(); });
    ADD_FAILURE() << names.size() << " entries, the cycle was followed down to '" << deepest << "'";
  } else {
    EXPECT_EQ(names, expected);
  }
}

TEST_P(StorageLocalSymlinks, LinkToTheListedRootIsALoop) {
  symlink(".", "tree/self");
  expect_refused("self");
  EXPECT_EQ(list_tree(SymlinkPolicy::kSkipOutside).size(), 2u);
}

// stat never follows a link beneath the anchor (storage/storage.h): it
// reports the link itself, so that planners see a link where one is and
// nothing is ever written through it. (It used to follow links, and call a
// dangling one absent.) Reads still follow links that stay inside.
TEST_P(StorageLocalSymlinks, StatReportsLinksAsThemselves) {
  symlink("file.txt", "tree/link");
  symlink("nowhere", "tree/dangling");
  auto info = store_.stat(at("tree/link"));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_link);
  EXPECT_FALSE(info->is_file());
  EXPECT_EQ(info->inode, st("tree/link").st_ino);
  auto dangling = store_.stat(at("tree/dangling"));
  ASSERT_TRUE(dangling);
  EXPECT_TRUE(dangling->is_link);
  EXPECT_EQ(get("tree/link"), "12345");
  EXPECT_EQ(store_.open_read(at("tree/dangling")), nullptr);
}

TEST_P(StorageLocalSymlinks, ReportLinksListsEveryLinkAsItself) {
  symlink("file.txt", "tree/link");
  symlink("sub", "tree/alias");
  symlink("../../outside.txt", "tree/sub/escape");
  symlink("nowhere", "tree/broken");
  auto entries = list_tree(SymlinkPolicy::kReportLinks, true);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.relative_path);
  // Nothing is followed: no "alias/inner", and no link is refused.
  EXPECT_EQ(names, (std::vector<std::string>{"alias", "broken", "file.txt", "link", "sub", "sub/escape",
                                             "sub/inner"}));
  for (const auto& e : entries) {
    bool link = e.relative_path == "alias" || e.relative_path == "broken" || e.relative_path == "link" ||
                e.relative_path == "sub/escape";
    EXPECT_EQ(e.info.is_link, link) << e.relative_path;
    EXPECT_EQ(e.info.is_dir, e.relative_path == "sub") << e.relative_path;
  }
}

TEST_P(StorageLocalSymlinks, AbsoluteLinkInsideIsTreatedAsLeaving) {
  // Reads resolve beneath the folder they start from, where an absolute
  // link leads out by definition; the walk judges links the same way, so
  // that every file it lists can be read.
  symlink(path("tree/file.txt"), "tree/abs-inside");
  expect_refused("abs-inside");
  EXPECT_EQ(list_tree(SymlinkPolicy::kSkipOutside).size(), 2u);
  EXPECT_EQ(error_code_of([&] { get("tree/abs-inside"); }), ErrorCode::kLinkOnPath);
}

TEST_P(StorageLocal, StatFillsEveryField) {
  put("f", "hello", WriteOptions{.mode = 0640});
  auto info = store_.stat(at("f"));
  ASSERT_TRUE(info);
  struct stat s = st("f");
  EXPECT_EQ(info->device, s.st_dev);
  EXPECT_EQ(info->inode, s.st_ino);
  EXPECT_EQ(info->mode, 0640u);
  EXPECT_EQ(info->ctime_ns, static_cast<int64_t>(s.st_ctim.tv_sec) * 1000000000 + s.st_ctim.tv_nsec);
  EXPECT_TRUE(info->is_file());
  EXPECT_FALSE(info->is_link);
  EXPECT_FALSE(info->is_other);
  // The documented etag: "<dev>-<ino>-<size>-<mtime_ns>-<ctime_ns>".
  EXPECT_EQ(info->etag, std::to_string(s.st_dev) + "-" + std::to_string(s.st_ino) + "-5-" +
                            std::to_string(info->mtime_ns) + "-" + std::to_string(info->ctime_ns));
  // Reader::info() describes the open file; lists carry the same fields but
  // the etag, which they leave out (Storage::list: it is derived from them).
  auto reader = store_.open_read(at("f"));
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().etag, info->etag);
  auto listed = list_all(store_, root_, ListOptions{});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].info.etag, "");
  EXPECT_EQ(listed[0].info.inode, info->inode);
  EXPECT_EQ(listed[0].info.ctime_ns, info->ctime_ns);
  EXPECT_EQ(listed[0].info.mtime_ns, info->mtime_ns);
  // The reader keeps describing the file it opened after the name moves on
  // (whose etag changed too: losing its name changed its ctime).
  put("f", "other!", WriteOptions{.overwrite = true});
  EXPECT_EQ(reader->info().inode, info->inode);
  EXPECT_EQ(reader->info().size, 5u);
  EXPECT_NE(store_.stat(at("f"))->etag, info->etag);
}

// WriteOptions::mode is the source's permission bits: the owner's bits
// (the executable bit) are kept, nobody gets more than the source granted,
// read_only clears the write bits, and the umask plays no part.
TEST_P(StorageLocal, ModesKeepTheOwnersBitsAndNeverWiden) {
  struct Case {
    uint32_t mode;
    bool read_only;
    mode_t expected;
  };
  std::vector<Case> cases = {{0, false, 0644},    {0, true, 0444},     {0755, false, 0755}, {0755, true, 0555},
                             {0600, false, 0600}, {0600, true, 0400},  {0700, false, 0700}, {04755, false, 0755},
                             {0664, false, 0664}};
  mode_t old_umask = ::umask(077);
  put("src", "source");
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(fmt::format("mode {:o}, read_only {}", c.mode, c.read_only));
    WriteOptions o{.read_only = c.read_only, .mode = c.mode};
    std::string tag = std::to_string(n++);
    put("new-" + tag, "x", o);
    EXPECT_EQ(st("new-" + tag).st_mode & 07777, c.expected);
    put("new-" + tag, "y", WriteOptions{.overwrite = true, .read_only = c.read_only, .mode = c.mode});
    EXPECT_EQ(st("new-" + tag).st_mode & 07777, c.expected);
    WriteOptions in_place = o;
    in_place.in_place = true;
    put("in-place-" + tag, "x", in_place);
    EXPECT_EQ(st("in-place-" + tag).st_mode & 07777, c.expected);
    store_.copy(at("src"), at("copy-" + tag), o);
    EXPECT_EQ(st("copy-" + tag).st_mode & 07777, c.expected);
  }
  ::umask(old_umask);
}

TEST_P(StorageLocal, WritersPublishFromUnnamedFiles) {
  int probe = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY, 0600);
  if (probe < 0) GTEST_SKIP() << "no O_TMPFILE here: named temporary files are used";
  ::close(probe);
  put("existing", "old");
  // While being written, a new object and a replacement have no name at
  // all: there is nothing a killed process could leave behind.
  auto fresh = store_.open_write(at("fresh"), WriteOptions{});
  auto replacement = store_.open_write(at("existing"), WriteOptions{.overwrite = true});
  fresh->write_at(0, "new", 3);
  replacement->write_at(0, "new", 3);
  EXPECT_EQ(dir_names(""), std::vector<std::string>{"existing"});
  fresh->commit();
  replacement->commit();
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"existing", "fresh"}));
  EXPECT_EQ(get("existing"), "new");
}

TEST_P(StorageLocal, AKilledWriterLeavesNothingBehind) {
  put("existing", "old");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto fresh = store_.open_write(at("sub/fresh"), WriteOptions{});
    auto replacement = store_.open_write(at("existing"), WriteOptions{.overwrite = true});
    fresh->write_at(0, "partial", 7);
    replacement->write_at(0, "partial", 7);
    ::kill(::getpid(), SIGKILL);
    ::_exit(1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  int probe = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY, 0600);
  if (probe < 0) GTEST_SKIP() << "no O_TMPFILE here: a killed writer leaves its named temporary file";
  ::close(probe);
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"existing", "sub"}));
  EXPECT_TRUE(dir_names("sub").empty());
  EXPECT_EQ(get("existing"), "old");
}

TEST_P(StorageLocal, AFailedConditionalCommitLeavesNoTemporaryName) {
  put("t", "v1");
  std::string stale = store_.stat(at("t"))->etag;
  put("t", "v2", WriteOptions{.overwrite = true});
  auto w = store_.open_write(at("t"), WriteOptions{.if_match = stale});
  w->write_at(0, "v3", 2);
  EXPECT_EQ(error_code_of([&] { w->commit(); }), ErrorCode::kPreconditionFailed);
  w.reset();
  EXPECT_EQ(dir_names(""), std::vector<std::string>{"t"});
  EXPECT_EQ(get("t"), "v2");
}

TEST_P(StorageLocal, OtherFilesAreListedOnlyWhenAsked) {
  fs::create_directories(path("tree"));
  put("tree/file", "x");
  ASSERT_EQ(::mkfifo(path("tree/fifo").c_str(), 0600), 0);
  auto plain = list_all(store_, at("tree"), ListOptions{});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].relative_path, "file");
  ListOptions with_other;
  with_other.include_other = true;
  auto all = list_all(store_, at("tree"), with_other);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].relative_path, "fifo");
  EXPECT_TRUE(all[0].info.is_other);
  EXPECT_FALSE(all[0].info.is_file());
  EXPECT_TRUE(store_.stat(at("tree/fifo"))->is_other);
  // Reading a FIFO is refused at once instead of waiting for a writer.
  EXPECT_THROW(store_.open_read(at("tree/fifo")), FailedCommand);
  EXPECT_THROW(store_.read_document(at("tree/fifo")), FailedCommand);
}

TEST_P(StorageLocal, ListPagesHoldAtMostAThousandEntries) {
  for (int i = 0; i < 2500; ++i) put("many/" + std::to_string(i), "");
  std::vector<size_t> sizes;
  size_t total = 0;
  store_.list(at("many"), ListOptions{}, [&](std::vector<ListEntry>&& page) {
    sizes.push_back(page.size());
    total += page.size();
  });
  EXPECT_EQ(total, 2500u);
  EXPECT_GE(sizes.size(), 3u);
  for (size_t n : sizes) EXPECT_LE(n, 1000u);
}

TEST_P(StorageLocal, ReadDocumentOfAFolderThrows) {
  fs::create_directories(path("d"));
  EXPECT_THROW(store_.read_document(at("d")), FailedCommand);
}

TEST(StorageLocalCancellation, TheWalkChecksForCancellationBetweenFolders) {
  std::string dir = make_temp_dir("cancel");
  for (int i = 0; i < 20; ++i) fs::create_directories(dir + "/d" + std::to_string(i) + "/inner");
  std::atomic<int> checks{0};
  auto check = [&] {
    if (++checks > 5) throw Cancelled();
  };
  LocalStorage store(check);
  EXPECT_THROW(list_all(store, Url::from_local_path(dir), ListOptions{}), Cancelled);
  EXPECT_GE(checks.load(), 6);
  // Commands reach the backend through their Resolver, which hands it the
  // command's check.
  checks = 0;
  Resolver resolver(Resolver::Options{check});
  Url url = Url::from_local_path(dir);
  EXPECT_THROW(list_all(resolver.for_url(url), url, ListOptions{}), Cancelled);
  remove_tree(dir);
}

// -- links beneath the anchor ------------------------------------------------
//
// The anchor is the folder the test gives (root_). Beneath it, "out" is a
// link to a folder outside, "in" a link to the folder "real" inside. No
// write, remove, link or folder creation may pass through either, and
// nothing outside may change.

class StorageLocalLinks : public StorageLocal {
 protected:
  void SetUp() override {
    StorageLocal::SetUp();
    outside_ = make_temp_dir("outside");
    write_file(outside_ + "/victim", "precious");
    fs::create_directories(outside_ + "/empty");
    fs::create_directories(path("real/empty"));
    put("real/file", "inside");
    put("src", "source bytes");
    symlink(outside_, "out");
    symlink("real", "in");
    before_ = snapshot(outside_);
  }
  void TearDown() override {
    EXPECT_EQ(snapshot(outside_), before_) << "something outside the anchor changed";
    remove_tree(outside_);
    StorageLocal::TearDown();
  }

  static void write_file(const std::string& p, const std::string& text) {
    std::ofstream out(p);
    out << text;
  }
  // Every entry below `dir`: its content, "<dir>" or "-> target".
  static std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      std::string rel = fs::relative(e.path(), dir).string();
      if (e.is_symlink()) {
        out[rel] = "-> " + fs::read_symlink(e.path()).string();
      } else if (e.is_directory()) {
        out[rel] = "<dir>";
      } else {
        std::ifstream in(e.path());
        out[rel] = std::string(std::istreambuf_iterator<char>(in), {});
      }
    }
    return out;
  }
  // `fn` must throw FailedCommand kLinkOnPath naming `rel` and the link.
  void expect_refused(const std::function<void()>& fn, const std::string& rel) {
    SCOPED_TRACE(rel);
    std::string message;
    EXPECT_EQ(error_code_of(fn, &message), ErrorCode::kLinkOnPath) << message;
    EXPECT_NE(message.find(rel), std::string::npos) << message;
    EXPECT_NE(message.find("symbolic link"), std::string::npos) << message;
  }

  std::string outside_;
  std::map<std::string, std::string> before_;
};

TEST_P(StorageLocalLinks, WritesThroughAFolderLinkAreRefused) {
  std::vector<WriteOptions> modes = {WriteOptions{}, WriteOptions{.overwrite = true},
                                     WriteOptions{.in_place = true}, WriteOptions{.overwrite = true, .in_place = true},
                                     WriteOptions{.if_match = "0-0-0-0-0"}};
  // Links that lead out and links that stay inside alike: writes never
  // follow a link beneath the anchor.
  for (std::string target : {"out/victim", "out/new", "out/new-folder/deeper/file", "in/file", "in/new"}) {
    for (const auto& o : modes) {
      expect_refused([&] { put(target, "overwritten", o); }, target);
    }
  }
  EXPECT_EQ(get("real/file"), "inside");
  EXPECT_EQ(dir_names("real"), (std::vector<std::string>{"empty", "file"}));
}

TEST_P(StorageLocalLinks, SyncThroughAFolderLinkIsRefused) {
  // syncfs through a link would reach another file system's folder: the
  // anchor's rule holds for it as for writes.
  for (std::string target : {"out", "out/new-folder"}) {
    expect_refused([&] { store_.sync(at(target)); }, target);
  }
  store_.sync(at("in"));  // a link that stays inside is a way to a folder of this tree
}

TEST_P(StorageLocalLinks, CopiesAndLinksIntoAFolderLinkAreRefused) {
  for (std::string target : {"out/victim", "out/new", "in/new"}) {
    expect_refused([&] { store_.copy(at("src"), at(target), WriteOptions{.overwrite = true}); }, target);
    expect_refused([&] { store_.link(at("src"), at(target), LinkMode::kHardlink, WriteOptions{.overwrite = true}); },
                   target);
    expect_refused([&] { store_.link(at("src"), at(target), LinkMode::kReflink, WriteOptions{.overwrite = true}); },
                   target);
  }
  EXPECT_EQ(st("src").st_nlink, 1u);
  EXPECT_EQ(dir_names("real"), (std::vector<std::string>{"empty", "file"}));
}

TEST_P(StorageLocalLinks, RemovesAndFoldersThroughAFolderLinkAreRefused) {
  expect_refused([&] { store_.remove(at("out/victim")); }, "out/victim");
  expect_refused([&] { store_.remove(at("in/file")); }, "in/file");
  expect_refused([&] { store_.remove(at("out/victim"), RemoveOptions{.if_match = "x"}); }, "out/victim");
  expect_refused([&] { store_.remove_folder(at("out/empty")); }, "out/empty");
  expect_refused([&] { store_.remove_folder(at("in/empty")); }, "in/empty");
  expect_refused([&] { store_.prepare_folders(root_, {"a", "out/made", "out/made/deeper"}); }, "out");
  expect_refused([&] { store_.prepare_folders(at("out"), {"made"}); }, "out");
  expect_refused([&] { store_.prepare_folders(at("in/made"), {"x"}); }, "in");
  EXPECT_EQ(get("real/file"), "inside");
  EXPECT_EQ(dir_names("real"), (std::vector<std::string>{"empty", "file"}));
}

TEST_P(StorageLocalLinks, StatNeverFollowsALink) {
  auto out = store_.stat(at("out"));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->is_link);
  EXPECT_FALSE(out->is_dir);
  EXPECT_TRUE(store_.stat(at("in"))->is_link);
  expect_refused([&] { store_.stat(at("out/victim")); }, "out/victim");
  expect_refused([&] { store_.stat(at("in/file")); }, "in/file");
  expect_refused([&] { store_.stat(at("in/absent")); }, "in/absent");
}

TEST_P(StorageLocalLinks, AFinalLinkIsRemovedItselfNeverItsTarget) {
  symlink(outside_ + "/victim", "to-victim");
  symlink("real/file", "to-file");
  EXPECT_TRUE(store_.remove(at("to-victim")));
  EXPECT_TRUE(store_.remove(at("to-file")));
  EXPECT_EQ(get("real/file"), "inside");
  EXPECT_FALSE(store_.remove_folder(at("out")));  // a link to a folder is not a folder
  EXPECT_TRUE(fs::is_symlink(path("out")));
  EXPECT_TRUE(store_.remove(at("out")));  // removes the link; the folder it named stays
  EXPECT_FALSE(fs::exists(fs::symlink_status(path("out"))));
  EXPECT_EQ(dir_names(""), (std::vector<std::string>{"in", "real", "src"}));
}

TEST_P(StorageLocalLinks, AWriteOverAFinalLinkReplacesTheLinkNotItsTarget) {
  symlink(outside_ + "/victim", "planted");
  // Create-only, in place or not: something exists there.
  EXPECT_EQ(error_code_of([&] { put("planted", "x"); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(error_code_of([&] { put("planted", "x", WriteOptions{.in_place = true}); }), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(fs::is_symlink(path("planted")));
  // Overwriting replaces the link by a file of its own.
  put("planted", "mine", WriteOptions{.overwrite = true});
  EXPECT_FALSE(fs::is_symlink(path("planted")));
  EXPECT_EQ(get("planted"), "mine");
  symlink(outside_ + "/victim", "planted-in-place");
  put("planted-in-place", "mine too", WriteOptions{.overwrite = true, .in_place = true});
  EXPECT_FALSE(fs::is_symlink(path("planted-in-place")));
  EXPECT_EQ(get("planted-in-place"), "mine too");
}

TEST_P(StorageLocalLinks, HardLinkingASymbolicLinkIsRefused) {
  // A symbolic link in a repository version, hard-linked into an install,
  // would be a link there too: the user's next edit would write outside.
  symlink(outside_ + "/victim", "version-link");
  symlink("real/file", "version-inside-link");
  for (std::string from : {"version-link", "version-inside-link"}) {
    std::string message;
    EXPECT_EQ(error_code_of([&] { store_.link(at(from), at("install/" + from), LinkMode::kHardlink, {}); },
                            &message),
              ErrorCode::kLinkOnPath)
        << message;
    EXPECT_NE(message.find(from), std::string::npos) << message;
    EXPECT_NE(message.find("symbolic link"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(fs::symlink_status(path("install/" + from))));
  }
  expect_refused([&] { store_.link(at("in/file"), at("install/x"), LinkMode::kHardlink, {}); }, "in/file");
  // Copies and clones read: a link that stays inside gives its bytes.
  store_.copy(at("version-inside-link"), at("install/copy"), WriteOptions{});
  EXPECT_EQ(get("install/copy"), "inside");
  EXPECT_FALSE(fs::is_symlink(path("install/copy")));
  expect_refused([&] { store_.copy(at("version-link"), at("install/copy2"), WriteOptions{}); }, "version-link");
  expect_refused([&] { store_.link(at("version-link"), at("install/clone"), LinkMode::kReflink, {}); },
                 "version-link");
}

TEST_P(StorageLocalLinks, AFolderSwappedForALinkIsCaughtAtTheNextCall) {
  put("swap/a", "1");
  ASSERT_TRUE(store_.stat(at("swap"))->is_dir);
  // Between two calls, the checked folder becomes a link leading out.
  fs::rename(path("swap"), path("swap-was"));
  symlink(outside_, "swap");
  expect_refused([&] { put("swap/victim", "overwritten", WriteOptions{.overwrite = true}); }, "swap/victim");
  expect_refused([&] { put("swap/b", "new"); }, "swap/b");
  expect_refused([&] { store_.remove(at("swap/victim")); }, "swap/victim");
  expect_refused([&] { store_.stat(at("swap/victim")); }, "swap/victim");
  expect_refused([&] { store_.prepare_folders(at("swap"), {"sub"}); }, "swap");
}

TEST_P(StorageLocalLinks, MissingFoldersAreNeverMadeThroughALink) {
  expect_refused([&] { put("out/new/sub/file", "x"); }, "out/new/sub/file");
  expect_refused([&] { put("in/new/sub/file", "x"); }, "in/new/sub/file");
  EXPECT_FALSE(fs::exists(path("real/new")));
}

TEST_P(StorageLocalLinks, TheAnchorItselfMayBeALink) {
  // A user may name a link: it is the anchor, followed like any path given.
  Url anchor = Url::from_local_path(path("in"));
  store_.prepare_folders(anchor, {"x"});
  auto w = store_.open_write(anchor.join("x/y"), WriteOptions{});
  w->write_at(0, "via the anchor", 14);
  w->commit();
  EXPECT_EQ(get("real/x/y"), "via the anchor");
  EXPECT_EQ(read_all(store_, anchor.join("x/y")).value_or("<absent>"), "via the anchor");
  EXPECT_TRUE(store_.stat(anchor)->is_dir);
  EXPECT_TRUE(store_.stat(anchor.join("x/y"))->is_file());
  EXPECT_EQ(list_all(store_, anchor, ListOptions{}).size(), 2u);  // file, x/y
  EXPECT_TRUE(store_.remove(anchor.join("x/y")));
  EXPECT_TRUE(store_.remove_folder(anchor.join("x")));
  // And an anchor below a link: the whole path was given.
  Url deep = Url::from_local_path(path("in/empty"));
  auto w2 = store_.open_write(deep.join("z"), WriteOptions{});
  w2->commit();
  EXPECT_TRUE(fs::exists(path("real/empty/z")));
}

TEST_P(StorageLocalLinks, ReadsFollowOnlyLinksThatStayBeneathTheAnchor) {
  EXPECT_EQ(get("in/file"), "inside");
  auto doc = store_.read_document(at("in/file"));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->text(), "inside");
  symlink("../file", "real/empty/up");  // leaves a folder, stays beneath the anchor
  EXPECT_EQ(get("real/empty/up"), "inside");
  expect_refused([&] { store_.open_read(at("out/victim")); }, "out/victim");
  expect_refused([&] { store_.read_document(at("out/victim")); }, "out/victim");
  symlink(path("real/file"), "absolute");  // absolute links leave by definition
  expect_refused([&] { store_.open_read(at("absolute")); }, "absolute");
  // Listing the folder behind a link that leads out is refused likewise.
  EXPECT_EQ(error_code_of([&] { list_all(store_, at("out"), ListOptions{}); }), ErrorCode::kLinkOnPath);
  EXPECT_EQ(list_all(store_, at("in"), ListOptions{}).size(), 2u);  // file, empty/up
}

std::string method_name(const ::testing::TestParamInfo<local::Method>& info) {
  return info.param == local::Method::kAuto ? "openat2" : "walk";
}

INSTANTIATE_TEST_SUITE_P(Resolution, StorageLocal, ::testing::Values(local::Method::kAuto, local::Method::kWalk),
                         method_name);
INSTANTIATE_TEST_SUITE_P(Resolution, StorageLocalSymlinks,
                         ::testing::Values(local::Method::kAuto, local::Method::kWalk), method_name);
INSTANTIATE_TEST_SUITE_P(Resolution, StorageLocalLinks, ::testing::Values(local::Method::kAuto, local::Method::kWalk),
                         method_name);

}  // namespace
}  // namespace wrapp::storage
