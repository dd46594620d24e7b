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
// The file (model/hash_cache_file.h, docs/formats.md) is a table sorted by
// key that a command maps and searches in place: opening it reads its header
// only, and a lookup touches the pages of the entries it compares, so a
// status of a small folder costs the same with a cache of a million entries
// as with an empty one. What a command adds lives in memory (an overlay on
// the table) until save() writes a new table merging both, or, when the
// table is big (kHashCacheAppendAbove), appends it to the table's journal
// (model/hash_cache_journal.h), which load() reads whole and a later save
// merges into a new table once it outgrows its bound. A version 1 file
// (JSON, model/hash_cache_json.h) is read whole and saved as a table.
//
// Old WRAPP (Python) kept a pickle file here; such a file, like any corrupt
// or foreign file, is never trusted: load() returns an empty cache, warns,
// and the file is replaced on the next save when it is a damaged cache of
// ours, left alone otherwise.
//
// Thread safety: lookup() and insert() (and size(), dirty(), for_each(),
// save()) may be called concurrently from any threads: the table is
// immutable, the overlay is kept in sharded maps, each behind its own mutex,
// and a save holds them all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/hash.h"
#include "model/hash_cache_file.h"

namespace wrapp::model {

// A cache keeps at most this many entries (about 150 bytes each in the
// file): enough for every file of a million-file tree.
inline constexpr size_t kHashCacheDefaultMaxEntries = 1'000'000;
// A save appends to the journal instead of rewriting a table of at least
// this many bytes (about 1,700 entries, rewritten in under half a
// millisecond; rewriting a 3 MB table took 4.5-5.9 ms, a sixth of a warm
// update of 5,000 files), while the journal stays within a bound that
// grows as the square root of the table (sqrt(4 KiB x table): 110 KB beside
// 3 MB; hash_cache.cc says why) and at most kHashCacheJournalLimit bytes
// (about 15,000 records of 140 bytes: read by every command in a few
// milliseconds).
inline constexpr uint64_t kHashCacheAppendAbove = 256 << 10;
inline constexpr uint64_t kHashCacheJournalLimit = 2 << 20;

class HashCache {
 public:
  // Loads `path`. Absent file -> empty, clean cache. A corrupt, foreign
  // (other format, other/newer version, legacy Python pickle) or unreadable
  // file is never trusted: returns an empty cache and calls warn(message),
  // the message naming the file and the cause. For a corrupt or foreign file
  // the returned cache is dirty, so save() replaces the file.
  static HashCache load(const std::string& path,
                        const std::function<void(const std::string&)>& warn);

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

  // Writes the cache to `path` atomically (a new table, renamed over the
  // old, the journal then removed; or, for a big table at the path it was
  // loaded from, what this process stored appended to the journal) if it
  // was modified since load or the last save (dirty()), or always if force
  // (a new table). A successful save clears dirty(). Throws StorageError on
  // I/O failure (the cache stays dirty). The directory of `path` must exist.
  //
  // Several processes may use one cache file: a save holds flock on
  // `<path>.lock`, and merges what this process added with the file as it is
  // then (this process's entries win for the same key), so entries another
  // process saved meanwhile are kept. Above max_entries it drops entries:
  // first those no command used since long (not looked up nor stored by this
  // one, oldest last use first), then, if still above, any.
  void save(const std::string& path, bool force = false) const;

  // The bound save() keeps (kHashCacheDefaultMaxEntries unless set). With
  // appends to the journal, the entries may exceed it by the journal's
  // until the next rewrite.
  void set_max_entries(size_t max_entries);
  // When save() appends to the journal (the defaults above; tests lower them).
  void set_journal_policy(uint64_t append_above, uint64_t journal_limit);

  bool dirty() const;
  size_t size() const;

  // Calls fn for every entry, in key order (what a save would write,
  // before the bound).
  void for_each(const std::function<void(std::string_view key, const FileStamp&, const ContentHash&)>& fn) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wrapp::model
