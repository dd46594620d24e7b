// A persistent cache of file content hashes, so unchanged local files are not
// hashed again.
//
// Keyed by absolute local path. An entry records the file's stamp at the time
// it was hashed: size, mtime and ctime (int64 nanoseconds since the epoch) and
// inode; the cached hash is reused ONLY when all four still match. The ctime
// matters: a file rewritten in place with its mtime set back (touch -d, a
// restore tool, an edit within one timestamp tick) still changes its ctime,
// which no user can set.
//
// Objects in object stores are keyed by URL ("s3://bucket/key"), their stamp
// being their size and their ETag folded into "inode" (mtime_ns and ctime_ns
// 0): commands/file_ops.h, hash_cache_key. This file knows only keys and
// stamps.
//
// File format (JSON, UTF-8), schema-versioned:
//
//   {"format": "wrapp-hash-cache",
//    "version": 1,
//    "entries": {"/abs/path": {"size": 1, "mtime_ns": 1, "ctime_ns": 1, "inode": 1,
//                              "hash": "sha-256-flat;1048576;<64 hex>"}, ...}}
//
//   format   must be exactly "wrapp-hash-cache"; anything else is foreign.
//   version  1. A file of any other version (e.g. written by a newer wrapp)
//            is not trusted and is replaced on the next save.
//   entries  object keyed by absolute path. size and inode are unsigned
//            64-bit integers, mtime_ns and ctime_ns signed 64-bit integers
//            (an entry without ctime_ns, from an older wrapp, never matches
//            and is dropped on load), hash must pass
//            is_valid_hash(). Entries that are malformed or carry an invalid
//            hash are dropped on load; unknown fields (top level or in an
//            entry) are ignored. The order of entries is unspecified.
//   Paths that are not valid UTF-8 cannot be represented and are not saved.
//
// Old WRAPP (Python) kept a pickle file here; such a file, like any corrupt
// or foreign file, is never trusted: load() returns an empty cache, warns,
// and the file is replaced on the next save.
//
// Loading and saving are linear in the number of entries (SAX parsing, one
// output string). Thread safety: lookup() and insert() (and size(), dirty(),
// to_json(), save()) may be called concurrently from any threads; entries are
// kept in sharded maps, each behind its own mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/hash.h"

namespace wrapp {
struct TextWindow;
}

namespace wrapp::model {

inline constexpr std::string_view kHashCacheFormat = "wrapp-hash-cache";
inline constexpr int kHashCacheVersion = 1;
// A cache keeps at most this many entries (about 120 bytes each on disk and
// 200 in memory): enough for every file of a million-file tree.
inline constexpr size_t kHashCacheDefaultMaxEntries = 1'000'000;

// What identifies one state of a file's content on a disk.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

class HashCache {
 public:
  // Loads `path`. Absent file -> empty, clean cache. A corrupt, foreign
  // (other format, other/newer version, legacy Python pickle) or unreadable
  // file is never trusted: returns an empty cache and calls warn(message),
  // the message naming the file and the cause. For a corrupt or foreign file
  // the returned cache is dirty, so save() replaces the file.
  static HashCache load(const std::string& path,
                        const std::function<void(const std::string&)>& warn);

  // The same, read on a background thread so that the command's own start
  // (walking, parsing) overlaps it; the first use of the cache waits.
  static HashCache load_async(const std::string& path, std::function<void(const std::string&)> warn);

  HashCache();
  ~HashCache();
  HashCache(HashCache&&) noexcept;
  HashCache& operator=(HashCache&&) noexcept;

  // The cached hash if an entry for abs_path exists and its stamp equals
  // the given one.
  std::optional<ContentHash> lookup(const std::string& abs_path, const FileStamp& stamp) const;

  // Adds or replaces the entry for abs_path. Throws FailedCommand if `hash`
  // is not a valid hash string. Marks the cache dirty unless the same entry
  // was already present.
  // (A hash string converts to ContentHash, which refuses invalid text.)
  void insert(const std::string& abs_path, const FileStamp& stamp, const ContentHash& hash);

  // Writes the cache to `path` atomically (util::write_file_atomically) if it
  // was modified since load or the last save (dirty()), or always if force.
  // A successful save clears dirty(). Throws StorageError on I/O failure (the
  // cache stays dirty). The directory of `path` must exist.
  //
  // Several processes may use one cache file: a save holds flock on
  // `<path>.lock`, and when the file changed since this cache read or wrote
  // it, first adds the entries saved there that it lacks (its own win for
  // the same path). Then, above max_entries, it drops entries: first those
  // this process neither looked up nor inserted.
  void save(const std::string& path, bool force = false) const;

  // The bound save() keeps (kHashCacheDefaultMaxEntries unless set).
  void set_max_entries(size_t max_entries);

  bool dirty() const;
  size_t size() const;

  // Serializes / parses the file format above. from_json throws
  // FailedCommand naming the cause on bad input (not JSON, foreign format,
  // unsupported version, wrong structure). A parsed cache is not dirty.
  std::string to_json() const;
  static HashCache from_json(std::string_view text);

 private:
  static HashCache parse(std::string_view text, const TextWindow* window);
  void merge_saved_by_others(const std::string& path) const;  // with the save lock held
  void cut_to_bound() const;

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wrapp::model
