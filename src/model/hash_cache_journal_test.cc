// The hash cache's journal: saves that append instead of rewriting a big
// table, what a load reads back, torn and damaged tails, several processes,
// and when the table is rewritten (model/hash_cache_journal.h). The policy's
// sizes are lowered so that small caches take the journal's path.
#include "model/hash_cache_journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/hash.h"
#include "model/hash_cache.h"
#include "util/atomic_file.h"
#include "util/test_dir.h"

namespace wrapp::model {
namespace {

namespace fs = std::filesystem;

ContentHash hash_of(const std::string& s) { return ContentHash(flat_hash(s.data(), s.size())); }
FileStamp stamp(uint64_t n) { return {n, static_cast<int64_t>(n) * 10, static_cast<int64_t>(n) * 20, n + 7}; }

class HashCacheJournalTest : public ::testing::Test {
 protected:
  // A cache loaded from path_ that appends above any table size, with a
  // journal of at most `limit` bytes.
  HashCache open(uint64_t limit = 1 << 20) {
    warnings_.clear();
    HashCache c = HashCache::load(path_, [this](const std::string& w) { warnings_.push_back(w); });
    c.set_journal_policy(0, limit);
    return c;
  }
  // A table of `n` entries "/t/0".. at path_, and what it is on disk.
  void make_table(int n) {
    HashCache c = open();
    for (int i = 0; i < n; ++i) c.insert("/t/" + std::to_string(i), stamp(i), hash_of(std::to_string(i)));
    c.save(path_, /*force=*/true);
    table_bytes_ = read_bytes(path_);
  }
  // What one command stores: `key` with stamp(n) and the hash of `content`.
  void store(const std::string& key, uint64_t n, const std::string& content) {
    HashCache c = open();
    c.insert(key, stamp(n), hash_of(content));
    c.save(path_);
  }
  static std::string read_bytes(const std::string& path) { return util::read_file(path).value_or("<absent>"); }
  bool hits(const HashCache& c, const std::string& key, uint64_t n, const std::string& content) {
    auto got = c.lookup(key, stamp(n));
    return got && *got == hash_of(content);
  }
  std::string journal() const { return journal_path(path_); }

  wrapp::testing::TempDir dir_{"hash-cache-journal"};
  std::string path_ = dir_ / "hash-cache";
  std::string table_bytes_;
  std::vector<std::string> warnings_;
};

TEST_F(HashCacheJournalTest, ASaveAppendsAndLeavesTheTableAsItWas) {
  make_table(3);
  HashCache c = open();
  EXPECT_TRUE(hits(c, "/t/1", 1, "1"));
  c.insert("/new", stamp(100), hash_of("new"));
  c.insert("/t/2", stamp(200), hash_of("changed"));  // replaces the table's entry
  c.save(path_);
  EXPECT_FALSE(c.dirty());
  EXPECT_EQ(read_bytes(path_), table_bytes_) << "the table was rewritten";
  ASSERT_TRUE(fs::exists(journal()));
  auto j = read_hash_cache_journal(journal());
  ASSERT_TRUE(j);
  EXPECT_EQ(j->records.size(), 2u);
  EXPECT_EQ(j->valid_bytes, j->file_bytes);

  HashCache again = open();
  EXPECT_TRUE(warnings_.empty());
  EXPECT_TRUE(hits(again, "/new", 100, "new"));
  EXPECT_TRUE(hits(again, "/t/2", 200, "changed"));
  EXPECT_FALSE(again.lookup("/t/2", stamp(2))) << "the journal's record replaces the table's";
  EXPECT_TRUE(hits(again, "/t/0", 0, "0"));
  EXPECT_EQ(again.size(), 4u);
  // Nothing new: nothing written, not even what the journal holds.
  again.insert("/new", stamp(100), hash_of("new"));
  EXPECT_FALSE(again.dirty());
}

TEST_F(HashCacheJournalTest, ALaterRecordReplacesAnEarlierOne) {
  make_table(1);
  for (uint64_t n : {1, 2, 3}) store("/k", n, std::to_string(n) + "v");
  EXPECT_EQ(read_hash_cache_journal(journal())->records.size(), 3u);
  HashCache c = open();
  EXPECT_TRUE(hits(c, "/k", 3, "3v"));
  EXPECT_FALSE(c.lookup("/k", stamp(1)));
  EXPECT_EQ(c.size(), 2u);
}

TEST_F(HashCacheJournalTest, AJournalPastItsBoundIsMergedIntoANewTable) {
  make_table(2);
  store("/a", 10, "a");
  uint64_t one_record = read_hash_cache_journal(journal())->valid_bytes;
  HashCache c = open(/*limit=*/one_record + 10);  // no room for one more record
  c.insert("/b", stamp(11), hash_of("b"));
  c.save(path_);
  EXPECT_FALSE(fs::exists(journal())) << "a merged journal is removed";
  EXPECT_NE(read_bytes(path_), table_bytes_);
  HashCache again = open();
  EXPECT_EQ(again.size(), 4u);
  EXPECT_TRUE(hits(again, "/a", 10, "a"));
  EXPECT_TRUE(hits(again, "/b", 11, "b"));
}

TEST_F(HashCacheJournalTest, TheJournalGrowsAsTheSquareRootOfTheTable) {
  // Every command reads the journal, and each rewrite writes the table: the
  // journal is merged once it would pass sqrt(4 KiB x table).
  make_table(20000);
  const double bound = std::sqrt(static_cast<double>(table_bytes_.size()) * 4096.0);
  uint64_t largest = 0;
  for (int command = 0; command < 200 && (command == 0 || fs::exists(journal())); ++command) {
    HashCache c = open();
    for (int i = 0; i < 20; ++i) {
      int n = command * 20 + i;
      c.insert("/stored/" + std::to_string(n), stamp(100000 + n), hash_of(std::to_string(n)));
    }
    c.save(path_);
    if (fs::exists(journal())) largest = std::max<uint64_t>(largest, fs::file_size(journal()));
  }
  EXPECT_FALSE(fs::exists(journal())) << "never merged";
  EXPECT_LE(static_cast<double>(largest), bound);
  EXPECT_GT(static_cast<double>(largest), bound - 20 * 200) << "merged long before the bound";
  EXPECT_LT(bound, static_cast<double>(table_bytes_.size()) / 8) << "the bound an eighth of the table gave";
}

TEST_F(HashCacheJournalTest, SmallTablesAreRewrittenAsBefore) {
  make_table(2);
  HashCache c = HashCache::load(path_, [](const std::string&) {});  // the default policy
  c.insert("/a", stamp(10), hash_of("a"));
  c.save(path_);
  EXPECT_FALSE(fs::exists(journal()));
  EXPECT_NE(read_bytes(path_), table_bytes_);
}

TEST_F(HashCacheJournalTest, ATornTailIsIgnoredThenCut) {
  make_table(1);
  for (const char* key : {"/a", "/b"}) store(key, 5, key);
  uint64_t whole = fs::file_size(journal());
  fs::resize_file(journal(), whole - 3);  // the last record torn by a crash
  auto measured = read_hash_cache_journal(journal(), /*with_records=*/false);
  EXPECT_TRUE(measured->records.empty());
  EXPECT_EQ(measured->valid_bytes, read_hash_cache_journal(journal())->valid_bytes);
  EXPECT_LT(measured->valid_bytes, measured->file_bytes);
  {
    HashCache c = open();
    EXPECT_TRUE(warnings_.empty());
    EXPECT_TRUE(hits(c, "/a", 5, "/a"));
    EXPECT_FALSE(c.lookup("/b", stamp(5)));
    c.insert("/c", stamp(6), hash_of("/c"));
    c.save(path_);
  }
  auto j = read_hash_cache_journal(journal());
  EXPECT_EQ(j->valid_bytes, j->file_bytes) << "the torn record was cut before the append";
  HashCache c = open();
  EXPECT_TRUE(hits(c, "/a", 5, "/a"));
  EXPECT_TRUE(hits(c, "/c", 6, "/c"));
}

TEST_F(HashCacheJournalTest, ReadingStopsAtADamagedRecord) {
  make_table(1);
  {
    HashCache c = open();
    c.insert("/a", stamp(5), hash_of("/a"));
    c.insert("/b", stamp(6), hash_of("/b"));
    c.save(path_);
  }
  std::string bytes = read_bytes(journal());
  bytes[kHashCacheJournalHeaderSize + 40] ^= 0x01;  // in the first record's hash
  util::write_file_atomically(journal(), bytes);
  auto j = read_hash_cache_journal(journal());
  EXPECT_TRUE(j->records.empty()) << "a record that fails its check, and all after it, are not read";
  EXPECT_EQ(j->valid_bytes, kHashCacheJournalHeaderSize);
  HashCache again = open();
  EXPECT_FALSE(again.lookup("/a", stamp(5)));
  EXPECT_FALSE(again.lookup("/b", stamp(6)));
}

TEST_F(HashCacheJournalTest, AForeignOrLinkedJournalIsNeverTrusted) {
  make_table(1);
  util::write_file_atomically(journal(), "not a journal at all, and long enough for a header");
  HashCache c = open();
  EXPECT_EQ(c.size(), 1u);
  c.insert("/a", stamp(5), hash_of("/a"));
  c.save(path_);  // replaces it with a journal of its own
  EXPECT_TRUE(hits(open(), "/a", 5, "/a"));

  // A symbolic link in its place is not followed, read or written through.
  std::string target = dir_ / "elsewhere";
  util::write_file_atomically(target, "precious");
  fs::remove(journal());
  fs::create_symlink(target, journal());
  HashCache linked = open();
  EXPECT_EQ(warnings_.size(), 1u);
  linked.insert("/b", stamp(6), hash_of("/b"));
  linked.save(path_);  // rewrites the table and removes the link
  EXPECT_EQ(read_bytes(target), "precious");
  EXPECT_FALSE(fs::is_symlink(journal()));
  HashCache again = open();
  EXPECT_TRUE(hits(again, "/b", 6, "/b"));
}

TEST_F(HashCacheJournalTest, TwoProcessesAppendingLoseNothing) {
  make_table(1);
  HashCache one = open(), two = open();
  one.insert("/one", stamp(1), hash_of("one"));
  two.insert("/two", stamp(2), hash_of("two"));
  one.save(path_);
  two.save(path_);
  HashCache c = open();
  EXPECT_TRUE(hits(c, "/one", 1, "one"));
  EXPECT_TRUE(hits(c, "/two", 2, "two"));
  EXPECT_EQ(read_bytes(path_), table_bytes_);
}

TEST_F(HashCacheJournalTest, AnAppendAfterAnotherProcessRewroteTheTableKeepsBoth) {
  make_table(1);
  store("/old", 1, "old");
  HashCache reader = open();  // read the journal with "/old"
  HashCache writer = open();
  writer.insert("/w", stamp(2), hash_of("w"));
  writer.save(path_, /*force=*/true);  // a new table: "/old" merged, the journal removed
  EXPECT_FALSE(fs::exists(journal()));
  reader.insert("/r", stamp(3), hash_of("r"));
  reader.save(path_);  // appends only "/r": "/old" is in the new table
  EXPECT_EQ(read_hash_cache_journal(journal())->records.size(), 1u);
  HashCache c = open();
  EXPECT_TRUE(hits(c, "/old", 1, "old"));
  EXPECT_TRUE(hits(c, "/w", 2, "w"));
  EXPECT_TRUE(hits(c, "/r", 3, "r"));
}

TEST_F(HashCacheJournalTest, ASaveElsewhereCarriesTheJournalOver) {
  make_table(1);
  store("/j", 4, "j");
  HashCache c = open();
  std::string other = dir_ / "other-cache";
  c.save(other, /*force=*/true);
  HashCache copy = HashCache::load(other, [](const std::string&) {});
  EXPECT_TRUE(hits(copy, "/j", 4, "j"));
  EXPECT_TRUE(hits(copy, "/t/0", 0, "0"));
}

}  // namespace
}  // namespace wrapp::model
