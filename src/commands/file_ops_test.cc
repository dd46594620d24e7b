#include "commands/file_ops.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/test_data.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "exec/scheduler.h"
#include "model/hash.h"
#include "model/hash_cache.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::commands {
namespace {

namespace fs = std::filesystem;
using storage::Url;

constexpr size_t kMiB = 1024 * 1024;

// Deterministic pseudo-random bytes (splitmix64), different per seed.
using wrapp::testing::pattern;

// 70 MiB + 3: more than two 32 MiB segments and a partial last chunk.
const std::string& big_data() {
  static const std::string data = pattern(70 * kMiB + 3, 70);
  return data;
}
const std::string& big_hash() {
  static const std::string hash = model::flat_hash(big_data().data(), big_data().size());
  return hash;
}

class FileOpsTest : public ::testing::Test {
 protected:
  FileOpsTest()
      : scheduler_(exec::SchedulerOptions{.jobs = 8, .file_transfer_jobs = 3, .cpu_threads = 2}),
        ctx_{scheduler_, resolver_, &cache_} {}

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "wrapp-fileops-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }
  Url url(const std::string& rel) const { return Url::from_local_path(path(rel)); }

  void write(const std::string& rel, const std::string& data) {
    fs::create_directories(fs::path(path(rel)).parent_path());
    std::ofstream out(path(rel), std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    ASSERT_TRUE(out) << rel;
  }
  std::string read(const std::string& rel) {
    std::ifstream in(path(rel), std::ios::binary);
    if (!in) return "<absent>";
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  storage::FileInfo info(const std::string& rel) {
    auto i = ctx_.store(url(rel)).stat(url(rel));
    EXPECT_TRUE(i) << rel;
    return i.value_or(storage::FileInfo{});
  }
  ino_t inode(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(::stat(path(rel).c_str(), &st), 0) << rel;
    return st.st_ino;
  }
  // Regular files below `rel` (recursive), relative to it.
  std::vector<std::string> files_below(const std::string& rel) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path(rel), ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file()) out.push_back(fs::relative(it->path(), path(rel)).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::optional<std::string> cached(const std::string& rel) {
    auto i = info(rel);
    auto hit = cache_.lookup(path(rel), stamp_of(i));
    return hit ? std::optional<std::string>(hit->str()) : std::nullopt;
  }

  // Links `from` as installed/<to> through link_objects; whether it was linked.
  bool link_one(const std::string& from, const std::string& to, const std::string& hash, LinkMode mode,
                bool overwrite = false) {
    Url source = url(from);
    model::ContentHash content(hash);
    storage::WriteOptions options;
    options.overwrite = overwrite;
    std::vector<LinkItem> items{{&source, to, info(from).size, &content}};
    return link_objects(ctx_, url("installed"), items, mode, options, nullptr).at(0) != 0;
  }
  CopyRequest request(const std::string& from, const std::string& to, const std::string& expected = "") {
    CopyRequest r;
    r.from = url(from);
    r.to = url(to);
    r.size = info(from).size;
    r.expected_hash = expected;
    return r;
  }

  exec::Scheduler scheduler_;
  model::HashCache cache_;
  storage::Resolver resolver_;
  CommandContext ctx_;
  std::string dir_;
};

TEST_F(FileOpsTest, LinkModeNames) {
  EXPECT_EQ(parse_link_mode("copy"), LinkMode::kCopy);
  EXPECT_EQ(parse_link_mode("hardlink"), LinkMode::kHardlink);
  EXPECT_EQ(parse_link_mode("reflink"), LinkMode::kReflink);
  EXPECT_THROW(parse_link_mode("symlink"), FailedCommand);
  EXPECT_THROW(parse_link_mode(""), FailedCommand);
  for (LinkMode m : {LinkMode::kCopy, LinkMode::kHardlink, LinkMode::kReflink}) {
    EXPECT_EQ(parse_link_mode(link_mode_name(m)), m);
  }
}

TEST_F(FileOpsTest, HashObjectEqualsFlatHash) {
  for (size_t size : {size_t{0}, size_t{1}, kMiB - 1, kMiB, kMiB + 1, 3 * kMiB + 12345}) {
    SCOPED_TRACE(size);
    std::string data = pattern(size, size);
    std::string rel = "h";
    rel += std::to_string(size);
    write(rel, data);
    CommandContext no_cache{scheduler_, resolver_};
    auto& job = scheduler_.sub_job("hash " + rel);
    std::string expected = model::flat_hash(data.data(), data.size());
    EXPECT_EQ(hash_object(no_cache, url(rel), info(rel), &job), expected);
    EXPECT_EQ(job.done_bytes(), size);
    EXPECT_EQ(hash_object(ctx_, url(rel), info(rel), nullptr), expected);
  }
  EXPECT_EQ(hash_object(ctx_, url("h0"), info("h0"), nullptr),
            "sha-256-flat;1048576;e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(FileOpsTest, HashObjectOfALargeFileUsesParallelSegments) {
  write("big", big_data());
  CommandContext no_cache{scheduler_, resolver_};
  auto& job = scheduler_.sub_job("hash big");
  EXPECT_EQ(hash_object(no_cache, url("big"), info("big"), &job), big_hash());
  EXPECT_EQ(job.done_bytes(), big_data().size());
}

TEST_F(FileOpsTest, HashCacheIsFedThenUsed) {
  std::string data = pattern(3 * kMiB + 7, 11);
  write("f", data);
  std::string h1 = hash_object(ctx_, url("f"), info("f"), nullptr).str();
  EXPECT_EQ(h1, model::flat_hash(data.data(), data.size()));
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_EQ(cached("f"), h1);

  // An unchanged file is answered from the cache: a planted value proves
  // that nothing was read.
  std::string planted = model::flat_hash("planted", 7);
  cache_.insert(path("f"), stamp_of(info("f")), planted);
  auto& job = scheduler_.sub_job("cached");
  EXPECT_EQ(hash_object(ctx_, url("f"), info("f"), &job).str(), planted) << "the cache was not consulted";
  EXPECT_EQ(job.done_bytes(), data.size()) << "a cache hit still counts as progress";
  cache_.insert(path("f"), stamp_of(info("f")), h1);

  // Change the bytes in place while keeping size, inode and mtime: the
  // ctime still moves, so the cache must not answer with the old hash.
  struct stat before {};
  ASSERT_EQ(::stat(path("f").c_str(), &before), 0);
  std::string other = pattern(data.size(), 12);
  {
    int fd = ::open(path("f").c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
    ::close(fd);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, path("f").c_str(), times, 0), 0);
  }
  storage::FileInfo same = info("f");
  ASSERT_EQ(same.mtime_ns, static_cast<int64_t>(before.st_mtim.tv_sec) * 1000000000 + before.st_mtim.tv_nsec);
  ASSERT_EQ(same.inode, before.st_ino);
  EXPECT_EQ(hash_object(ctx_, url("f"), same, nullptr), model::flat_hash(other.data(), other.size()))
      << "a file rewritten with its mtime set back was answered from the cache";
  h1 = model::flat_hash(other.data(), other.size());
  CommandContext no_cache{scheduler_, resolver_};
  EXPECT_EQ(hash_object(no_cache, url("f"), same, nullptr), h1);

  // A new mtime invalidates the entry; the fresh hash replaces it.
  struct timespec later[2] = {before.st_atim, before.st_mtim};
  later[1].tv_sec += 10;
  ASSERT_EQ(::utimensat(AT_FDCWD, path("f").c_str(), later, 0), 0);
  std::string h2 = hash_object(ctx_, url("f"), info("f"), nullptr).str();
  EXPECT_EQ(h2, model::flat_hash(other.data(), other.size()));
  EXPECT_EQ(cached("f"), h2);
  EXPECT_EQ(cache_.size(), 1u);
}

// Objects without a local identity are cached by URL and ETag: a planted
// value answers while the object is unchanged, and a replacement (a new
// ETag, even at the same size) is read again.
TEST_F(FileOpsTest, HashCacheKeysObjectsByUrlAndEtag) {
  auto store = storage::register_memory_store("etag-cache");
  Url object = Url::parse("mem://etag-cache/dir/f");
  std::string data = pattern(100000, 21);
  storage::write_all(*store, object, data, {});
  storage::FileInfo before = *store->stat(object);
  auto key = hash_cache_key(*store, object, before);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->key, "mem://etag-cache/dir/f");
  EXPECT_EQ(key->stamp.size, data.size());
  EXPECT_NE(key->stamp.inode, 0u);
  EXPECT_EQ(hash_object(ctx_, object, before, nullptr), model::flat_hash(data.data(), data.size()));
  EXPECT_EQ(cache_.lookup(key->key, key->stamp), model::ContentHash(model::flat_hash(data.data(), data.size())));

  std::string planted = model::flat_hash("planted", 7);
  cache_.insert(key->key, key->stamp, planted);
  EXPECT_EQ(hash_object(ctx_, object, before, nullptr).str(), planted) << "the cache was not consulted";

  std::string other = pattern(data.size(), 22);
  storage::write_all(*store, object, other, storage::WriteOptions{.overwrite = true});
  storage::FileInfo after = *store->stat(object);
  ASSERT_NE(after.etag, before.etag);
  EXPECT_NE(hash_cache_key(*store, object, after), key);
  EXPECT_EQ(hash_object(ctx_, object, after, nullptr), model::flat_hash(other.data(), other.size()))
      << "a replaced object was answered from the cache";

  // No ETag, or a weak one: nothing to key by.
  storage::FileInfo weak = after;
  weak.etag = "W/\"1\"";
  EXPECT_FALSE(hash_cache_key(*store, object, weak));
  weak.etag.clear();
  EXPECT_FALSE(hash_cache_key(*store, object, weak));
  // A user name in the URL is not part of the key.
  EXPECT_EQ(hash_cache_key(*store, Url::parse("mem://someone@etag-cache/dir/f"), after)->key, key->key);
  storage::unregister_memory_store("etag-cache");
}

// An object store whose reads are requests: every read is counted, and the
// reads in flight at once are tracked (each takes a little while, so streams
// that can overlap do).
struct RangedStore {
  std::shared_ptr<storage::MemoryStorage> store;
  std::atomic<int> reads{0}, in_flight{0}, peak{0};
  std::atomic<int> fail_at{-1};  // the read (0-based) that throws

  RangedStore(const std::string& name, uint64_t read_size, size_t streams) {
    storage::MemoryStorage::Options options;
    options.ranged_read_size = read_size;
    options.ranged_read_streams = streams;
    options.connections = 8;
    options.fault = [this](const std::string& op, const std::string&) {
      if (op != "read") return;
      int n = reads++;
      if (n == fail_at) throw StorageError("injected read failure");
      int now = ++in_flight;
      for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      --in_flight;
    };
    store = storage::register_memory_store(name, options);
  }
  void reset() { reads = in_flight = peak = 0; }
};

TEST_F(FileOpsTest, RemoteObjectsAreReadInWideRangesByParallelStreams) {
  RangedStore ranged("ranged", 4 * kMiB, 4);
  Url object = Url::parse("mem://ranged/big");
  std::string data = pattern(20 * kMiB + 3, 31);  // six 4 MiB windows, the last one 3 bytes
  std::string hash = model::flat_hash(data.data(), data.size());
  storage::write_all(*ranged.store, object, data, {});

  EXPECT_EQ(hash_object(ctx_, object, *ranged.store->stat(object), nullptr), hash);
  EXPECT_EQ(ranged.reads, 6);
  EXPECT_GE(ranged.peak, 2) << "one stream read the whole object";
  EXPECT_LE(ranged.peak, 4);

  // Into a disk file (written at any offset): streams again, every byte in place.
  ranged.reset();
  CopyRequest down{.from = object, .to = url("down/big"), .size = data.size(), .expected_hash = hash};
  down.need_hash = true;
  EXPECT_EQ(copy_object(ctx_, down, nullptr), hash);
  EXPECT_TRUE(read("down/big") == data);
  EXPECT_EQ(ranged.reads, 6);
  EXPECT_GE(ranged.peak, 2);

  // Into a writer that takes bytes in order: one stream, still wide reads.
  ranged.reset();
  auto other = storage::register_memory_store("ranged-sink");
  CopyRequest across{.from = object, .to = Url::parse("mem://ranged-sink/big"), .size = data.size(),
                     .expected_hash = hash};
  EXPECT_EQ(copy_object(ctx_, across, nullptr), hash);
  EXPECT_EQ(ranged.reads, 6);
  EXPECT_EQ(ranged.peak, 1);

  // Every connection to the store taken by other work: the object is read by
  // the caller's stream alone, nothing waits for a connection. (Rewritten
  // first, each time: a new ETag, so the hash cache has no answer.)
  auto rewrite = [&] { storage::write_all(*ranged.store, object, data, storage::WriteOptions{.overwrite = true}); };
  rewrite();
  ranged.reset();
  auto& connections = scheduler_.connections(ranged.store->name(), 8);
  std::vector<exec::Throttle::Slot> held;
  for (int i = 0; i < 8; ++i) held.push_back(connections.acquire(scheduler_.token()));
  EXPECT_EQ(hash_object(ctx_, object, *ranged.store->stat(object), nullptr), hash);
  EXPECT_EQ(ranged.peak, 1);
  held.clear();

  // A stream that fails fails the read, and the others stop.
  rewrite();
  ranged.reset();
  ranged.fail_at = 2;
  EXPECT_THROW(hash_object(ctx_, object, *ranged.store->stat(object), nullptr), StorageError);
  EXPECT_EQ(ranged.in_flight, 0) << "a stream outlived the read that failed";
  storage::unregister_memory_store("ranged-sink");
  storage::unregister_memory_store("ranged");
}

// Writes `count` objects of `size` bytes, mem://STORE/f0, f1, ..., into
// `store`; returns their URLs and puts their hashes in `hashes`.
std::vector<Url> put_objects(storage::Storage& store, const std::string& name, int count, size_t size, int seed,
                             std::vector<std::string>* hashes) {
  std::vector<Url> objects;
  for (int i = 0; i < count; ++i) {
    std::string data = pattern(size, seed + i);
    objects.push_back(Url::parse("mem://" + name + "/f" + std::to_string(i)));
    hashes->push_back(model::flat_hash(data.data(), data.size()));
    storage::write_all(store, objects.back(), data, {});
  }
  return objects;
}

// Three files of 8 MiB whose reads wait (a cold disk), and room for three
// workers: two start (one per core), and the first read of each file, being
// slow, starts the third at once. The rule for quick items (two slow ones in
// a row) would never start it: both workers are still on their first file
// when the third is taken.
TEST_F(FileOpsTest, AnItemThatWaitsOnItsStorageStartsAnotherWorker) {
  std::atomic<int> in_flight{0}, peak{0};
  storage::MemoryStorage::Options options;
  options.fault = [&](const std::string& op, const std::string&) {
    if (op != "read") return;
    int now = ++in_flight;
    for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a disk (the rule: 3 ms)
    --in_flight;
  };
  auto store = storage::register_memory_store("waiting", options);
  std::vector<std::string> hashes;
  std::vector<Url> objects = put_objects(*store, "waiting", 3, 8 * kMiB, 80, &hashes);
  ASSERT_EQ(scheduler_.transfers().limit(), 3u);
  ASSERT_EQ(scheduler_.cpu_pool().max_threads(), 2u);
  std::vector<std::string> got(3);
  for_each_transfer(ctx_, 3, [&](size_t i) {
    got[i] = hash_object(ctx_, objects[i], *store->stat(objects[i]), nullptr).str();
  });
  EXPECT_EQ(got, hashes);
  EXPECT_EQ(peak.load(), 3) << "the third file waited for a worker to finish";
  storage::unregister_memory_store("waiting");
}

// Concurrent reads of each object of an in-memory store, at their peak
// (reads take 2 ms, so that reads running at once overlap surely).
struct ReadsPerObject {
  std::mutex mu;
  std::map<std::string, int> now, peak;

  storage::MemoryStorage::FaultHook hook() {
    return [this](const std::string& op, const std::string& url) {
      if (op != "read") return;
      {
        std::lock_guard lock(mu);
        peak[url] = std::max(peak[url], ++now[url]);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::lock_guard lock(mu);
      --now[url];
    };
  }
  // An in-memory store named `name` whose reads are counted here.
  auto register_store(const std::string& name) {
    storage::MemoryStorage::Options options;
    options.fault = hook();
    return storage::register_memory_store(name, options);
  }
};

// A file in memory that is its pass's only item is hashed on every core of
// the CPU pool (segments of 8 MiB), not one: an update that copies one file.
TEST_F(FileOpsTest, AFileInMemoryAloneInItsPassIsReadOnSeveralCores) {
  ReadsPerObject reads;
  auto store = reads.register_store("alone");
  std::vector<std::string> hashes;
  Url object = put_objects(*store, "alone", 1, 32 * kMiB, 90, &hashes).front();
  std::string got;
  for_each_transfer(ctx_, 1, [&](size_t) { got = hash_object(ctx_, object, *store->stat(object), nullptr).str(); });
  EXPECT_EQ(got, hashes.front());
  EXPECT_GE(reads.peak[object.str()], 2) << "one core read the whole file";
  storage::unregister_memory_store("alone");
}

// Outside a pass of for_each_transfer (a walk's hashing: catalog, status,
// which runs many files at once on its own) a file keeps long segments.
TEST_F(FileOpsTest, AFileHashedOutsideAnyPassIsReadByOneStream) {
  ReadsPerObject reads;
  auto store = reads.register_store("walked");
  std::vector<std::string> hashes;
  Url object = put_objects(*store, "walked", 1, 32 * kMiB, 93, &hashes).front();
  EXPECT_EQ(hash_object(ctx_, object, *store->stat(object), nullptr).str(), hashes.front());
  EXPECT_EQ(reads.peak[object.str()], 1);
  storage::unregister_memory_store("walked");
}

// Where the pass's other items keep the cores busy, each file is read by
// one stream: shorter segments would only add tasks and buffers.
TEST_F(FileOpsTest, FilesInMemoryThatKeepTheCoresBusyAreReadByOneStreamEach) {
  ReadsPerObject reads;
  auto store = reads.register_store("busy");
  std::vector<std::string> hashes;
  std::vector<Url> objects = put_objects(*store, "busy", 2, 32 * kMiB, 91, &hashes);
  ASSERT_EQ(scheduler_.cpu_pool().max_threads(), 2u);
  std::latch both_running(2);  // each item starts hashing once the other runs too
  std::vector<std::string> got(2);
  for_each_transfer(ctx_, 2, [&](size_t i) {
    both_running.arrive_and_wait();
    got[i] = hash_object(ctx_, objects[i], *store->stat(objects[i]), nullptr).str();
  });
  EXPECT_EQ(got, hashes);
  for (const auto& object : objects) EXPECT_EQ(reads.peak[object.str()], 1) << object.str();
  storage::unregister_memory_store("busy");
}

TEST_F(FileOpsTest, HashObjectRefusesStaleInfoAndMissingFiles) {
  write("f", "12345");
  storage::FileInfo stale = info("f");
  stale.size = 4;
  EXPECT_THROW(hash_object(ctx_, url("f"), stale, nullptr), FailedCommand);
  EXPECT_EQ(cache_.size(), 0u);
  storage::FileInfo gone = info("f");
  fs::remove(path("f"));
  EXPECT_THROW(hash_object(ctx_, url("f"), gone, nullptr), FailedCommand);
}

TEST_F(FileOpsTest, CopyStreamsBytesAndReturnsTheirHash) {
  for (size_t size : {size_t{0}, size_t{1}, kMiB, 5 * kMiB + 3}) {
    SCOPED_TRACE(size);
    std::string data = pattern(size, 100 + size);
    std::string src = "src" + std::to_string(size);
    std::string dst = "out/deep/dst" + std::to_string(size);
    write(src, data);
    auto& job = scheduler_.sub_job("copy");
    std::string h = copy_object(ctx_, request(src, dst), &job).str();
    EXPECT_EQ(h, model::flat_hash(data.data(), data.size()));
    EXPECT_EQ(read(dst), data);
    EXPECT_EQ(job.done_bytes(), size);
    EXPECT_NE(inode(src), inode(dst));
    EXPECT_EQ(cached(dst), h) << "the destination feeds the hash cache";
  }
}

TEST_F(FileOpsTest, CopyOfALargeFileUsesParallelSegments) {
  write("big", big_data());
  CopyRequest r = request("big", "copy/big");
  r.expected_hash = big_hash();
  r.need_hash = true;  // stream, so every segment is read, hashed and written
  EXPECT_EQ(copy_object(ctx_, r, nullptr), big_hash());
  EXPECT_EQ(info("copy/big").size, big_data().size());
  EXPECT_TRUE(read("copy/big") == big_data());
}

TEST_F(FileOpsTest, CopyVerifiesTheExpectedHash) {
  std::string data = pattern(2 * kMiB + 5, 21);
  write("src", data);
  std::string good = model::flat_hash(data.data(), data.size());
  CopyRequest ok = request("src", "ok/dst", good);
  ok.need_hash = true;
  EXPECT_EQ(copy_object(ctx_, ok, nullptr), good);
  EXPECT_EQ(read("ok/dst"), data);

  CopyRequest bad = request("src", "bad/dst", model::flat_hash("other", 5));
  bad.need_hash = true;
  try {
    copy_object(ctx_, bad, nullptr);
    ADD_FAILURE() << "a hash mismatch was not detected";
  } catch (const FailedCommand& e) {
    EXPECT_NE(std::string(e.what()).find(path("src")), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path("bad/dst")));
  EXPECT_EQ(files_below("bad"), std::vector<std::string>{}) << "no partial file is left behind";
}

TEST_F(FileOpsTest, CopyVerifiesALargeFileInParallel) {
  write("big", big_data());
  CopyRequest bad = request("big", "bad/big", model::flat_hash("x", 1));
  bad.need_hash = true;
  EXPECT_THROW(copy_object(ctx_, bad, nullptr), FailedCommand);
  EXPECT_FALSE(fs::exists(path("bad/big")));
  EXPECT_EQ(files_below("bad"), std::vector<std::string>{});
}

TEST_F(FileOpsTest, CopyRefusesWrongSizeOrMissingSource) {
  write("src", "0123456789");
  CopyRequest r = request("src", "dst");
  r.size = 11;
  EXPECT_THROW(copy_object(ctx_, r, nullptr), FailedCommand);
  EXPECT_FALSE(fs::exists(path("dst")));
  CopyRequest missing = request("src", "dst2");
  missing.from = url("nope");
  EXPECT_THROW(copy_object(ctx_, missing, nullptr), FailedCommand);
  EXPECT_FALSE(fs::exists(path("dst2")));
}

TEST_F(FileOpsTest, CopyHonoursOverwrite) {
  write("src", "new content");
  write("dst", "old");
  EXPECT_THROW(copy_object(ctx_, request("src", "dst"), nullptr), FailedCommand);
  EXPECT_EQ(read("dst"), "old");
  CopyRequest r = request("src", "dst");
  r.write.overwrite = true;
  EXPECT_EQ(copy_object(ctx_, r, nullptr), model::flat_hash("new content", 11));
  EXPECT_EQ(read("dst"), "new content");
}

TEST_F(FileOpsTest, ServerSideCopyWithAKnownHash) {
  std::string data = pattern(kMiB + 9, 31);
  write("src", data);
  std::string h = model::flat_hash(data.data(), data.size());
  auto& job = scheduler_.sub_job("copy");
  EXPECT_EQ(copy_object(ctx_, request("src", "dst", h), &job), h);
  EXPECT_EQ(read("dst"), data);
  EXPECT_NE(inode("src"), inode("dst"));
  EXPECT_EQ(job.done_bytes(), data.size());
  EXPECT_EQ(cached("dst"), h);
}

TEST_F(FileOpsTest, HardlinkSharesTheInode) {
  std::string data = pattern(100000, 41);
  write("src", data);
  std::string h = model::flat_hash(data.data(), data.size());
  EXPECT_TRUE(link_one("src", "dst", h, LinkMode::kHardlink));
  EXPECT_EQ(inode("src"), inode("installed/dst"));
  EXPECT_EQ(read("installed/dst"), data);
  EXPECT_EQ(cached("installed/dst"), h);
}

TEST_F(FileOpsTest, HardlinkReinstallWithOverwrite) {
  std::string data = pattern(5000, 42);
  write("src", data);
  std::string h = model::flat_hash(data.data(), data.size());
  EXPECT_TRUE(link_one("src", "dst", h, LinkMode::kHardlink, true));
  EXPECT_TRUE(link_one("src", "dst", h, LinkMode::kHardlink, true));  // again, over its own earlier link
  EXPECT_EQ(inode("src"), inode("installed/dst"));
  EXPECT_EQ(files_below("installed"), std::vector<std::string>{"dst"}) << "no partial file is left behind";
}

TEST_F(FileOpsTest, TrustedHashCacheVouchesOnlyForTheUnchangedSource) {
  std::string data = pattern(3000, 81);
  write("src", data);
  // The cache claims another hash for this very file: where it is trusted,
  // that claim stands in for reading the bytes, which proves none were read.
  std::string claimed = model::flat_hash("other", 5);
  cache_.insert(path("src"), stamp_of(info("src")), claimed);
  CopyRequest r = request("src", "out/trusted", claimed);
  r.need_hash = true;
  r.trust_hash_cache = true;
  EXPECT_EQ(copy_object(ctx_, r, nullptr), claimed);
  EXPECT_EQ(read("out/trusted"), data);
  EXPECT_EQ(cached("out/trusted"), claimed);

  CopyRequest untrusted = request("src", "out/untrusted", claimed);
  untrusted.need_hash = true;
  EXPECT_THROW(copy_object(ctx_, untrusted, nullptr), FailedCommand) << "not trusted: the bytes are read";
  EXPECT_EQ(read("out/untrusted"), "<absent>");

  // Rewritten with the same size: a new identity, so the claim no longer
  // vouches and the bytes are read (and refused).
  ::usleep(10000);
  write("src", pattern(3000, 82));
  CopyRequest changed = request("src", "out/changed", claimed);
  changed.need_hash = true;
  changed.trust_hash_cache = true;
  EXPECT_THROW(copy_object(ctx_, changed, nullptr), FailedCommand);
  EXPECT_EQ(read("out/changed"), "<absent>");
}

TEST_F(FileOpsTest, AStreamedCopyFeedsTheHashCacheWithTheWrittenFile) {
  std::string data = pattern(5000, 83);
  write("src", data);
  std::string h = model::flat_hash(data.data(), data.size());
  for (bool overwrite : {false, true}) {
    SCOPED_TRACE(overwrite);
    CopyRequest r = request("src", "out/dst", h);
    r.need_hash = true;
    r.write.overwrite = overwrite;
    EXPECT_EQ(copy_object(ctx_, r, nullptr), h);
    EXPECT_EQ(cached("out/dst"), h) << "the stat the writer reported is the file's";
  }
}

TEST_F(FileOpsTest, LinkObjectsLinksInBatchesPerFolderAndFeedsTheHashCache) {
  // 300 files in one folder (more than one batch), two in another, one
  // at the top, and two that cannot be linked: no hash, another store.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("big/f" + std::to_string(i));
  names.push_back("small/a");
  names.push_back("small/b");
  names.push_back("top");
  std::vector<std::string> hashes;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string data = pattern(100 + i, 700 + i);
    write("repo/" + names[i], data);
    hashes.push_back(model::flat_hash(data.data(), data.size()));
  }
  write("repo/unhashed", "no hash known");
  auto memory = std::make_shared<storage::MemoryStorage>();
  resolver_.add("mem", memory);
  std::vector<Url> sources;
  for (const auto& n : names) sources.push_back(url("repo/" + n));
  sources.push_back(url("repo/unhashed"));
  sources.push_back(Url::parse("mem://bucket/elsewhere"));
  std::vector<model::ContentHash> content;
  for (const auto& h : hashes) content.emplace_back(h);
  content.emplace_back();
  content.emplace_back(hashes[0]);
  std::vector<std::string> targets = names;
  targets.push_back("unhashed");
  targets.push_back("elsewhere");
  std::vector<LinkItem> items;
  for (size_t i = 0; i < sources.size(); ++i) items.push_back({&sources[i], targets[i], 100 + i, &content[i]});
  auto& progress = scheduler_.sub_job("link", "linking");
  storage::WriteOptions write_options;
  write_options.overwrite = true;
  std::vector<char> linked = link_objects(ctx_, url("installed"), items, LinkMode::kHardlink, write_options,
                                          &progress);
  ASSERT_EQ(linked.size(), items.size());
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_TRUE(linked[i]);
    EXPECT_EQ(inode("repo/" + names[i]), inode("installed/" + names[i]));
    // The stat the batch reported is the link's own: status finds the hash.
    EXPECT_EQ(cached("installed/" + names[i]), hashes[i]);
  }
  EXPECT_FALSE(linked[names.size()]) << "no hash: left for copy_object";
  EXPECT_FALSE(linked[names.size() + 1]) << "another store: left for copy_object";
  EXPECT_EQ(files_below("installed").size(), names.size());
  uint64_t linked_bytes = 0;
  for (size_t i = 0; i < names.size(); ++i) linked_bytes += 100 + i;
  EXPECT_EQ(progress.done_tasks(), names.size());
  EXPECT_EQ(progress.done_bytes(), linked_bytes);
}

TEST_F(FileOpsTest, LinkObjectsNeverBatchesFilesResolvedBeneathOtherAnchors) {
  write("repo/real/a", "a");
  write("repo/real/b", "b");
  fs::create_directory_symlink("real", path("repo/alias"));
  std::string ha = model::flat_hash("a", 1);
  std::string hb = model::flat_hash("b", 1);
  model::ContentHash hash_a(ha), hash_b(hb);
  // The same folder path: a user gave the link itself as the location of
  // `a`, so it is followed; `b` lies beneath the repository, where a link
  // on the way is refused. One batch resolved for `a` would link `b` too.
  Url a = Url::from_local_path(path("repo/alias")).join("a");
  Url b = Url::from_local_path(path("repo")).join("alias/b");
  std::vector<LinkItem> items{{&a, "a", 1, &hash_a}, {&b, "b", 1, &hash_b}};
  storage::WriteOptions write_options;
  try {
    link_objects(ctx_, url("installed"), items, LinkMode::kHardlink, write_options, nullptr);
    ADD_FAILURE() << "linked through a link beneath the repository";
  } catch (const FailedCommand& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLinkOnPath) << e.what();
  }
  EXPECT_EQ(read("installed/b"), "<absent>");
}

TEST_F(FileOpsTest, ReflinkClonesOrDeclinesLeavingNothing) {
  std::string data = pattern(3 * kMiB + 1, 51);
  write("src", data);
  std::string h = model::flat_hash(data.data(), data.size());
  if (link_one("src", "dst", h, LinkMode::kReflink)) {
    EXPECT_EQ(read("installed/dst"), data);
    EXPECT_NE(inode("src"), inode("installed/dst"));  // a clone is a file of its own
    EXPECT_EQ(cached("installed/dst"), h);
  } else {
    // ext4, tmpfs: declined, so install copies it (tests/e2e, reflink mode).
    EXPECT_FALSE(fs::exists(path("installed/dst")));
  }
}

TEST_F(FileOpsTest, ForEachTransferRunsEveryIndexOnceWithinTheLimit) {
  constexpr size_t kN = 500;
  std::vector<std::atomic<int>> seen(kN);
  std::atomic<int> running{0}, peak{0};
  for_each_transfer(ctx_, kN, [&](size_t i) {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++seen[i];
    --running;
  });
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(seen[i].load(), 1) << i;
  EXPECT_LE(static_cast<size_t>(peak.load()), scheduler_.transfers().limit());
  EXPECT_EQ(scheduler_.transfers().in_use(), 0u);

  bool called = false;
  for_each_transfer(ctx_, 0, [&](size_t) { called = true; });
  EXPECT_FALSE(called);
}

// Waits until `done()` or 10 seconds passed; whether it was done.
bool wait_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

TEST_F(FileOpsTest, ASecondWorkerTakesAnotherRunWhileTheFirstIsBusyAndEveryItemRunsOnce) {
  // The first run's first item waits for the second run to start. Workers
  // that took items in the order given (one shared counter) would start
  // the second run only after every other item of the first.
  std::vector<WorkRun> runs{{50, 100}, {0, 50}, {100, 103}};
  std::vector<std::atomic<int>> seen(103);
  std::atomic<int> started_in_first{0};
  std::atomic<int> first_when_second_started{-1};
  std::atomic<bool> waited_in_vain{false};
  for_each_transfer(ctx_, runs, [&](size_t i) {
    ++seen[i];
    if (i >= 50 && i < 100) ++started_in_first;
    if (i == 0) first_when_second_started = started_in_first.load();
    if (i == 50 && !wait_until([&] { return first_when_second_started.load() >= 0; })) waited_in_vain = true;
  });
  EXPECT_FALSE(waited_in_vain);
  // 0 or 1: the two workers start their runs at the same moment. A shared
  // counter would have started all 50 of the first run.
  EXPECT_LE(first_when_second_started.load(), 1) << "items of the first run started before the second run did";
  EXPECT_GE(first_when_second_started.load(), 0);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].load(), 1) << i;
}

TEST_F(FileOpsTest, AWorkerWhoseRunEndedHelpsTheRunWithTheMostItemsLeft) {
  // Run 0 is one quick item; the first item of run 1 waits for a second
  // item of run 1 to start, which only a worker that helps can start.
  std::vector<WorkRun> runs{{0, 1}, {1, 41}};
  std::atomic<int> started_in_second{0};
  std::atomic<bool> waited_in_vain{false};
  std::vector<std::atomic<int>> seen(41);
  for_each_transfer(ctx_, runs, [&](size_t i) {
    ++seen[i];
    if (i == 0) return;
    if (++started_in_second == 1 && !wait_until([&] { return started_in_second.load() >= 2; })) {
      waited_in_vain = true;
    }
  });
  EXPECT_FALSE(waited_in_vain) << "no second worker helped the last run";
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].load(), 1) << i;
}

// What for_each_request did with `n` items of `work` on a command of 32
// jobs and 2 cpu threads: the most items running at once, and how many
// threads ran items.
struct WorkersSeen {
  size_t peak = 0;
  size_t threads = 0;
};
WorkersSeen run_requests(size_t n, const std::function<void()>& work) {
  exec::Scheduler scheduler(exec::SchedulerOptions{.jobs = 32, .file_transfer_jobs = 32, .cpu_threads = 2});
  storage::Resolver resolver;
  CommandContext ctx{scheduler, resolver, nullptr};
  std::atomic<size_t> running{0}, peak{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  for_each_request(ctx, n, [&](size_t) {
    size_t now = ++running;
    size_t p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    thread_local const void* registered_for = nullptr;  // once per thread and run
    if (registered_for != &threads) {
      registered_for = &threads;
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    work();
    --running;
  });
  return {peak.load(), threads.size()};
}

TEST_F(FileOpsTest, WorkersGrowToTheLimitWhileItemsWait) {
  // Items that wait (a disk, a server): every allowed worker is started.
  auto waiting = run_requests(400, [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); });
  EXPECT_EQ(waiting.peak, 32u);
}

TEST_F(FileOpsTest, WorkersStayOnePerCoreWhileItemsAreQuick) {
  // The sanitizers stall threads for tens of microseconds at a time (TSan
  // took 24-31 threads here): a measure of time per item means nothing there.
  if (wrapp::testing::kSanitizerSlowdown > 1) GTEST_SKIP() << "timing is not meaningful under a sanitizer";
  // Items of a few instructions of work in memory (planning an update):
  // one worker per core (2 here) does them all; thirty more threads would
  // cost more than the work. (A worker preempted in the middle of an item
  // may start one more: far from 32 even on a busy machine.)
  std::atomic<size_t> done{0};
  EXPECT_LE(run_requests(200000, [&] { ++done; }).threads, 16u);
  EXPECT_EQ(done.load(), 200000u);
}

TEST_F(FileOpsTest, ForEachTransferPropagatesTheFirstException) {
  try {
    for_each_transfer(ctx_, 200, [&](size_t i) {
      if (i == 0) throw FailedCommand("item 0 failed first");
      if (i == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        throw std::runtime_error("item 1 failed later");
      }
    });
    ADD_FAILURE() << "no exception propagated";
  } catch (const FailedCommand& e) {
    EXPECT_STREQ(e.what(), "item 0 failed first");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
  }
  // Other exception types come through unchanged.
  EXPECT_THROW(for_each_transfer(ctx_, 10, [](size_t i) {
                 if (i == 5) throw std::runtime_error("boom");
               }),
               std::runtime_error);
  // The failure cancelled only that loop, not the command.
  EXPECT_FALSE(scheduler_.token().cancelled());
  std::atomic<size_t> count{0};
  for_each_transfer(ctx_, 20, [&](size_t) { ++count; });
  EXPECT_EQ(count.load(), 20u);
  EXPECT_EQ(scheduler_.transfers().in_use(), 0u);
}

TEST_F(FileOpsTest, ForEachTransferStopsAfterAFailure) {
  std::atomic<size_t> ran{0};
  EXPECT_THROW(for_each_transfer(ctx_, 100000, [&](size_t i) {
                 ++ran;
                 if (i == 3) throw FailedCommand("stop");
                 std::this_thread::sleep_for(std::chrono::microseconds(200));
               }),
               FailedCommand);
  EXPECT_LT(ran.load(), 100000u) << "the remaining items were not cancelled";
}

TEST_F(FileOpsTest, ForEachRequestRunsEveryIndex) {
  std::vector<std::atomic<int>> seen(300);
  for_each_request(ctx_, seen.size(), [&](size_t i) { ++seen[i]; });
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].load(), 1) << i;
  EXPECT_THROW(for_each_request(ctx_, 3, [](size_t) { throw FailedCommand("x"); }), FailedCommand);
}

}  // namespace
}  // namespace wrapp::commands
