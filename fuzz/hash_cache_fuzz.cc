// The hash cache loader on any input: HashCache::load of the bytes as a
// (memory) file, a version 2 table or a version 1 JSON cache, which never
// throws for bad content but warns. Whatever loads answers lookups with its
// own entries only, and saves as a clean table that loads back the same.
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "model/hash_cache.h"

namespace {

// A folder for the saved tables, made once per fuzzing process.
const std::string& scratch_dir() {
  static const std::string dir = wrapp::fuzz::make_scratch_dir("wrapp-hash-cache-fuzz");
  return dir;
}

struct Entry {
  std::string key;
  wrapp::model::FileStamp stamp;
  wrapp::model::ContentHash hash;
};

std::vector<Entry> entries_of(const wrapp::model::HashCache& cache) {
  std::vector<Entry> out;
  cache.for_each([&](std::string_view key, const wrapp::model::FileStamp& stamp, const wrapp::model::ContentHash& hash) {
    out.push_back({std::string(key), stamp, hash});
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  int fd = memfd_create("hash-cache", MFD_CLOEXEC);
  require(fd >= 0, "memfd_create failed");
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    require(n > 0, "write to memfd failed");
    done += static_cast<size_t>(n);
  }
  size_t warnings = 0;
  model::HashCache loaded =
      model::HashCache::load("/proc/self/fd/" + std::to_string(fd), [&](const std::string&) { ++warnings; });
  ::close(fd);
  require(warnings <= 1, "more than one warning for one file");
  std::vector<Entry> entries = entries_of(loaded);
  require(entries.size() == loaded.size(), "size() and for_each disagree");
  // A lookup answers with the key's own hash or not at all (records of a
  // damaged table may be out of reach, never mixed up).
  for (const Entry& e : entries) {
    auto hit = loaded.lookup(e.key, e.stamp);
    require(!hit || *hit == e.hash, "a lookup answered with another entry's hash");
  }
  // A new file each time: a save merges with the file it replaces.
  const std::string path = scratch_dir() + "/cache";
  ::unlink(path.c_str());
  loaded.save(path, /*force=*/true);
  size_t reload_warnings = 0;
  model::HashCache back = model::HashCache::load(path, [&](const std::string&) { ++reload_warnings; });
  require(reload_warnings == 0, "a saved cache does not load cleanly");
  std::vector<Entry> saved = entries_of(back);
  require(saved.size() == entries.size(), "a save changed the number of entries");
  for (size_t i = 0; i < saved.size(); ++i) {
    require(saved[i].key == entries[i].key && saved[i].stamp == entries[i].stamp && saved[i].hash == entries[i].hash,
            "a save changed an entry");
    require(back.lookup(saved[i].key, saved[i].stamp) == saved[i].hash, "a saved entry is not found");
  }
  return 0;
}
