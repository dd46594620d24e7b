#include "model/hash_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <future>

#include <array>
#include <atomic>
#include <charconv>
#include <limits>
#include <mutex>
#include <unordered_map>


#include "model/hash.h"
#include "util/atomic_file.h"
#include "util/json_reader.h"
#include "util/mapped_file.h"
#include "util/json_writer.h"
#include "util/error.h"

namespace wrapp::model {
namespace {

constexpr size_t kShards = 64;

struct Entry {
  FileStamp stamp;
  Digest value{};  // the hash, stored binary (see format_hash / parse_hash)
  // Looked up or inserted by this process: kept first when the cache is cut
  // to its bound. Not saved.
  bool used = false;
  bool same_content(const Entry& other) const { return stamp == other.stamp && value == other.value; }
};

struct Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, Entry> map;
};

// ---- writing ---------------------------------------------------------------


template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_entry(std::string& out, const std::string& path, const Entry& e) {
  static constexpr char kHex[] = "0123456789abcdef";
  append_json_escaped(out, path);  // checked valid UTF-8 by the caller
  out += ": {\"size\": ";
  append_int(out, e.stamp.size);
  out += ", \"mtime_ns\": ";
  append_int(out, e.stamp.mtime_ns);
  out += ", \"ctime_ns\": ";
  append_int(out, e.stamp.ctime_ns);
  out += ", \"inode\": ";
  append_int(out, e.stamp.inode);
  out += ", \"hash\": \"";
  out += kHashPrefix;
  char hex[64];
  for (size_t i = 0; i < e.value.size(); ++i) {
    hex[2 * i] = kHex[e.value[i] >> 4];
    hex[2 * i + 1] = kHex[e.value[i] & 0xf];
  }
  out.append(hex, sizeof hex);
  out += "\"}";
}

}  // namespace

struct HashCache::State {
  std::array<Shard, kShards> shards;
  std::atomic<bool> dirty{false};
  // The file on disk is not ours to replace (another program's file, a
  // newer wrapp's cache, a legacy pickle): the cache runs in memory only.
  bool save_blocked = false;
  // The file as this cache last read or wrote it (all zero: none): a file
  // found different at save time was saved by another process meanwhile.
  FileStamp on_disk;
  size_t max_entries = kHashCacheDefaultMaxEntries;
  // Set while a background load (load_async) fills the maps; every public
  // method waits for it first. Declared last so it is destroyed first: the
  // loader finishes before the maps it writes go away.
  std::shared_future<void> loading;

  void wait() const {
    if (loading.valid()) loading.wait();
  }

  Shard& shard_for(const std::string& path) {
    return shards[std::hash<std::string>{}(path) % kShards];
  }
};

namespace {

// ---- reading ---------------------------------------------------------------

// Reads one entry object; false when it is malformed (it is then dropped,
// like an entry with an invalid hash: the file is still usable).
bool read_entry(JsonReader& r, Entry& e) {
  if (r.peek() != JsonReader::Type::kObject) {
    r.skip_value();
    return false;
  }
  r.begin_object();
  bool ok = true, has_size = false, has_mtime = false, has_ctime = false, has_inode = false, has_hash = false;
  std::string key, text;
  while (r.next_key(key)) {
    if (key == "size" || key == "inode") {
      uint64_t u;
      if (!r.read_uint64(u)) {
        r.skip_value();
        ok = false;
      } else if (key == "size") {
        e.stamp.size = u;
        has_size = true;
      } else {
        e.stamp.inode = u;
        has_inode = true;
      }
    } else if (key == "mtime_ns" || key == "ctime_ns") {
      bool is_mtime = key == "mtime_ns";
      if (!r.read_int64(is_mtime ? e.stamp.mtime_ns : e.stamp.ctime_ns)) {
        r.skip_value();
        ok = false;
      } else {
        (is_mtime ? has_mtime : has_ctime) = true;
      }
    } else if (key == "hash") {
      std::optional<Digest> d;
      if (r.peek() == JsonReader::Type::kString) {
        r.read_string(text);
        d = parse_hash(text);
      } else {
        r.skip_value();
      }
      if (d) {
        e.value = *d;
        has_hash = true;
      } else {
        ok = false;
      }
    } else {
      r.skip_value();  // fields of a later version: ignored
    }
  }
  return ok && has_size && has_mtime && has_ctime && has_inode && has_hash;
}

bool looks_like_pickle(std::string_view text) {
  // Pickle protocols 2..5 start with the PROTO opcode 0x80 and the version.
  return text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x80 &&
         static_cast<unsigned char>(text[1]) >= 2 && static_cast<unsigned char>(text[1]) <= 5;
}

// The identity of the file at `path` now; all zero when it does not exist.
FileStamp file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
          st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec, static_cast<uint64_t>(st.st_ino)};
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

}  // namespace

HashCache::HashCache() : state_(std::make_unique<State>()) {}
HashCache::~HashCache() = default;
HashCache::HashCache(HashCache&&) noexcept = default;
HashCache& HashCache::operator=(HashCache&&) noexcept = default;

HashCache HashCache::load(const std::string& path,
                          const std::function<void(const std::string&)>& warn) {
  // Mapped, and handed back as the parse moves on: a cache of a million
  // entries never sits in memory as text next to its entries.
  // Taken before the file is read: should another process replace it in
  // between, the save sees a file that differs from this identity and
  // merges it, rather than overwrite entries it never read.
  FileStamp identity = file_identity(path);
  std::optional<util::MappedFile> mapped;
  try {
    mapped = util::MappedFile::open(path);
  } catch (const Error& e) {
    warn(fmt::format("ignoring hash cache '{}': cannot read it ({}); it is left untouched and no cache is kept "
                     "this run",
                     shorten_for_message(path), e.what()));
    HashCache cache;
    cache.state_->save_blocked = true;  // what we cannot read we must not overwrite
    return cache;
  }
  if (!mapped) return HashCache();
  std::string_view text = mapped->data();
  auto unusable = [&](const std::string& why, bool replace) {
    warn(fmt::format("ignoring hash cache '{}': {}; {}", shorten_for_message(path), why,
                     replace ? "it will be replaced" : "it is left untouched and no cache is kept this run"));
    HashCache cache;
    cache.state_->dirty = replace;
    cache.state_->save_blocked = !replace;
    return cache;
  };
  if (looks_like_pickle(text)) {
    return unusable("it is a legacy pickle cache of WRAPP 2.1 or older (delete it, or pass another "
                    "--hash-cache-file, to start a JSON cache)",
                    false);
  }
  try {
    TextWindow window{[&](size_t offset) { mapped->release_before(offset); }, nullptr};
    HashCache cache = parse(text, &window);
    cache.state_->on_disk = identity;
    return cache;
  } catch (const FailedCommand& e) {
    // Only a damaged cache of our own format is replaced; anything else may
    // be a file the user pointed at by mistake, or a newer wrapp's cache.
    bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    bool ours = blank || text.substr(0, 256).find(std::string("\"") + std::string(kHashCacheFormat) + "\"") !=
                std::string::npos;
    bool newer = e.code() == ErrorCode::kNewerFormat;
    return unusable(e.what(), ours && !newer);
  }
}

HashCache HashCache::from_json(std::string_view text) { return parse(text, nullptr); }

HashCache HashCache::parse(std::string_view text, const TextWindow* window) {
  HashCache cache;
  State& st = *cache.state_;
  JsonReader r(text, "invalid hash cache");
  r.use_window(window);
  JsonReader::Type top = r.peek();
  if (top == JsonReader::Type::kArray) fail("invalid hash cache: the document is a JSON array, not an object");
  if (top != JsonReader::Type::kObject) fail("invalid hash cache: the document is not a JSON object");
  r.begin_object();
  bool saw_format = false, saw_version = false, saw_entries = false;
  std::string key, value;
  while (r.next_key(key)) {
    if (key == "format" || key == "version") {
      auto t = r.peek();
      if (t == JsonReader::Type::kObject || t == JsonReader::Type::kArray) {
        fail("invalid hash cache: \"{}\" is not a scalar", key);
      }
    }
    if (key == "format") {
      saw_format = true;
      if (r.peek() != JsonReader::Type::kString) fail("invalid hash cache: \"format\" is not a string");
      r.read_string(value);
      if (value != kHashCacheFormat) {
        fail("invalid hash cache: foreign format \"{}\" (expected \"{}\")", shorten_for_message(value),
             kHashCacheFormat);
      }
    } else if (key == "version") {
      saw_version = true;
      uint64_t u;
      int64_t i;
      if (r.read_uint64(u)) {
        if (u > static_cast<uint64_t>(kHashCacheVersion)) {
          fail_with(ErrorCode::kNewerFormat, "invalid hash cache: version {} is newer than this wrapp supports ({})", u,
                    kHashCacheVersion);
        }
        if (u != static_cast<uint64_t>(kHashCacheVersion)) fail("invalid hash cache: unsupported version {}", u);
      } else if (r.read_int64(i)) {
        fail("invalid hash cache: unsupported version {}", i);
      } else {
        fail("invalid hash cache: \"version\" is not an integer");
      }
    } else if (key == "entries") {
      saw_entries = true;
      if (r.peek() != JsonReader::Type::kObject) fail("invalid hash cache: \"entries\" is not an object");
      r.begin_object();
      std::string path;
      while (r.next_key(path)) {
        Entry e;
        if (!read_entry(r, e)) continue;
        st.shard_for(path).map.insert_or_assign(path, e);  // a copy of exact size; not shared yet: no lock
      }
    } else {
      r.skip_value();  // unknown top-level field
    }
  }
  r.expect_end();
  if (!saw_format) fail("invalid hash cache: no \"format\" field (not a wrapp hash cache)");
  if (!saw_version) fail("invalid hash cache: no \"version\" field");
  if (!saw_entries) fail("invalid hash cache: no \"entries\" field");
  return cache;
}

HashCache HashCache::load_async(const std::string& path, std::function<void(const std::string&)> warn) {
  HashCache cache;
  State* target = cache.state_.get();  // stays put when `cache` is moved
  target->loading = std::async(std::launch::async, [target, path, warn = std::move(warn)] {
                      HashCache loaded = load(path, warn);
                      for (size_t i = 0; i < kShards; ++i) target->shards[i].map.swap(loaded.state_->shards[i].map);
                      target->dirty.store(loaded.state_->dirty.load());
                      target->save_blocked = loaded.state_->save_blocked;
                      target->on_disk = loaded.state_->on_disk;
                    }).share();
  return cache;
}

std::optional<ContentHash> HashCache::lookup(const std::string& abs_path, const FileStamp& stamp) const {
  state_->wait();
  Shard& shard = state_->shard_for(abs_path);
  Digest value;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(abs_path);
    if (it == shard.map.end()) return std::nullopt;
    Entry& e = it->second;
    if (e.stamp != stamp) return std::nullopt;
    e.used = true;
    value = e.value;
  }
  return ContentHash(value);
}

void HashCache::insert(const std::string& abs_path, const FileStamp& stamp, const ContentHash& hash) {
  if (hash.empty()) fail("no hash given for '{}'", shorten_for_message(abs_path));
  state_->wait();
  Entry entry{stamp, hash.digest(), /*used=*/true};
  Shard& shard = state_->shard_for(abs_path);
  {
    std::lock_guard lock(shard.mu);
    auto [it, inserted] = shard.map.try_emplace(abs_path, entry);
    if (!inserted) {
      bool same = it->second.same_content(entry);
      it->second = entry;
      if (same) return;
    }
  }
  state_->dirty.store(true);
}

void HashCache::save(const std::string& path, bool force) const {
  state_->wait();
  if (state_->save_blocked) return;
  if (!force && !state_->dirty.load()) return;
  // Cleared before taking the snapshot: an insert racing with the save marks
  // the cache dirty again, so it is not lost from the next save.
  bool was_dirty = state_->dirty.exchange(false);
  try {
    SaveLock lock(path);
    merge_saved_by_others(path);
    cut_to_bound();
    // Not fsynced: a cache lost to a power cut is rebuilt, and an fsync
    // would cost a quick command more than its work.
    util::write_file_atomically(path, to_json(), /*durable=*/false);
    state_->on_disk = file_identity(path);
  } catch (...) {
    if (was_dirty) state_->dirty.store(true);
    throw;
  }
}

void HashCache::merge_saved_by_others(const std::string& path) const {
  FileStamp now = file_identity(path);
  if (now == state_->on_disk || now == FileStamp{}) return;  // as we left it, or gone
  // Entries of this process win: for one path they are the later hash. A
  // file that cannot be used now (damaged, foreign) adds nothing.
  HashCache theirs = load(path, [](const std::string&) {});
  if (theirs.state_->save_blocked) return;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& ours = state_->shards[i];
    std::lock_guard lock(ours.mu);
    for (auto& [key, entry] : theirs.state_->shards[i].map) {
      Entry merged = entry;
      merged.used = false;
      ours.map.try_emplace(key, merged);
    }
  }
}

void HashCache::cut_to_bound() const {
  size_t n = size();
  if (n <= state_->max_entries) return;
  size_t excess = n - state_->max_entries;
  // Entries this process did not use go first, then (when even those it
  // used are too many) any; within each, in no particular order.
  for (bool drop_used : {false, true}) {
    for (Shard& shard : state_->shards) {
      std::lock_guard lock(shard.mu);
      for (auto it = shard.map.begin(); it != shard.map.end() && excess > 0;) {
        if (it->second.used == drop_used) {
          it = shard.map.erase(it);
          --excess;
        } else {
          ++it;
        }
      }
    }
  }
}

void HashCache::set_max_entries(size_t max_entries) {
  state_->wait();
  state_->max_entries = max_entries;
}

bool HashCache::dirty() const {
  state_->wait();
  return state_->dirty.load();
}

size_t HashCache::size() const {
  state_->wait();
  size_t n = 0;
  for (const Shard& shard : state_->shards) {
    std::lock_guard lock(shard.mu);
    n += shard.map.size();
  }
  return n;
}

std::string HashCache::to_json() const {
  state_->wait();
  std::string out;
  out.reserve(64 + size() * 200);
  out += "{\"format\": \"";
  out += kHashCacheFormat;
  out += "\", \"version\": ";
  append_int(out, kHashCacheVersion);
  out += ", \"entries\": {";
  bool first = true;
  for (const Shard& shard : state_->shards) {
    std::lock_guard lock(shard.mu);
    for (const auto& [path, entry] : shard.map) {
      if (!is_valid_utf8(path)) continue;  // not representable in JSON
      out += first ? "\n  " : ",\n  ";
      first = false;
      append_entry(out, path, entry);
    }
  }
  out += first ? "}}\n" : "\n}}\n";
  return out;
}

}  // namespace wrapp::model
