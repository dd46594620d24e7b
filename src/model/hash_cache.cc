#include "model/hash_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "model/hash.h"
#include "model/hash_cache_journal.h"
#include "model/hash_cache_json.h"
#include "util/error.h"
#include "util/json_reader.h"
#include "util/mapped_file.h"

namespace wrapp::model {
namespace {

constexpr size_t kShards = 64;

// An entry this process stored (or read from a version 1 file).
struct Entry {
  FileStamp stamp;
  Digest value{};
  // Looked up or inserted by this process: kept first when the cache is cut
  // to its bound, and its last use becomes the time of the save.
  bool used = false;
  // Held by the cache file it was loaded from (its table or its journal):
  // read from the journal, or saved there by this process. A save to that
  // path need not write it again.
  bool persisted = false;
  bool same_content(const Entry& other) const { return stamp == other.stamp && value == other.value; }
};

struct Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, Entry> map;
};

bool looks_like_pickle(std::string_view text) {
  // Pickle protocols 2..5 start with the PROTO opcode 0x80 and the version.
  return text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x80 &&
         static_cast<unsigned char>(text[1]) >= 2 && static_cast<unsigned char>(text[1]) <= 5;
}

FileStamp identity_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
          st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec, static_cast<uint64_t>(st.st_ino)};
}

// The identity of the file at `path` now; all zero when it does not exist.
FileStamp file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return identity_of(st);
}

// flock(LOCK_EX) on `<cache>.lock` while a save reads, merges and replaces
// the cache file: processes saving one cache at once take turns, and none
// loses the entries the other saved. The lock file stays (removing it would
// let a third process lock a new file while the second holds the old one).
class SaveLock {
 public:
  explicit SaveLock(const std::string& cache_path) {
    std::string path = cache_path + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd_ < 0) throw_errno("cannot open the hash cache's lock file", path, errno);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int err = errno;
        ::close(fd_);
        throw_errno("cannot lock the hash cache", path, err);
      }
    }
  }
  ~SaveLock() { ::close(fd_); }  // releases the lock
  SaveLock(const SaveLock&) = delete;
  SaveLock& operator=(const SaveLock&) = delete;

 private:
  int fd_ = -1;
};

// One entry as a save sees it.
struct Item {
  std::string_view name;
  FileStamp stamp;
  Digest value{};
  uint32_t last_used = 0;
  bool used = false;
};

// A sequence of entries in strictly ascending key order, which a save walks
// once per pass.
class Run {
 public:
  virtual ~Run() = default;
  bool done() const { return !has_; }
  const Item& front() const { return item_; }
  virtual void pop() = 0;
  virtual void restart() = 0;

 protected:
  Item item_;
  bool has_ = false;
};

// The records of a table, skipping damaged and out-of-order ones (a save
// thus writes a clean table whatever it read).
class TableRun : public Run {
 public:
  TableRun(const HashCacheFile& file, const std::atomic<uint64_t>* used_bits) : file_(file), used_(used_bits) {
    restart();
  }
  void restart() override {
    next_ = 0;
    has_ = false;
    pop();
  }
  void pop() override {
    std::string_view previous = has_ ? item_.name : std::string_view();
    bool first = !has_;
    has_ = false;
    while (next_ < file_.size()) {
      size_t i = next_++;
      HashCacheRecord r = file_.record(i);
      if (r.name.empty() || (!first && compare_names(previous, r.name) >= 0)) continue;
      item_ = {r.name, r.stamp, r.value, r.last_used,
               used_ && (used_[i / 64].load(std::memory_order_relaxed) >> (i % 64) & 1) != 0};
      has_ = true;
      return;
    }
  }

 private:
  const HashCacheFile& file_;
  const std::atomic<uint64_t>* used_;  // null: none used by this process
  size_t next_ = 0;
};

// Entries held elsewhere (their names outlive the run), each as item_of
// makes it an Item, sorted by name once.
template <typename T, Item (*item_of)(const T&), std::string_view (*name_of)(const T&)>
class SortedRun : public Run {
 public:
  explicit SortedRun(std::vector<const T*> entries) : entries_(std::move(entries)) {
    std::sort(entries_.begin(), entries_.end(),
              [](const T* a, const T* b) { return compare_names(name_of(*a), name_of(*b)) < 0; });
    restart();
  }
  void restart() override {
    next_ = 0;
    pop();
  }
  void pop() override {
    has_ = next_ < entries_.size();
    if (has_) item_ = item_of(*entries_[next_++]);
  }

 private:
  std::vector<const T*> entries_;
  size_t next_ = 0;
};

using OverlayEntry = std::pair<const std::string, Entry>;
Item overlay_item(const OverlayEntry& kv) { return {kv.first, kv.second.stamp, kv.second.value, 0, kv.second.used}; }
std::string_view overlay_name(const OverlayEntry& kv) { return kv.first; }
Item journal_item(const JournalRecord& r) { return {r.name, r.stamp, r.value, r.last_used, false}; }
std::string_view journal_name(const JournalRecord& r) { return r.name; }

// The entries of an overlay (the caller holds its shards' locks as long as
// the run lives); `with_persisted`: also those the cache file holds already.
class OverlayRun : public SortedRun<OverlayEntry, overlay_item, overlay_name> {
 public:
  explicit OverlayRun(const std::array<Shard, kShards>& shards, bool with_persisted = true)
      : SortedRun(entries(shards, with_persisted)) {}

 private:
  static std::vector<const OverlayEntry*> entries(const std::array<Shard, kShards>& shards, bool with_persisted) {
    std::vector<const OverlayEntry*> out;
    for (const Shard& shard : shards) {
      for (const auto& kv : shard.map) {
        if (with_persisted || !kv.second.persisted) out.push_back(&kv);
      }
    }
    return out;
  }
};

// The records of a journal, the last one of each key (a later record
// replaces an earlier one).
class JournalRun : public SortedRun<JournalRecord, journal_item, journal_name> {
 public:
  explicit JournalRun(const std::vector<JournalRecord>& records) : SortedRun(last_of_each(records)) {}

 private:
  static std::vector<const JournalRecord*> last_of_each(const std::vector<JournalRecord>& records) {
    std::unordered_map<std::string_view, const JournalRecord*> last;
    for (const auto& r : records) last[r.name] = &r;
    std::vector<const JournalRecord*> out;
    out.reserve(last.size());
    for (const auto& [name, r] : last) out.push_back(r);
    return out;
  }
};

// Which entries a save above the bound drops: those no command used this
// run, the longest unused first (by last use; ties in key order), then, if
// still above, used ones in key order. Planned from the unused entries' last
// uses, then asked entry by entry in merge order, once per pass.
class BoundCut {
 public:
  // `excess`: how many entries to drop (0: none).
  BoundCut(size_t excess, std::vector<uint32_t> unused_last_uses) {
    if (excess == 0) return;
    if (excess >= unused_last_uses.size()) {
      drop_all_unused_ = true;
      used_to_drop_ = excess - unused_last_uses.size();
      return;
    }
    auto nth = unused_last_uses.begin() + static_cast<ptrdiff_t>(excess - 1);
    std::nth_element(unused_last_uses.begin(), nth, unused_last_uses.end());
    cutoff_ = *nth;
    size_t older = static_cast<size_t>(std::count_if(unused_last_uses.begin(), unused_last_uses.end(),
                                                     [&](uint32_t t) { return t < cutoff_; }));
    unused_at_cutoff_ = excess - older;
  }
  // A pass over the merge starts from its first entry.
  void restart() {
    unused_at_cutoff_left_ = unused_at_cutoff_;
    used_left_ = used_to_drop_;
  }
  bool keep(const Item& item) {
    if (item.used) {
      if (used_left_ == 0) return true;
      --used_left_;
      return false;
    }
    if (drop_all_unused_ || item.last_used < cutoff_) return false;
    if (item.last_used == cutoff_ && unused_at_cutoff_left_ > 0) {
      --unused_at_cutoff_left_;
      return false;
    }
    return true;
  }

 private:
  bool drop_all_unused_ = false;
  uint32_t cutoff_ = 0;  // unused entries last used before it are dropped
  size_t unused_at_cutoff_ = 0, used_to_drop_ = 0;
  size_t unused_at_cutoff_left_ = 0, used_left_ = 0;
};

// Calls fn once per key present in any run, with the entry of the first run
// (in `runs` order: highest priority first) that holds it.
template <typename Fn>
void merge_runs(const std::vector<Run*>& runs, Fn&& fn) {
  for (;;) {
    Run* winner = nullptr;
    for (Run* r : runs) {
      if (!r->done() && (!winner || compare_names(r->front().name, winner->front().name) < 0)) winner = r;
    }
    if (!winner) return;
    // Names point into the table or the overlay's keys, which outlive the
    // merge: the item stays valid as the runs move on.
    Item item = winner->front();
    for (Run* r : runs) {
      if (!r->done() && r->front().name == item.name) r->pop();
    }
    fn(item);
  }
}

}  // namespace

struct HashCache::State {
  // What this process stored, and what it read from a version 1 file.
  std::array<Shard, kShards> shards;
  // Entries in `shards`: while none, a lookup (a status of an unchanged
  // tree, thousands a second on every thread) takes no lock.
  std::atomic<size_t> overlay_entries{0};
  // The table the cache was loaded from, and which of its records this
  // process used (one bit each).
  std::optional<HashCacheFile> table;
  std::unique_ptr<std::atomic<uint64_t>[]> table_used;
  std::atomic<bool> dirty{false};
  // The file on disk is not ours to replace (another program's file, a
  // newer wrapp's cache, a legacy pickle): the cache runs in memory only.
  bool save_blocked = false;
  // `table` is the file at the path as it is on disk (identity `on_disk`).
  // A file found different at save time was saved by another process (or
  // by this cache's previous save): the save merges that one instead.
  bool table_is_current = false;
  FileStamp on_disk;
  // The path `table` was read from: a save to another path carries the
  // table's entries over.
  std::string loaded_from;
  size_t max_entries = kHashCacheDefaultMaxEntries;
  // The next save writes a whole table (a version 1 or damaged file).
  bool rewrite = false;
  uint64_t append_above = kHashCacheAppendAbove;
  uint64_t journal_limit = kHashCacheJournalLimit;

  // Adds the journal of the cache at `path` below what this process stores.
  void read_journal(const std::string& path, const std::function<void(const std::string&)>& warn) {
    std::optional<HashCacheJournal> journal;
    try {
      journal = read_hash_cache_journal(journal_path(path));
    } catch (const Error& e) {
      warn(fmt::format("ignoring the hash cache journal of '{}': {}", shorten_for_message(path), e.what()));
      return;
    }
    if (!journal) return;
    size_t added = 0;
    for (auto& record : journal->records) {  // in order: a later record replaces an earlier one
      Shard& shard = shard_for(record.name);
      auto [it, inserted] = shard.map.insert_or_assign(std::move(record.name), Entry{record.stamp, record.value});
      it->second.persisted = true;
      added += inserted;
    }
    overlay_entries.fetch_add(added, std::memory_order_release);
  }

  // Appends what this process stored to the journal of the table at `path`
  // when that table is big enough to be worth not rewriting and the journal
  // stays within its bound. False: the save rewrites the table. The caller
  // holds the save lock and every shard.
  bool append_to_journal(const std::string& path, uint32_t now);

  Shard& shard_for(std::string_view key) { return shards[std::hash<std::string_view>{}(key) % kShards]; }

  // The table record for `key`, marked used, when its stamp is `stamp`.
  std::optional<Digest> table_hit(std::string_view key, const FileStamp& stamp) {
    if (!table) return std::nullopt;
    std::optional<size_t> i = table->find(key);
    if (!i) return std::nullopt;
    HashCacheRecord r = table->record(*i);
    if (r.stamp != stamp) return std::nullopt;
    table_used[*i / 64].fetch_or(uint64_t{1} << (*i % 64), std::memory_order_relaxed);
    return r.value;
  }

  // Every shard locked, in one order: a save or a count sees one state.
  std::vector<std::unique_lock<std::mutex>> lock_all() const {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(kShards);
    for (const Shard& s : shards) locks.emplace_back(s.mu);
    return locks;
  }
};

namespace {

// How big the journal beside a table of `table_bytes` may grow before a
// save rewrites the table. Every command reads the journal whole (about
// 3 ns a byte: a 328 KB journal added 0.9 ms to a no-op install), while a
// rewrite costs about 1.6 ns a byte of table once per journal's worth of
// records. With a command in two storing some 7 KB of records (an update
// of 50 files), the sum per command is least near sqrt(4 KiB x table):
// 32 KiB beside a 256 KiB table, 110 KB beside 3 MB, 780 KB beside the
// 150 MB of a million entries (never more than `limit`).
uint64_t journal_bound(uint64_t table_bytes, uint64_t limit) {
  auto balanced = static_cast<uint64_t>(std::sqrt(static_cast<double>(table_bytes) * 4096.0));
  return std::min(limit, std::max<uint64_t>(balanced, 16 << 10));
}

}  // namespace

bool HashCache::State::append_to_journal(const std::string& path, uint32_t now) {
  if (rewrite || path != loaded_from) return false;
  // The table there now: another process may have rewritten it since this
  // one was loaded, which does not matter (the journal's records replace
  // any table's), but it must be a table of this version.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  char head[24] = {};
  bool table = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::pread(fd, head, sizeof head, 0) == sizeof head;
  ::close(fd);
  uint64_t table_bytes = static_cast<uint64_t>(st.st_size);
  if (!table || table_bytes < append_above || !HashCacheFile::has_magic(std::string_view(head, sizeof head))) {
    return false;
  }
  uint32_t version = 0;
  std::memcpy(&version, head + kHashCacheMagic.size(), sizeof version);
  if (version != kHashCacheFileVersion) return false;
  std::optional<HashCacheJournal> journal;
  try {
    journal = read_hash_cache_journal(journal_path(path), /*with_records=*/false);  // where its good part ends
  } catch (const Error&) {
    return false;  // a journal that cannot be read (a link, no permission): the rewrite removes it
  }
  // What this process stored that the file does not hold yet.
  std::vector<Entry*> entries;
  std::vector<JournalRecord> records;
  for (Shard& shard : shards) {
    for (auto& [key, e] : shard.map) {
      if (e.persisted) continue;
      entries.push_back(&e);
      records.push_back(JournalRecord{key, e.stamp, e.value, now});
    }
  }
  uint64_t after = (journal && journal->valid_bytes ? journal->valid_bytes : kHashCacheJournalHeaderSize) +
                   journal_bytes(records);
  if (after > journal_bound(table_bytes, journal_limit)) return false;
  if (!records.empty()) append_hash_cache_journal(journal_path(path), journal, records);
  for (Entry* e : entries) e->persisted = true;
  return true;
}

HashCache::HashCache() : state_(std::make_unique<State>()) {}
HashCache::~HashCache() = default;
HashCache::HashCache(HashCache&&) noexcept = default;
HashCache& HashCache::operator=(HashCache&&) noexcept = default;

HashCache HashCache::load(const std::string& path, const std::function<void(const std::string&)>& warn) {
  auto cannot_read = [&](const std::string& why) {
    warn(fmt::format("ignoring hash cache '{}': cannot read it ({}); it is left untouched and no cache is kept "
                     "this run",
                     shorten_for_message(path), why));
    HashCache cache;
    cache.state_->save_blocked = true;  // what we cannot read we must not overwrite
    return cache;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // O_NONBLOCK: a FIFO must not hang us
  if (fd < 0) {
    int err = errno;
    if (err != ENOENT && err != ENOTDIR) return cannot_read(std::strerror(err));
    HashCache cache;
    cache.state_->loaded_from = path;
    if (err == ENOENT) cache.state_->read_journal(path, warn);
    return cache;
  }
  // The identity and the bytes of one open file: should another process
  // replace the file meanwhile, the save sees a different file and merges
  // it, rather than overwrite entries it never read.
  struct stat st {};
  std::optional<util::MappedFile> mapped;
  try {
    if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path, errno);
    mapped = util::MappedFile::open_fd(fd, path);
  } catch (const Error& e) {
    ::close(fd);
    return cannot_read(e.what());
  }
  ::close(fd);
  FileStamp identity = identity_of(st);
  std::string_view text = mapped->data();
  auto unusable = [&](const std::string& why, bool replace) {
    warn(fmt::format("ignoring hash cache '{}': {}; {}", shorten_for_message(path), why,
                     replace ? "it will be replaced" : "it is left untouched and no cache is kept this run"));
    HashCache cache;
    cache.state_->dirty = replace;
    cache.state_->rewrite = replace;
    cache.state_->save_blocked = !replace;
    cache.state_->loaded_from = path;
    return cache;
  };
  if (looks_like_pickle(text)) {
    return unusable("it is a legacy pickle cache of WRAPP 2.1 or older (delete it, or pass another "
                    "--hash-cache-file, to start a new cache)",
                    false);
  }
  if (HashCacheFile::has_magic(text)) {
    HashCacheFile::Refusal refusal;
    std::string why;
    std::optional<HashCacheFile> table = HashCacheFile::open(std::move(*mapped), &refusal, &why);
    if (!table) return unusable("invalid hash cache: " + why, refusal == HashCacheFile::Refusal::kDamaged);
    HashCache cache;
    State& state = *cache.state_;
    state.table_used = std::make_unique<std::atomic<uint64_t>[]>(table->size() / 64 + 1);
    state.table = std::move(table);
    state.table_is_current = true;
    state.on_disk = identity;
    state.loaded_from = path;
    state.read_journal(path, warn);
    return cache;
  }
  // Version 1 (JSON): read whole, then saved as a table.
  HashCache cache;
  try {
    // Pages handed back as the parse moves on: a big cache never sits in
    // memory as text next to its entries.
    TextWindow window{[&](size_t offset) { mapped->release_before(offset); }, nullptr};
    read_hash_cache_json(text, &window, [&](std::string&& key, const FileStamp& stamp, const Digest& value) {
      cache.state_->shard_for(key).map.insert_or_assign(std::move(key), Entry{stamp, value, false});
    });
    size_t n = 0;
    for (const Shard& shard : cache.state_->shards) n += shard.map.size();
    cache.state_->overlay_entries = n;
  } catch (const FailedCommand& e) {
    // Only a damaged cache of our own format is replaced; anything else may
    // be a file the user pointed at by mistake, or another program's cache.
    bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    bool ours = blank || text.substr(0, 256).find("\"" + std::string(kHashCacheMagic) + "\"") != std::string::npos;
    bool newer = e.code() == ErrorCode::kNewerFormat;
    return unusable(e.what(), ours && !newer);
  }
  cache.state_->dirty = true;  // so that the next save writes it as a table
  cache.state_->rewrite = true;
  cache.state_->loaded_from = path;
  return cache;
}

std::optional<ContentHash> HashCache::lookup(const std::string& abs_path, const FileStamp& stamp) const {
  if (state_->overlay_entries.load(std::memory_order_acquire) != 0) {
    Shard& shard = state_->shard_for(abs_path);
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(abs_path);
    if (it != shard.map.end()) {
      // What this process stored replaces the table's entry.
      Entry& e = it->second;
      if (e.stamp != stamp) return std::nullopt;
      e.used = true;
      return ContentHash(e.value);
    }
  }
  if (auto value = state_->table_hit(abs_path, stamp)) return ContentHash(*value);
  return std::nullopt;
}

void HashCache::insert(const std::string& abs_path, const FileStamp& stamp, const ContentHash& hash) {
  if (hash.empty()) fail("no hash given for '{}'", shorten_for_message(abs_path));
  Entry entry{stamp, hash.digest(), /*used=*/true};
  Shard& shard = state_->shard_for(abs_path);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(abs_path);
    if (it != shard.map.end()) {
      bool same = it->second.same_content(entry);
      entry.persisted = same && it->second.persisted;
      it->second = entry;
      if (same) return;
    } else if (state_->table_hit(abs_path, stamp) == entry.value) {
      return;  // the table has it already (and now marks it used)
    } else {
      shard.map.emplace(abs_path, entry);
      state_->overlay_entries.fetch_add(1, std::memory_order_release);
    }
  }
  state_->dirty.store(true);
}

void HashCache::save(const std::string& path, bool force) const {
  State& st = *state_;
  if (st.save_blocked) return;
  if (!force && !st.dirty.load()) return;
  // Cleared before the save reads the entries: an insert racing with the
  // save marks the cache dirty again, so it is not lost from the next save.
  bool was_dirty = st.dirty.exchange(false);
  try {
    SaveLock lock(path);
    auto shard_locks = st.lock_all();
    uint32_t save_time = static_cast<uint32_t>(std::min<int64_t>(std::time(nullptr), UINT32_MAX));
    if (!force && st.append_to_journal(path, save_time)) return;
    // The runs to merge, highest priority first: what this process stored,
    // then the file as it is now (this cache's own table when nobody
    // replaced it, else the replacement, read again, with its journal), or
    // the journal there and this cache's own table, then, when saving
    // elsewhere than it was read from, this cache's table. What this process
    // read from the journal of the same path is in that journal now, or in
    // the table that replaced it.
    const bool same_file = path == st.loaded_from;
    OverlayRun ours(st.shards, /*with_persisted=*/!same_file);
    std::vector<Run*> runs{&ours};
    std::optional<TableRun> table_run, own_table_elsewhere;
    std::optional<OverlayRun> their_overlay;
    std::optional<HashCache> theirs;
    std::optional<HashCacheJournal> journal;
    std::optional<JournalRun> journal_run;
    FileStamp now = file_identity(path);
    const bool same_path = st.table && same_file;
    if (same_path && st.table_is_current && now == st.on_disk) {
      table_run.emplace(*st.table, st.table_used.get());
    } else if (now != FileStamp{}) {
      theirs = load(path, [](const std::string&) {});
      State& other = *theirs->state_;
      // A file that cannot be used now (damaged, foreign) adds nothing.
      if (!other.save_blocked) {
        their_overlay.emplace(other.shards);  // a version 1 file's entries, or the journal's
        runs.push_back(&*their_overlay);
        if (other.table) table_run.emplace(*other.table, nullptr);
      }
    }
    // The journal there now (load() read it into their overlay too, when it
    // read a table: the same records again, below it).
    try {
      journal = read_hash_cache_journal(journal_path(path));
    } catch (const Error&) {
      // Unreadable (a link, no permission): removed below, as a merged one is.
    }
    if (journal) runs.push_back(&journal_run.emplace(journal->records));
    if (table_run) runs.push_back(&*table_run);
    if (st.table && !same_path) runs.push_back(&own_table_elsewhere.emplace(*st.table, st.table_used.get()));

    // First pass: how many entries, how many bytes of names, and when they
    // are above the bound, which to drop (a second pass counts what stays).
    std::vector<uint32_t> unused_last_uses;
    size_t count = 0;
    uint64_t pool = 0;
    merge_runs(runs, [&](const Item& item) {
      ++count;
      pool += item.name.size();
      if (!item.used) unused_last_uses.push_back(item.last_used);
    });
    size_t excess = count > st.max_entries ? count - st.max_entries : 0;
    BoundCut cut(excess, std::move(unused_last_uses));
    auto restart = [&] {
      for (Run* r : runs) r->restart();
      cut.restart();
    };
    if (excess > 0) {
      restart();
      count = 0;
      pool = 0;
      merge_runs(runs, [&](const Item& item) {
        if (!cut.keep(item)) return;
        ++count;
        pool += item.name.size();
      });
    }
    restart();
    write_hash_cache_file(path, count, pool, [&](const auto& emit) {
      merge_runs(runs, [&](const Item& item) {
        if (!cut.keep(item)) return;
        emit(HashCacheRecord{item.name, item.stamp, item.value, item.used ? save_time : item.last_used});
      });
    });
    // The table holds the journal's records now (were the removal lost, they
    // would only be merged again).
    remove_hash_cache_journal(journal_path(path));
    // The file now holds what the table and the overlay hold, and maybe
    // more: a later save reads it back as another process's file.
    st.table_is_current = false;
    st.rewrite = false;
    for (Shard& shard : st.shards) {
      for (auto& [key, e] : shard.map) e.persisted = same_file || e.persisted;
    }
  } catch (...) {
    if (was_dirty) st.dirty.store(true);
    throw;
  }
}

void HashCache::set_max_entries(size_t max_entries) { state_->max_entries = max_entries; }

void HashCache::set_journal_policy(uint64_t append_above, uint64_t journal_limit) {
  state_->append_above = append_above;
  state_->journal_limit = journal_limit;
}

bool HashCache::dirty() const { return state_->dirty.load(); }

size_t HashCache::size() const {
  size_t n = 0;
  for_each([&](std::string_view, const FileStamp&, const ContentHash&) { ++n; });
  return n;
}

void HashCache::for_each(
    const std::function<void(std::string_view key, const FileStamp&, const ContentHash&)>& fn) const {
  State& st = *state_;
  auto locks = st.lock_all();
  OverlayRun ours(st.shards);
  std::vector<Run*> runs{&ours};
  std::optional<TableRun> table_run;
  if (st.table) runs.push_back(&table_run.emplace(*st.table, nullptr));
  merge_runs(runs, [&](const Item& item) { fn(item.name, item.stamp, ContentHash(item.value)); });
}

}  // namespace wrapp::model
