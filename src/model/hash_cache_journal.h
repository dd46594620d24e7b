// The hash cache's journal, `<cache file>.journal`: entries that saves
// appended instead of rewriting a big table (docs/formats.md, "Hash cache
// file"). Rewriting a table of a million entries writes about 110 MB; a
// command that hashed fifty new files appends fifty records instead, and the
// table is rewritten (the journal merged into it, then removed) only once
// the journal has grown past a bound that keeps it quick to read.
//
// Layout (all integers little-endian):
//
//   offset  size  field
//   0       16    magic "wrapp-hc-journal" (ASCII, no terminator)
//   16      4     version, 1
//   20      12    zero
//   32      ...   records, one after another, in the order they were appended
//
//   record: 0 name length u32 (1..kMaxHashCacheKeyLength) | 4 size u64 |
//           12 mtime_ns i64 | 20 ctime_ns i64 | 28 inode u64 | 36 hash
//           value (32 bytes) | 68 last used u32 | 72 name | then a u32
//           check: FNV-1a over the record's bytes before it
//
// A later record for a key replaces an earlier one, and any record replaces
// the table's entry for its key. Appends happen under the cache's save lock
// with one write, so a crash can only leave a torn last record: reading
// stops at the first record that runs past the end or fails its check, and
// the next append cuts the file there first. The check guards against torn
// writes, not against a hostile writer (who could plant a table as well).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/hash_cache_file.h"

namespace wrapp::model {

inline constexpr std::string_view kHashCacheJournalMagic = "wrapp-hc-journal";
inline constexpr uint32_t kHashCacheJournalVersion = 1;
inline constexpr size_t kHashCacheJournalHeaderSize = 32;
// A journal is read whole; past this many bytes it is not read at all (the
// next save rewrites the table and removes it). Saves keep it far smaller.
inline constexpr uint64_t kMaxHashCacheJournalBytes = 64 << 20;

struct JournalRecord {
  std::string name;
  FileStamp stamp;
  Digest value{};
  uint32_t last_used = 0;
};

struct HashCacheJournal {
  std::vector<JournalRecord> records;  // in file order
  uint64_t valid_bytes = 0;            // header and whole records; 0: none usable
  uint64_t file_bytes = 0;             // the file's size (more: a torn or damaged tail)
};

// The journal of the cache file at `cache_path`.
inline std::string journal_path(const std::string& cache_path) { return cache_path + ".journal"; }

// The journal at `path`: nullopt when there is none. A file without this
// magic and version, or bigger than kMaxHashCacheJournalBytes, gives no
// records (valid_bytes 0). StorageError when it exists but cannot be read.
// `with_records` false: the records are checked and measured only (an
// append needs where the good part ends, not the entries a load read).
std::optional<HashCacheJournal> read_hash_cache_journal(const std::string& path, bool with_records = true);

// The bytes `records` take in a journal.
uint64_t journal_bytes(const std::vector<JournalRecord>& records);

// Appends `records` to the journal at `path` (opened without following a
// symbolic link), created with its header when absent or unusable, after
// cutting it to `current.valid_bytes` when it holds more (a torn tail).
// The caller holds the cache's save lock. StorageError on failure.
void append_hash_cache_journal(const std::string& path, const std::optional<HashCacheJournal>& current,
                               const std::vector<JournalRecord>& records);

// Removes the journal (its records are in the table now); absent is fine.
void remove_hash_cache_journal(const std::string& path);

}  // namespace wrapp::model
