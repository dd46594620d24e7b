// The hash cache loader on any input: HashCache::from_json, and
// HashCache::load of the same bytes as a (memory) file, which never throws
// for bad content but warns. What loads saves and loads back the same.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "fuzz/fuzz_support.h"
#include "model/hash_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::optional<model::HashCache> cache;
  if (fuzz::accepted([&] { cache = model::HashCache::from_json(fuzz::as_text(data, size)); })) {
    require(!cache->dirty(), "a parsed cache is dirty");
    model::HashCache back = model::HashCache::from_json(cache->to_json());
    require(back.size() == cache->size(), "a rewrite changed the number of entries");
    require(back.to_json().size() == cache->to_json().size(), "a rewrite changed the cache");
  }
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
  if (cache) require(warnings == 0 && loaded.size() == cache->size(), "load and from_json disagree");
  return 0;
}
