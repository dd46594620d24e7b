// The hash cache's file, format version 2: a sorted table that a command
// maps and searches instead of loading, so a status of one folder touches
// only the pages holding that folder's entries, whatever else the cache
// holds (docs/formats.md, "Hash cache file").
//
// Layout (all integers little-endian):
//
//   offset  size  field
//   0       16    magic "wrapp-hash-cache" (ASCII, no terminator)
//   16      4     version, 2
//   20      4     record size, 80
//   24      8     record count N
//   32      8     name pool size P
//   40      24    zero
//   64      80*N  records, sorted by name (bytewise, a prefix before its
//                 extensions), each name at most once
//   64+80N  P     name pool: the names' bytes, nothing between them
//
//   record: 0 size u64 | 8 mtime_ns i64 | 16 ctime_ns i64 | 24 inode u64 |
//           32 hash value (32 bytes of sha-256-flat) | 64 name offset u64
//           (in the pool) | 72 name length u32 | 76 last used u32 (seconds
//           since the epoch of the last save by a command that used it)
//
// The file is exactly 64 + 80*N + P bytes. A name is a key of the cache (an
// absolute path or an object URL), 1 to kMaxHashCacheKeyLength bytes of any
// value: unlike JSON, the table holds paths that are not UTF-8.
//
// Reading validates the header only, so opening costs the same for ten
// entries as for a million. A record whose name lies outside the pool never
// matches any key; records out of order only make lookups miss. Neither can
// give a hash for a key it was not stored for, and a save drops both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "model/hash.h"
#include "util/mapped_file.h"

namespace wrapp::model {

inline constexpr std::string_view kHashCacheMagic = "wrapp-hash-cache";
inline constexpr uint32_t kHashCacheFileVersion = 2;
inline constexpr size_t kHashCacheHeaderSize = 64;
inline constexpr size_t kHashCacheRecordSize = 80;
inline constexpr size_t kMaxHashCacheKeyLength = 64 * 1024;

// What identifies one state of a file's content on a disk.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

// One entry as the table stores it.
struct HashCacheRecord {
  std::string_view name;
  FileStamp stamp;
  Digest value{};
  uint32_t last_used = 0;
};

// A version 2 file, mapped read-only. Immutable after open, so any number of
// threads may read it at once.
class HashCacheFile {
 public:
  // What open() found in the first bytes, for files it cannot use.
  enum class Refusal {
    kNone,
    kNotThisFormat,  // no magic: JSON of version 1, another program's file...
    kNewer,          // the magic with a version above 2
    kDamaged,        // the magic, but an older version or a size that does not add up
  };

  // Takes the mapping of a whole file. When it is not a usable version 2
  // table, returns nullopt and sets *refusal (and *why, a phrase for the
  // warning, for kNewer and kDamaged).
  static std::optional<HashCacheFile> open(util::MappedFile mapped, Refusal* refusal, std::string* why);

  // Whether `text` starts with the magic (a file of this family, any version).
  static bool has_magic(std::string_view text);

  size_t size() const { return count_; }
  // Record i (i < size()). Its name is empty when the record is damaged.
  HashCacheRecord record(size_t i) const;
  // The index of the record named `name`, if any. Fastest when a thread's
  // lookups ascend, as a command's do (see the .cc).
  std::optional<size_t> find(std::string_view name) const;

 private:
  HashCacheFile(util::MappedFile mapped, size_t count, uint64_t pool_size);
  std::string_view name_of(size_t i) const;
  // Bisection of records [lo, hi) for `name`.
  std::optional<size_t> search(std::string_view name, size_t lo, size_t hi) const;

  util::MappedFile mapped_;
  size_t count_ = 0;
  const char* records_ = nullptr;
  std::string_view pool_;
};

// Writes a version 2 table to `path` atomically (util::write_file_atomically,
// not fsynced: a lost cache is rebuilt). `emit_all(emit)` must call emit()
// exactly `count` times, names in strictly ascending order and `pool_size`
// bytes of names in all; the writer streams them, so memory stays bounded
// whatever the count. StorageError on I/O failure (the old file is kept).
void write_hash_cache_file(const std::string& path, size_t count, uint64_t pool_size,
                           const std::function<void(const std::function<void(const HashCacheRecord&)>& emit)>& emit_all);

// Bytewise order of names, as the table is sorted.
inline int compare_names(std::string_view a, std::string_view b) { return a.compare(b); }

}  // namespace wrapp::model
