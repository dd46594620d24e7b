// The hash cache's journal reader on any input (model/hash_cache_journal.h):
// the bytes as `<cache>.journal` beside no table. Reading never throws for
// bad content: it stops at the first record that runs past the end or fails
// its check. What it read is whole records, and appended again to a fresh
// journal reads back the same; a cache loaded with the journal answers each
// key with its last record's hash only.
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include "fuzz/fuzz_support.h"
#include "model/hash_cache.h"
#include "model/hash_cache_journal.h"

namespace {

// A folder of this fuzzing process's own, made once.
const std::string& scratch_dir() {
  static const std::string dir = wrapp::fuzz::make_scratch_dir("wrapp-hash-cache-journal-fuzz");
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  const std::string cache = scratch_dir() + "/cache";
  const std::string journal = model::journal_path(cache);
  ::unlink(cache.c_str());
  std::ofstream(journal, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                   static_cast<std::streamsize>(size));
  auto read = model::read_hash_cache_journal(journal);
  require(read.has_value(), "a journal that exists was not read");
  require(read->file_bytes == size, "the journal's size is not the file's");
  require(read->valid_bytes <= read->file_bytes, "more valid bytes than the file has");
  auto measured = model::read_hash_cache_journal(journal, /*with_records=*/false);
  require(measured && measured->records.empty() && measured->valid_bytes == read->valid_bytes,
          "measuring the journal finds another end than reading it");
  require(read->records.empty() || read->valid_bytes == model::kHashCacheJournalHeaderSize +
                                                           model::journal_bytes(read->records),
          "the valid bytes are not the header and the records read");
  std::map<std::string, const model::JournalRecord*> last;
  for (const auto& r : read->records) {
    require(!r.name.empty() && r.name.size() <= model::kMaxHashCacheKeyLength, "a record with an impossible name");
    last[r.name] = &r;
  }

  // Loaded beside no table: every key answers with its last record only.
  size_t warnings = 0;
  model::HashCache loaded = model::HashCache::load(cache, [&](const std::string&) { ++warnings; });
  require(warnings == 0, "a journal warned");
  require(loaded.size() == last.size(), "the cache holds other entries than the journal's keys");
  for (const auto& [name, r] : last) {
    require(loaded.lookup(name, r->stamp) == model::ContentHash(r->value), "a key does not answer its last record");
  }

  // Appended again to a fresh journal, the records read back the same.
  ::unlink(journal.c_str());
  model::append_hash_cache_journal(journal, std::nullopt, read->records);
  auto again = model::read_hash_cache_journal(journal);
  require(again && again->records.size() == read->records.size(), "a rewritten journal lost records");
  for (size_t i = 0; i < again->records.size(); ++i) {
    const auto &a = again->records[i], &b = read->records[i];
    require(a.name == b.name && a.stamp == b.stamp && a.value == b.value && a.last_used == b.last_used,
            "a rewritten record differs");
  }
  require(again->valid_bytes == again->file_bytes, "a fresh journal has a damaged tail");
  return 0;
}
