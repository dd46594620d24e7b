#include "model/hash_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "model/hash.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::model {
namespace {

namespace fs = std::filesystem;

std::string hash_of(const std::string& s) { return flat_hash(s.data(), s.size()); }

class HashCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "wrapp-hashcache-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    cache_path_ = dir_ + "/hash_cache.json";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // Loads cache_path_, collecting warnings.
  HashCache load() {
    warnings_.clear();
    return HashCache::load(cache_path_, [this](const std::string& m) { warnings_.push_back(m); });
  }
  void write(std::string_view content) { util::write_file_atomically(cache_path_, content); }
  // Loads `text` as the cache file.
  HashCache load_text(std::string_view text) {
    write(text);
    return load();
  }
  // The same for a file that must load without a warning.
  HashCache load_clean(std::string_view text) {
    HashCache c = load_text(text);
    EXPECT_TRUE(warnings_.empty()) << (warnings_.empty() ? "" : warnings_[0]);
    return c;
  }
  // The entries a cache holds, in key order.
  static std::vector<std::string> keys(const HashCache& c) {
    std::vector<std::string> out;
    c.for_each([&](std::string_view key, const FileStamp&, const ContentHash&) { out.emplace_back(key); });
    return out;
  }

  std::string dir_;
  std::string cache_path_;
  std::vector<std::string> warnings_;
};

TEST_F(HashCacheTest, EmptyCache) {
  HashCache c;
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.dirty());
  EXPECT_FALSE(c.lookup("/a", {1, 2, 2, 3}).has_value());
  c.save(cache_path_, /*force=*/true);
  std::string text = *util::read_file(cache_path_);
  ASSERT_EQ(text.size(), kHashCacheHeaderSize);  // a header and nothing else
  EXPECT_EQ(text.substr(0, 16), "wrapp-hash-cache");
  EXPECT_EQ(load().size(), 0u);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(HashCacheTest, RoundTripThroughTheTable) {
  HashCache c;
  // Any bytes but NUL-free... and even NUL: a key is bytes, not text.
  const std::vector<std::string> paths = {"/plain/file.usd", "/with space/ü nicode/日本.usda",
                                          "/quote\"back\\slash", "/ctrl\n\t\x01/x", std::string("/bad\xff\xfe"),
                                          std::string("/nul\0inside", 11)};
  for (size_t i = 0; i < paths.size(); ++i) {
    c.insert(paths[i], {100 + i, -5 + static_cast<int64_t>(i) * 1'000'000'007LL, -7 + static_cast<int64_t>(i), 7000 + i},
             hash_of(paths[i]));
  }
  c.insert("/big", {UINT64_MAX, INT64_MAX, INT64_MAX, UINT64_MAX}, hash_of("big"));
  c.insert("/neg", {0, INT64_MIN, INT64_MIN, 0}, hash_of(""));
  EXPECT_TRUE(c.dirty());
  c.save(cache_path_);
  EXPECT_FALSE(c.dirty());
  HashCache back = load();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_FALSE(back.dirty());
  EXPECT_EQ(back.size(), paths.size() + 2);
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(back.lookup(paths[i], {100 + i, -5 + static_cast<int64_t>(i) * 1'000'000'007LL, -7 + static_cast<int64_t>(i), 7000 + i}),
              hash_of(paths[i]))
        << paths[i];
  }
  EXPECT_EQ(back.lookup("/big", {UINT64_MAX, INT64_MAX, INT64_MAX, UINT64_MAX}), hash_of("big"));
  EXPECT_EQ(back.lookup("/neg", {0, INT64_MIN, INT64_MIN, 0}), hash_of(""));
  std::vector<std::string> sorted = keys(back);
  EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
}

// The layout of docs/formats.md, read here byte by byte (the e2e tests read
// it again in Python).
TEST_F(HashCacheTest, TheTableHasTheDocumentedLayout) {
  HashCache c;
  c.insert("/b", {5, 6, 7, 8}, hash_of("b"));
  c.insert("/a/x", {1, -2, 3, 4}, hash_of("a"));
  c.save(cache_path_);
  std::string t = *util::read_file(cache_path_);
  auto u32 = [&](size_t at) { uint32_t v; std::memcpy(&v, t.data() + at, 4); return v; };
  auto u64 = [&](size_t at) { uint64_t v; std::memcpy(&v, t.data() + at, 8); return v; };
  ASSERT_EQ(t.size(), 64u + 2 * 80 + 6);
  EXPECT_EQ(t.substr(0, 16), "wrapp-hash-cache");
  EXPECT_EQ(u32(16), 2u);
  EXPECT_EQ(u32(20), 80u);
  EXPECT_EQ(u64(24), 2u);
  EXPECT_EQ(u64(32), 6u);
  EXPECT_EQ(t.substr(40, 24), std::string(24, '\0'));
  // "/a/x" sorts first.
  EXPECT_EQ(u64(64), 1u);
  EXPECT_EQ(static_cast<int64_t>(u64(72)), -2);
  EXPECT_EQ(u64(80), 3u);
  EXPECT_EQ(u64(88), 4u);
  EXPECT_EQ(format_hash(*[&] { Digest d; std::memcpy(d.data(), t.data() + 96, 32); return std::optional(d); }()),
            hash_of("a"));
  EXPECT_EQ(u64(128), 0u);  // name offset
  EXPECT_EQ(u32(136), 4u);  // name length
  EXPECT_GT(u32(140), 1'700'000'000u);  // last used: the save's time
  EXPECT_EQ(u64(144 + 64), 4u);
  EXPECT_EQ(u32(144 + 72), 2u);
  EXPECT_EQ(t.substr(224), "/a/x/b");
}

TEST_F(HashCacheTest, AVersion1JsonCacheIsReadAndSavedAsATable) {
  const std::string h = hash_of("x");
  HashCache c = load_clean("{\"format\": \"wrapp-hash-cache\", \"version\": 1, \"entries\": {"
                           "\"/a\": {\"size\": 1, \"mtime_ns\": 2, \"ctime_ns\": 3, \"inode\": 4, \"hash\": \"" + h + "\"}}}");
  EXPECT_EQ(c.lookup("/a", {1, 2, 3, 4}), ContentHash(h));
  EXPECT_TRUE(c.dirty()) << "so that it is saved as a table";
  c.save(cache_path_);
  EXPECT_TRUE(HashCacheFile::has_magic(*util::read_file(cache_path_)));
  HashCache back = load();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(back.lookup("/a", {1, 2, 3, 4}), ContentHash(h));
}

TEST_F(HashCacheTest, MismatchOnSizeMtimeOrInode) {
  HashCache c;
  c.insert("/f", {10, 20, 20, 30}, hash_of("f"));
  EXPECT_EQ(c.lookup("/f", {10, 20, 20, 30}), hash_of("f"));
  EXPECT_FALSE(c.lookup("/f", {11, 20, 20, 30}).has_value()) << "size";
  EXPECT_FALSE(c.lookup("/f", {10, 21, 20, 30}).has_value()) << "mtime_ns";
  EXPECT_FALSE(c.lookup("/f", {10, 20, 21, 30}).has_value()) << "ctime_ns: rewritten with its mtime set back";
  EXPECT_FALSE(c.lookup("/f", {10, 20, 20, 31}).has_value()) << "inode";
  EXPECT_FALSE(c.lookup("/g", {10, 20, 20, 30}).has_value()) << "path";
  // Replacing an entry replaces the identity too.
  c.insert("/f", {10, 25, 25, 30}, hash_of("f2"));
  EXPECT_FALSE(c.lookup("/f", {10, 20, 20, 30}).has_value());
  EXPECT_EQ(c.lookup("/f", {10, 25, 25, 30}), hash_of("f2"));
}

TEST_F(HashCacheTest, InsertRejectsInvalidHash) {
  HashCache c;
  EXPECT_THROW(c.insert("/f", {1, 1, 1, 1}, "sha-256-flat;1048576;abc"), FailedCommand);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.dirty());
}

TEST_F(HashCacheTest, DirtyTracking) {
  HashCache c;
  EXPECT_FALSE(c.dirty());
  c.insert("/f", {1, 1, 1, 1}, hash_of("x"));
  EXPECT_TRUE(c.dirty());
  c.save(cache_path_);
  EXPECT_FALSE(c.dirty());
  c.insert("/f", {1, 1, 1, 1}, hash_of("x"));  // identical: no change
  EXPECT_FALSE(c.dirty());

  HashCache loaded = load();
  EXPECT_FALSE(loaded.dirty());
  fs::remove(cache_path_);
  loaded.save(cache_path_);  // clean: nothing written
  EXPECT_FALSE(fs::exists(cache_path_));
  loaded.save(cache_path_, /*force=*/true);
  EXPECT_TRUE(fs::exists(cache_path_));
}

TEST_F(HashCacheTest, AbsentFileIsEmptyWithoutWarning) {
  HashCache c = load();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.dirty());
}

TEST_F(HashCacheTest, CorruptJsonIgnoredWithWarning) {
  for (std::string_view bad : {std::string_view("{\"format\": \"wrapp-hash-cache\", \"version\": 1, \"entries\": {"),
                               std::string_view(""),
                               std::string_view("{\"format\": \"wrapp-hash-cache\", \"version\": 1, "
                                                "\"entries\": {}} trailing")}) {
    write(bad);
    HashCache c = load();
    EXPECT_EQ(c.size(), 0u) << bad;
    ASSERT_EQ(warnings_.size(), 1u) << bad;
    EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
    EXPECT_NE(warnings_[0].find("JSON"), std::string::npos) << warnings_[0];
    EXPECT_TRUE(c.dirty()) << "a corrupt file is replaced on the next save";
  }
  load_text("{");
  EXPECT_EQ(warnings_.size(), 1u);
}

// A file that is not a wrapp hash cache may be anything the user pointed at
// by mistake: it is reported, never trusted, and never overwritten.
TEST_F(HashCacheTest, ForeignFileIsLeftUntouched) {
  write("not json at all");
  HashCache c = load();
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("left untouched"), std::string::npos) << warnings_[0];
  c.insert("/a", {1, 1, 1, 1}, hash_of("x"));
  c.save(cache_path_);
  std::ifstream in(cache_path_);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not json at all");
}

TEST_F(HashCacheTest, ForeignJsonIgnored) {
  const std::string h = hash_of("x");
  for (const std::string& foreign : std::vector<std::string>{
           "{\"format\": \"something-else\", \"version\": 1, \"entries\": {}}",
           "{\"version\": 1, \"entries\": {\"/a\": {\"size\": 1, \"mtime_ns\": 1, \"ctime_ns\": 1, \"inode\": 1, \"hash\": \"" + h + "\"}}}",
           "{\"format\": \"wrapp-hash-cache\", \"entries\": {}}",
           "{\"format\": \"wrapp-hash-cache\", \"version\": 1}",
           "{\"format\": \"wrapp-hash-cache\", \"version\": 1, \"entries\": []}",
           "{\"format\": \"wrapp-hash-cache\", \"version\": \"1\", \"entries\": {}}",
           "{\"format\": 5, \"version\": 1, \"entries\": {}}",
           "[1, 2, 3]", "42", "{}"}) {
    write(foreign);
    HashCache c = load();
    EXPECT_EQ(c.size(), 0u) << foreign;
    ASSERT_EQ(warnings_.size(), 1u) << foreign;
    EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
  }
}

TEST_F(HashCacheTest, NewerVersionIgnored) {
  const std::string h = hash_of("x");
  write("{\"format\": \"wrapp-hash-cache\", \"version\": 2, \"entries\": {\"/a\": "
        "{\"size\": 1, \"mtime_ns\": 1, \"ctime_ns\": 1, \"inode\": 1, \"hash\": \"" + h + "\"}}}");
  HashCache c = load();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_FALSE(c.lookup("/a", {1, 1, 1, 1}).has_value());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("version 2"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
  // Version 0 is not trusted either.
  load_text("{\"format\": \"wrapp-hash-cache\", \"version\": 0, \"entries\": {}}");
  EXPECT_EQ(warnings_.size(), 1u);
}

TEST_F(HashCacheTest, PickleIgnoredWithWarning) {
  for (char proto : {'\x04', '\x05'}) {
    std::string pickle = std::string("\x80") + proto + "\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.";
    write(pickle);
    HashCache c = load();
    EXPECT_EQ(c.size(), 0u);
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_NE(warnings_[0].find("pickle"), std::string::npos) << warnings_[0];
    EXPECT_NE(warnings_[0].find("left untouched"), std::string::npos) << warnings_[0];
    EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
    // Rejected, not converted: the legacy file stays as it is.
    c.insert("/a", {1, 1, 1, 1}, hash_of("x"));
    c.save(cache_path_);
    HashCache again = load();
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_NE(warnings_[0].find("pickle"), std::string::npos) << warnings_[0];
  }
}

TEST_F(HashCacheTest, UnreadableFileIgnoredWithWarning) {
  fs::create_directory(cache_path_);  // reading a directory fails
  HashCache c = load();
  EXPECT_EQ(c.size(), 0u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
}

TEST_F(HashCacheTest, InvalidEntriesDropped) {
  const std::string h = hash_of("x");
  std::string text = "{\"format\": \"wrapp-hash-cache\", \"version\": 1, \"extra\": {\"a\": [1, {}]}, \"entries\": {"
                     "\"/good\": {\"size\": 1, \"mtime_ns\": -2, \"ctime_ns\": -2, \"inode\": 3, \"hash\": \"" + h + "\", \"note\": [1]},"
                     "\"/upper\": {\"size\": 1, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"" + h.substr(0, h.size() - 1) + "A\"},"
                     "\"/short\": {\"size\": 1, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"sha-256-flat;1048576;00\"},"
                     "\"/nohash\": {\"size\": 1, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3},"
                     "\"/negsize\": {\"size\": -1, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"" + h + "\"},"
                     "\"/float\": {\"size\": 1.5, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"" + h + "\"},"
                     "\"/strsize\": {\"size\": \"1\", \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"" + h + "\"},"
                     "\"/bigmtime\": {\"size\": 1, \"mtime_ns\": 9223372036854775808, \"ctime_ns\": 2, \"inode\": 3, \"hash\": \"" + h + "\"},"
                     "\"/objhash\": {\"size\": 1, \"mtime_ns\": 2, \"ctime_ns\": 2, \"inode\": 3, \"hash\": {\"x\": 1}},"
                     "\"/array\": [1, 2],"
                     "\"/scalar\": 5,"
                     "\"/good2\": {\"hash\": \"" + h + "\", \"inode\": 0, \"mtime_ns\": 0, \"ctime_ns\": 0, \"size\": 0}"
                     "}}";
  HashCache c = load_clean(text);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.lookup("/good", {1, -2, -2, 3}), h);
  EXPECT_EQ(c.lookup("/good2", {0, 0, 0, 0}), h);
}

TEST_F(HashCacheTest, DeepNestingIsRefusedAndTheFileNotTrusted) {
  const std::string head = R"({"format": "wrapp-hash-cache", "version": 1, )";
  for (bool objects : {false, true}) {
    std::string deep = testing::nested_json(100000, objects);
    for (std::string text : {head + "\"entries\": {}, \"later\": " + deep + "}",
                             head + "\"entries\": {\"/a\": " + deep + "}}",
                             head + "\"entries\": {\"/a\": {\"size\": 1, \"x\": " + deep + "}}}",
                             testing::nested_json(100000, true), testing::nested_json(100000, false)}) {
      SCOPED_TRACE(text.substr(0, 90));
      // A warning naming the file and the cause, an empty cache.
      HashCache c = load_text(text);
      EXPECT_EQ(c.size(), 0u);
      ASSERT_EQ(warnings_.size(), 1u);
      EXPECT_NE(warnings_[0].find("invalid hash cache"), std::string::npos) << warnings_[0];
      // A top-level array is refused for being one, before any nesting.
      if (text[0] != '[') {
        EXPECT_NE(warnings_[0].find("nested deeper than 256 levels"), std::string::npos) << warnings_[0];
      }
      EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
      EXPECT_LT(warnings_[0].size(), 1500u);
    }
  }
}

TEST_F(HashCacheTest, NestingUpToTheBoundIsAccepted) {
  // Top-level object, entries object, entry object: 3 levels; 253 more fit.
  std::string h = hash_of("x");
  for (size_t inner : {size_t{253}, size_t{254}}) {
    std::string text = R"({"format": "wrapp-hash-cache", "version": 1, "entries": {"/a": {"size": 1, "mtime_ns": 2, "ctime_ns": 2, )"
                       R"("inode": 3, "hash": ")" + h + "\", \"x\": " + testing::nested_json(inner, false) + "}}}";
    HashCache c = load_text(text);
    if (inner == 253) {
      EXPECT_TRUE(warnings_.empty());
      EXPECT_EQ(c.lookup("/a", {1, 2, 2, 3}), ContentHash(h));
    } else {
      EXPECT_EQ(warnings_.size(), 1u);
    }
  }
}

TEST_F(HashCacheTest, FieldOrderAtTopLevelDoesNotMatter) {
  const std::string h = hash_of("x");
  HashCache c = load_clean(
      "{\"entries\": {\"/a\": {\"size\": 1, \"mtime_ns\": 1, \"ctime_ns\": 1, \"inode\": 1, \"hash\": \"" + h +
      "\"}}, \"version\": 1, \"format\": \"wrapp-hash-cache\"}");
  EXPECT_EQ(c.lookup("/a", {1, 1, 1, 1}), h);
}

TEST_F(HashCacheTest, AtomicSaveLeavesNoTempFiles) {
  HashCache c;
  for (int i = 0; i < 100; ++i) c.insert("/f" + std::to_string(i), {uint64_t(i), i, i, uint64_t(i)}, hash_of(std::to_string(i)));
  c.save(cache_path_);
  c.insert("/another", {1, 1, 1, 1}, hash_of("x"));
  c.save(cache_path_);
  c.save(cache_path_, /*force=*/true);
  // The lock file that saves take turns on stays (docs/formats.md).
  EXPECT_EQ(names(), (std::vector<std::string>{"hash_cache.json", "hash_cache.json.lock"}));
  EXPECT_EQ(load().size(), 101u);
}

TEST_F(HashCacheTest, ASaveKeepsWhatAnotherProcessSavedMeanwhile) {
  // Two commands load the same cache, each hashes other files, both save.
  HashCache first;
  first.insert("/shared", {1, 1, 1, 1}, hash_of("old"));
  first.save(cache_path_);
  HashCache a = load();
  HashCache b = load();
  a.insert("/a", {2, 2, 2, 2}, hash_of("a"));
  b.insert("/b", {3, 3, 3, 3}, hash_of("b"));
  b.insert("/shared", {4, 4, 4, 4}, hash_of("new"));
  a.save(cache_path_);
  b.save(cache_path_);
  HashCache merged = load();
  EXPECT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged.lookup("/a", {2, 2, 2, 2}), ContentHash(hash_of("a")));
  EXPECT_EQ(merged.lookup("/b", {3, 3, 3, 3}), ContentHash(hash_of("b")));
  EXPECT_EQ(merged.lookup("/shared", {4, 4, 4, 4}), ContentHash(hash_of("new")));  // the later save's
  // a saves again, after b: b's entries stay.
  a.insert("/a2", {5, 5, 5, 5}, hash_of("a2"));
  a.save(cache_path_);
  EXPECT_EQ(load().size(), 4u);
}

TEST_F(HashCacheTest, ConcurrentSavesFromManyCachesLoseNothing) {
  constexpr int kCaches = 6;
  std::vector<std::thread> threads;
  for (int t = 0; t < kCaches; ++t) {
    threads.emplace_back([&, t] {
      HashCache mine = load();
      for (int i = 0; i < 50; ++i) {
        mine.insert(fmt::format("/t{}/f{}", t, i), {uint64_t(i), i, i, uint64_t(t)}, hash_of(std::to_string(i)));
      }
      mine.save(cache_path_);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(load().size(), size_t{kCaches * 50});
}

TEST_F(HashCacheTest, ASaveCutsToTheBoundDroppingUnusedEntriesFirst) {
  HashCache old;
  for (int i = 0; i < 10; ++i) old.insert(fmt::format("/old{}", i), {1, 1, 1, uint64_t(i)}, hash_of("o"));
  old.save(cache_path_);
  HashCache c = load();
  c.set_max_entries(6);
  ASSERT_TRUE(c.lookup("/old3", {1, 1, 1, 3}));  // used by this process
  for (int i = 0; i < 4; ++i) c.insert(fmt::format("/new{}", i), {2, 2, 2, uint64_t(i)}, hash_of("n"));
  c.save(cache_path_);
  HashCache saved = load();
  EXPECT_EQ(saved.size(), 6u);
  EXPECT_TRUE(saved.lookup("/old3", {1, 1, 1, 3}));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(saved.lookup(fmt::format("/new{}", i), {2, 2, 2, uint64_t(i)})) << i;
}

TEST_F(HashCacheTest, SaveFailureKeepsDirtyAndThrowsStorageError) {
  HashCache c;
  c.insert("/f", {1, 1, 1, 1}, hash_of("x"));
  EXPECT_THROW(c.save(dir_ + "/missing-dir/cache.json"), StorageError);
  EXPECT_TRUE(c.dirty());
  EXPECT_TRUE(names().empty());
}

TEST_F(HashCacheTest, ConcurrentInsertAndLookup) {
  HashCache c;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::vector<std::string> hashes;
  for (int i = 0; i < 16; ++i) hashes.push_back(hash_of(std::to_string(i)));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string own = "/t" + std::to_string(t) + "/f" + std::to_string(i);
        c.insert(own, {uint64_t(i), t, t, uint64_t(i)}, hashes[i % 16]);
        if (c.lookup(own, {uint64_t(i), t, t, uint64_t(i)}) != hashes[i % 16]) ++wrong;
        // Shared paths, written by everyone with the same value.
        std::string shared = "/shared/" + std::to_string(i % 50);
        c.insert(shared, {1, 1, 1, 1}, hashes[0]);
        auto got = c.lookup(shared, {1, 1, 1, 1});
        if (got != hashes[0]) ++wrong;
        // Read another thread's entries (may or may not exist yet).
        std::string other = "/t" + std::to_string((t + 1) % kThreads) + "/f" + std::to_string(i);
        auto o = c.lookup(other, {uint64_t(i), (t + 1) % kThreads, (t + 1) % kThreads, uint64_t(i)});
        if (o && *o != hashes[i % 16]) ++wrong;
        if (i % 500 == 0) (void)c.size();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(c.size(), static_cast<size_t>(kThreads * kPerThread + 50));
  c.save(cache_path_);
  EXPECT_EQ(load().size(), c.size());
}

TEST_F(HashCacheTest, LargeCacheLoadsAndSavesQuickly) {
  // Linear work: 200,000 entries must take well under a few seconds.
  constexpr int kN = 200000;
  HashCache c;
  const std::string h = hash_of("x");
  for (int i = 0; i < kN; ++i) {
    c.insert("/some/reasonably/long/folder/name/file_" + std::to_string(i) + ".usd", {uint64_t(i), i * 1000LL, i * 1000LL, uint64_t(i)}, h);
  }
  auto t0 = std::chrono::steady_clock::now();
  c.save(cache_path_);
  HashCache back = load();
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(back.size(), static_cast<size_t>(kN));
  EXPECT_EQ(back.lookup("/some/reasonably/long/folder/name/file_12345.usd", {12345, 12345000LL, 12345000LL, 12345}), h);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
            5000 * testing::kSanitizerSlowdown);
}

TEST_F(HashCacheTest, MoveKeepsEntries) {
  HashCache a;
  a.insert("/m", {1, 2, 2, 3}, hash_of("m"));
  HashCache b = std::move(a);
  EXPECT_EQ(b.lookup("/m", {1, 2, 2, 3}), hash_of("m"));
  HashCache c;
  c = std::move(b);
  EXPECT_EQ(c.lookup("/m", {1, 2, 2, 3}), hash_of("m"));
}

// A table written by the tests themselves: the records sorted, or with
// !sorted the first and the last swapped in place.
void write_table(const std::string& path, std::vector<HashCacheRecord> records, bool sorted = true) {
  uint64_t pool = 0;
  for (auto& r : records) pool += r.name.size();
  // The writer refuses what is out of order: lay it out sorted, then swap
  // two records in place for the unsorted case.
  std::vector<HashCacheRecord> in_order = std::move(records);
  std::sort(in_order.begin(), in_order.end(), [](auto& a, auto& b) { return a.name < b.name; });
  write_hash_cache_file(path, in_order.size(), pool, [&](const auto& emit) {
    for (auto& r : in_order) emit(r);
  });
  if (!sorted && in_order.size() >= 2) {
    std::string t = *util::read_file(path);
    std::string first = t.substr(64, 80);
    t.replace(64, 80, t.substr(64 + 80 * (in_order.size() - 1), 80));
    t.replace(64 + 80 * (in_order.size() - 1), 80, first);
    util::write_file_atomically(path, t);
  }
}

Digest digest_of(const std::string& s) { return *parse_hash(hash_of(s)); }

TEST_F(HashCacheTest, WhatThisProcessStoredReplacesTheTablesEntry) {
  write_table(cache_path_, {{"/f", {1, 1, 1, 1}, digest_of("old"), 0}});
  HashCache c = load();
  EXPECT_EQ(c.lookup("/f", {1, 1, 1, 1}), ContentHash(hash_of("old")));
  c.insert("/f", {2, 2, 2, 2}, hash_of("new"));
  EXPECT_FALSE(c.lookup("/f", {1, 1, 1, 1})) << "the table's stale entry must not answer";
  EXPECT_EQ(c.lookup("/f", {2, 2, 2, 2}), ContentHash(hash_of("new")));
  EXPECT_EQ(c.size(), 1u);
  c.save(cache_path_);
  HashCache back = load();
  EXPECT_FALSE(back.lookup("/f", {1, 1, 1, 1}));
  EXPECT_EQ(back.lookup("/f", {2, 2, 2, 2}), ContentHash(hash_of("new")));
}

TEST_F(HashCacheTest, StoringWhatTheTableHoldsChangesNothing) {
  write_table(cache_path_, {{"/f", {1, 1, 1, 1}, digest_of("x"), 0}});
  HashCache c = load();
  c.insert("/f", {1, 1, 1, 1}, hash_of("x"));
  EXPECT_FALSE(c.dirty());
  c.insert("/f", {1, 1, 1, 1}, hash_of("y"));  // same stamp, another hash: stored
  EXPECT_TRUE(c.dirty());
  EXPECT_EQ(c.lookup("/f", {1, 1, 1, 1}), ContentHash(hash_of("y")));
}

TEST_F(HashCacheTest, ATableThatDoesNotAddUpIsReplaced) {
  write_table(cache_path_, {{"/f", {1, 1, 1, 1}, digest_of("x"), 0}});
  std::string good = *util::read_file(cache_path_);
  for (std::string bad : {good.substr(0, good.size() - 1), good + "z", good.substr(0, 40),
                          good.substr(0, 20).replace(16, 4, std::string("\1\0\0\0", 4)),
                          good.substr(0, 24).replace(20, 4, std::string("\x51\0\0\0", 4)) + good.substr(24)}) {
    SCOPED_TRACE(bad.size());
    HashCache c = load_text(bad);
    EXPECT_EQ(c.size(), 0u);
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_NE(warnings_[0].find("will be replaced"), std::string::npos) << warnings_[0];
    EXPECT_NE(warnings_[0].find(cache_path_), std::string::npos) << warnings_[0];
    c.insert("/g", {1, 1, 1, 1}, hash_of("g"));
    c.save(cache_path_);
    EXPECT_EQ(keys(load()), std::vector<std::string>{"/g"});
    EXPECT_TRUE(warnings_.empty());
  }
}

TEST_F(HashCacheTest, ANewerTableIsLeftUntouched) {
  write_table(cache_path_, {{"/f", {1, 1, 1, 1}, digest_of("x"), 0}});
  std::string newer = *util::read_file(cache_path_);
  newer[16] = 3;
  HashCache c = load_text(newer);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("version 3 is newer"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find("left untouched"), std::string::npos) << warnings_[0];
  EXPECT_FALSE(c.lookup("/f", {1, 1, 1, 1}));
  c.insert("/g", {1, 1, 1, 1}, hash_of("g"));
  c.save(cache_path_);
  EXPECT_EQ(*util::read_file(cache_path_), newer);
}

TEST_F(HashCacheTest, DamagedRecordsNeverAnswerAndASaveDropsThem) {
  write_table(cache_path_, {{"/a", {1, 1, 1, 1}, digest_of("a"), 0},
                            {"/b", {1, 1, 1, 1}, digest_of("b"), 0},
                            {"/c", {1, 1, 1, 1}, digest_of("c"), 0}});
  std::string t = *util::read_file(cache_path_);
  // Record 1 ("/b") gets a name offset past the pool.
  uint64_t far = 1000;
  std::memcpy(t.data() + 64 + 80 + 64, &far, 8);
  HashCache c = load_clean(t);
  EXPECT_FALSE(c.lookup("/b", {1, 1, 1, 1}));
  EXPECT_EQ(c.lookup("/a", {1, 1, 1, 1}), ContentHash(hash_of("a")));
  EXPECT_EQ(c.lookup("/c", {1, 1, 1, 1}), ContentHash(hash_of("c")));
  c.save(cache_path_, /*force=*/true);
  EXPECT_EQ(keys(load()), (std::vector<std::string>{"/a", "/c"}));
}

TEST_F(HashCacheTest, RecordsOutOfOrderOnlyMissAndASaveSortsThem) {
  std::vector<HashCacheRecord> records;
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) names.push_back(fmt::format("/k{}", i));
  for (auto& n : names) records.push_back({n, {1, 1, 1, 1}, digest_of(n), 0});
  write_table(cache_path_, records, /*sorted=*/false);  // first and last swapped
  HashCache c = load_clean(*util::read_file(cache_path_));
  for (auto& n : names) {
    auto hit = c.lookup(n, {1, 1, 1, 1});
    if (hit) {
      EXPECT_EQ(*hit, ContentHash(hash_of(n))) << n;  // a hit is always the key's own
    }
  }
  c.insert("/new", {1, 1, 1, 1}, hash_of("new"));
  c.save(cache_path_);
  std::vector<std::string> saved = keys(load());
  EXPECT_TRUE(std::is_sorted(saved.begin(), saved.end()));
  EXPECT_TRUE(std::find(saved.begin(), saved.end(), "/new") != saved.end());
  for (auto& n : saved) EXPECT_TRUE(load().lookup(n, {1, 1, 1, 1})) << n;
}

// The search skips the prefix its bounds share with the key: every key is
// still found, and no key that is a prefix, an extension or a neighbour of
// another is.
TEST_F(HashCacheTest, LookupsAmongKeysSharingLongPrefixes) {
  std::vector<std::string> keys_in;
  for (const char* top : {"/p/a", "/p/a/b", "/p/ab", "/p/a/b/c"}) {
    for (int i = 0; i < 40; ++i) keys_in.push_back(fmt::format("{}/f{:03}", top, i * 2));
    keys_in.push_back(top);
  }
  keys_in.push_back(std::string("/p/\xff"));
  HashCache c;
  for (auto& k : keys_in) c.insert(k, {1, 1, 1, 1}, hash_of(k));
  c.save(cache_path_);
  HashCache t = load();
  for (auto& k : keys_in) EXPECT_EQ(t.lookup(k, {1, 1, 1, 1}), ContentHash(hash_of(k))) << k;
  for (const std::string& absent : std::vector<std::string>{"/p", "/p/", "/p/a/", "/p/a/f001", "/p/a/f0", "/p/a/f0000", "/p/a/b/c/f079",
                             "/p/a/b/c/f080", "/p/ab/f", "/p/b", "/", "/q", std::string("/p/\xfe"),
                             std::string("/p/\xff\x01")}) {
    EXPECT_FALSE(t.lookup(absent, {1, 1, 1, 1})) << absent;
  }
}

// A lookup starts from where the thread's last one ended (HashCacheFile's
// finger): whatever the order of the lookups, and however they alternate
// between tables, every key is found and no other is.
TEST_F(HashCacheTest, LookupsInAnyOrderFromAnyTableFindEveryKeyAndNoOther) {
  std::vector<std::string> present, absent;
  for (int i = 0; i < 1500; ++i) {
    (i % 3 == 1 ? absent : present).push_back(fmt::format("/t/d{:02}/f{:05}", i / 100, i));
  }
  HashCache c;
  for (auto& k : present) c.insert(k, {1, 1, 1, 1}, hash_of(k));
  c.save(cache_path_);
  std::string other_path = cache_path_ + ".other";
  HashCache o;
  for (int i = 0; i < 300; ++i) o.insert(fmt::format("/t/d{:02}/f{:05}", i % 15, i * 5), {1, 1, 1, 1}, hash_of("o"));
  o.save(other_path);
  HashCache t = load();
  HashCache other = HashCache::load(other_path, [](const std::string&) {});
  std::vector<std::string> all = present;
  all.insert(all.end(), absent.begin(), absent.end());
  std::sort(all.begin(), all.end());
  auto check = [&](const std::string& k) {
    bool is_present = std::binary_search(present.begin(), present.end(), k);
    auto hit = t.lookup(k, {1, 1, 1, 1});
    if (is_present) {
      EXPECT_EQ(hit, ContentHash(hash_of(k))) << k;
    } else {
      EXPECT_FALSE(hit) << k;
    }
  };
  std::vector<std::vector<std::string>> orders;
  orders.push_back(all);                                   // ascending, hits and misses
  orders.push_back({all.rbegin(), all.rend()});            // descending
  for (size_t stride : {2u, 7u, 100u, 1000u}) {            // ascending with gaps, then wrapping
    std::vector<std::string> v;
    for (size_t start = 0; start < stride; ++start) {
      for (size_t i = start; i < all.size(); i += stride) v.push_back(all[i]);
    }
    orders.push_back(v);
  }
  std::vector<std::string> shuffled = all;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  orders.push_back(shuffled);
  for (auto& order : orders) {
    for (size_t i = 0; i < order.size(); ++i) {
      check(order[i]);
      // Another table searched between two lookups of this one moves
      // this thread's finger.
      if (i % 97 == 0) other.lookup(order[i], {1, 1, 1, 1});
    }
  }
  for (const std::string& beyond : {std::string("/a"), std::string("/t/d99"), std::string("/u"), std::string("/t/d00/f")}) {
    EXPECT_FALSE(t.lookup(beyond, {1, 1, 1, 1})) << beyond;
  }
  EXPECT_EQ(t.lookup(present.back(), {1, 1, 1, 1}), ContentHash(hash_of(present.back())));
  EXPECT_EQ(t.lookup(present.front(), {1, 1, 1, 1}), ContentHash(hash_of(present.front())));
}

TEST_F(HashCacheTest, TheBoundDropsTheLongestUnusedFirst) {
  // Ten entries, last used at times 100..109; this process uses /e0.
  std::vector<HashCacheRecord> records;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(fmt::format("/e{}", i));
  for (int i = 0; i < 10; ++i) records.push_back({names[i], {1, 1, 1, 1}, digest_of("x"), uint32_t(100 + (9 - i))});
  write_table(cache_path_, records);
  HashCache c = load();
  c.set_max_entries(5);
  ASSERT_TRUE(c.lookup("/e9", {1, 1, 1, 1}));  // the oldest, but used now
  c.insert("/new", {1, 1, 1, 1}, hash_of("n"));
  c.save(cache_path_);
  // Kept: the two used by this process, and the three unused ones used last
  // (e0 at 109, e1 at 108, e2 at 107).
  EXPECT_EQ(keys(load()), (std::vector<std::string>{"/e0", "/e1", "/e2", "/e9", "/new"}));
}

TEST_F(HashCacheTest, MoreUsedEntriesThanTheBoundKeepTheBound) {
  write_table(cache_path_, {{"/old", {1, 1, 1, 1}, digest_of("o"), 5}});
  HashCache c = load();
  c.set_max_entries(2);
  for (int i = 0; i < 3; ++i) c.insert(fmt::format("/u{}", i), {1, 1, 1, 1}, hash_of("u"));
  c.save(cache_path_);
  // Every unused entry goes, then used ones in key order until the bound holds.
  EXPECT_EQ(keys(load()), (std::vector<std::string>{"/u1", "/u2"}));
}

TEST_F(HashCacheTest, ASecondSaveKeepsWhatAnotherProcessSavedBetween) {
  HashCache a = load();
  a.insert("/a", {1, 1, 1, 1}, hash_of("a"));
  a.save(cache_path_);
  HashCache b = load();
  b.insert("/b", {1, 1, 1, 1}, hash_of("b"));
  b.save(cache_path_);
  a.insert("/a2", {1, 1, 1, 1}, hash_of("a2"));
  a.save(cache_path_);
  EXPECT_EQ(keys(load()), (std::vector<std::string>{"/a", "/a2", "/b"}));
}

TEST_F(HashCacheTest, ASaveElsewhereCarriesTheTableOver) {
  write_table(cache_path_, {{"/t", {1, 1, 1, 1}, digest_of("t"), 0}});
  HashCache c = load();
  c.insert("/o", {1, 1, 1, 1}, hash_of("o"));
  std::string other = dir_ + "/other";
  c.save(other);
  cache_path_ = other;
  EXPECT_EQ(keys(load()), (std::vector<std::string>{"/o", "/t"}));
}

TEST_F(HashCacheTest, ADeletedCacheIsNotBroughtBack) {
  HashCache first;
  first.insert("/old", {1, 1, 1, 1}, hash_of("o"));
  first.save(cache_path_);
  HashCache c = load();
  fs::remove(cache_path_);  // the user clears the cache while c runs
  c.insert("/new", {1, 1, 1, 1}, hash_of("n"));
  c.save(cache_path_);
  EXPECT_EQ(keys(load()), std::vector<std::string>{"/new"});
}

TEST_F(HashCacheTest, OpeningABigTableReadsNoEntry) {
  // 300,000 entries: opening maps the file and reads the header; a lookup
  // is a binary search. Loading the entries would take far longer.
  constexpr int kN = 300000;
  HashCache c;
  const std::string h = hash_of("x");
  for (int i = 0; i < kN; ++i) c.insert(fmt::format("/tree/{:07}.usd", i), {uint64_t(i), i, i, uint64_t(i)}, h);
  c.save(cache_path_);
  auto t0 = std::chrono::steady_clock::now();
  for (int round = 0; round < 100; ++round) {
    HashCache opened = load();
    ASSERT_EQ(opened.lookup(fmt::format("/tree/{:07}.usd", round * 7), {uint64_t(round * 7), round * 7, round * 7, uint64_t(round * 7)}),
              ContentHash(h));
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_LT(elapsed.count(), 1000 * testing::kSanitizerSlowdown) << "100 opens of a 300,000-entry cache";
}

}  // namespace
}  // namespace wrapp::model
