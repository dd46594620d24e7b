#include "model/hash_cache_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/unaligned.h"

namespace wrapp::model {
namespace {

// The table is little-endian on disk and read in place; every machine wrapp
// builds for (x86-64, arm64) is little-endian too.
static_assert(std::endian::native == std::endian::little, "the hash cache table is read in place as little-endian");

using util::load_unaligned;
using util::store_unaligned;

// Appends to one region of the file with pwrite, in chunks of a few MiB, so
// a table of a million entries never sits in memory whole.
class RegionWriter {
 public:
  RegionWriter(int fd, uint64_t offset, const std::string& path) : fd_(fd), offset_(offset), path_(path) {
    buf_.reserve(kChunk);
  }
  void put(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      size_t take = std::min(n, kChunk - buf_.size());
      buf_.append(p, take);
      p += take;
      n -= take;
      if (buf_.size() == kChunk) flush();
    }
  }
  void flush() {
    size_t done = 0;
    while (done < buf_.size()) {
      ssize_t n = ::pwrite(fd_, buf_.data() + done, buf_.size() - done, static_cast<off_t>(offset_ + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot write", path_, errno);
      }
      done += static_cast<size_t>(n);
    }
    offset_ += buf_.size();
    buf_.clear();
  }

 private:
  static constexpr size_t kChunk = 4 << 20;
  int fd_;
  uint64_t offset_;
  const std::string& path_;
  std::string buf_;
};

}  // namespace

bool HashCacheFile::has_magic(std::string_view text) { return text.substr(0, kHashCacheMagic.size()) == kHashCacheMagic; }

std::optional<HashCacheFile> HashCacheFile::open(util::MappedFile mapped, Refusal* refusal, std::string* why) {
  std::string_view text = mapped.data();
  if (!has_magic(text)) {
    *refusal = Refusal::kNotThisFormat;
    return std::nullopt;
  }
  auto damaged = [&](std::string reason) {
    *refusal = Refusal::kDamaged;
    *why = std::move(reason);
    return std::nullopt;
  };
  if (text.size() < kHashCacheHeaderSize) return damaged("the file ends inside its header");
  uint32_t version = load_unaligned<uint32_t>(text.data() + 16);
  if (version > kHashCacheFileVersion) {
    *refusal = Refusal::kNewer;
    *why = fmt::format("version {} is newer than this wrapp supports ({})", version, kHashCacheFileVersion);
    return std::nullopt;
  }
  if (version != kHashCacheFileVersion) return damaged(fmt::format("unsupported version {}", version));
  uint32_t record_size = load_unaligned<uint32_t>(text.data() + 20);
  if (record_size != kHashCacheRecordSize) return damaged(fmt::format("record size {} (expected 80)", record_size));
  uint64_t count = load_unaligned<uint64_t>(text.data() + 24);
  uint64_t pool_size = load_unaligned<uint64_t>(text.data() + 32);
  uint64_t body = text.size() - kHashCacheHeaderSize;
  if (count > body / kHashCacheRecordSize || pool_size != body - count * kHashCacheRecordSize) {
    return damaged(fmt::format("{} bytes do not hold {} records and {} bytes of names", text.size(), count, pool_size));
  }
  // Lookups jump around the table: read-ahead would fetch pages nobody asks for.
  if (!text.empty()) ::madvise(const_cast<char*>(text.data()), text.size(), MADV_RANDOM);
  *refusal = Refusal::kNone;
  return HashCacheFile(std::move(mapped), static_cast<size_t>(count), pool_size);
}

HashCacheFile::HashCacheFile(util::MappedFile mapped, size_t count, uint64_t pool_size)
    : mapped_(std::move(mapped)), count_(count) {
  std::string_view text = mapped_.data();
  records_ = text.data() + kHashCacheHeaderSize;
  pool_ = text.substr(kHashCacheHeaderSize + count * kHashCacheRecordSize, pool_size);
}

std::string_view HashCacheFile::name_of(size_t i) const {
  const char* r = records_ + i * kHashCacheRecordSize;
  uint64_t offset = load_unaligned<uint64_t>(r + 64);
  uint32_t length = load_unaligned<uint32_t>(r + 72);
  if (length == 0 || length > kMaxHashCacheKeyLength || offset > pool_.size() || length > pool_.size() - offset) {
    return {};
  }
  return pool_.substr(offset, length);
}

HashCacheRecord HashCacheFile::record(size_t i) const {
  const char* r = records_ + i * kHashCacheRecordSize;
  HashCacheRecord out;
  out.name = name_of(i);
  out.stamp = {load_unaligned<uint64_t>(r), load_unaligned<int64_t>(r + 8), load_unaligned<int64_t>(r + 16),
               load_unaligned<uint64_t>(r + 24)};
  std::memcpy(out.value.data(), r + 32, out.value.size());
  out.last_used = load_unaligned<uint32_t>(r + 76);
  return out;
}

std::optional<size_t> HashCacheFile::search(std::string_view name, size_t lo, size_t hi) const {
  // Keys share long prefixes ("/home/me/project/assets/..."): every name
  // between the bounds starts with what both bounds have in common with
  // `name`, so a comparison starts after it (Manber and Myers' search).
  size_t common_lo = 0, common_hi = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    // A damaged record has no name to compare: probe the next sound one.
    std::string_view probe = name_of(mid);
    while (probe.empty() && mid + 1 < hi) probe = name_of(++mid);
    if (probe.empty()) {
      hi = lo + (hi - lo) / 2;
      continue;
    }
    size_t common = std::min({common_lo, common_hi, probe.size(), name.size()});
    while (common < probe.size() && common < name.size() && probe[common] == name[common]) ++common;
    bool probe_ends = common == probe.size(), name_ends = common == name.size();
    if (probe_ends && name_ends) {
      // The skipped prefix holds only in a sorted table: a damaged one must
      // not answer for another key.
      return probe == name ? std::optional(mid) : std::nullopt;
    }
    bool probe_before = probe_ends || (!name_ends && static_cast<unsigned char>(probe[common]) <
                                                         static_cast<unsigned char>(name[common]));
    if (probe_before) {
      lo = mid + 1;
      common_lo = common;
    } else {
      hi = mid;
      common_hi = common;
    }
  }
  return std::nullopt;
}

std::optional<size_t> HashCacheFile::find(std::string_view name) const {
  if (name.empty()) return std::nullopt;
  // A command looks up the files of a tree in path order, and each worker's
  // lookups ascend: the next key is most often the record after this
  // thread's last hit. The search starts there and gallops (1, 2, 4...
  // records ahead) to bound the range it then bisects: a few records
  // touched instead of a bisection of the whole table, whose every probe
  // is a cache miss in a table of megabytes. A key behind the finger, or a
  // finger left by another table, costs one comparison more than a plain
  // search. The finger only chooses where to look: what is returned is
  // always a record whose name compared equal. (Not util::gallop_lower_bound:
  // a damaged record has no name to order, and is stepped over here as the
  // bisection steps over it.)
  struct Finger {
    const char* records = nullptr;
    size_t index = 0;
  };
  thread_local Finger finger;
  size_t lo = 0, hi = count_;
  if (finger.records == records_ && finger.index < count_) {
    std::string_view at = name_of(finger.index);
    int order = at.empty() ? -1 : compare_names(name, at);
    if (order == 0) return finger.index;
    if (order > 0) {
      lo = finger.index + 1;
      for (size_t step = 1; lo < count_; step *= 2) {
        size_t probe = std::min(count_ - 1, finger.index + step);
        std::string_view ahead = name_of(probe);
        if (ahead.empty()) break;  // damaged: bisect what is left
        int c = compare_names(name, ahead);
        if (c == 0) {
          finger.index = probe;
          return probe;
        }
        if (c < 0) {
          hi = probe;
          break;
        }
        lo = probe + 1;
        if (probe == count_ - 1) break;
      }
    } else if (!at.empty()) {
      hi = finger.index;
    }
  }
  std::optional<size_t> found = search(name, lo, hi);
  finger = {records_, found ? *found : std::min(lo, count_ ? count_ - 1 : 0)};
  return found;
}

void write_hash_cache_file(const std::string& path, size_t count, uint64_t pool_size,
                           const std::function<void(const std::function<void(const HashCacheRecord&)>& emit)>& emit_all) {
  util::write_file_atomically_with(
      path,
      [&](int fd) {
        char header[kHashCacheHeaderSize] = {};
        std::memcpy(header, kHashCacheMagic.data(), kHashCacheMagic.size());
        store_unaligned<uint32_t>(header + 16, kHashCacheFileVersion);
        store_unaligned<uint32_t>(header + 20, kHashCacheRecordSize);
        store_unaligned<uint64_t>(header + 24, count);
        store_unaligned<uint64_t>(header + 32, pool_size);
        RegionWriter head(fd, 0, path);
        head.put(header, sizeof header);
        head.flush();
        RegionWriter records(fd, kHashCacheHeaderSize, path);
        RegionWriter names(fd, kHashCacheHeaderSize + count * kHashCacheRecordSize, path);
        size_t written = 0;
        uint64_t name_offset = 0;
        std::string previous;
        emit_all([&](const HashCacheRecord& rec) {
          // The caller's promise, checked: a table out of order would make
          // every later lookup miss.
          if (written == count || rec.name.empty() || rec.name.size() > kMaxHashCacheKeyLength ||
              (written > 0 && compare_names(previous, rec.name) >= 0) || rec.name.size() > pool_size - name_offset) {
            throw std::logic_error("hash cache table written out of order or beyond its announced size");
          }
          char r[kHashCacheRecordSize] = {};
          store_unaligned<uint64_t>(r, rec.stamp.size);
          store_unaligned<int64_t>(r + 8, rec.stamp.mtime_ns);
          store_unaligned<int64_t>(r + 16, rec.stamp.ctime_ns);
          store_unaligned<uint64_t>(r + 24, rec.stamp.inode);
          std::memcpy(r + 32, rec.value.data(), rec.value.size());
          store_unaligned<uint64_t>(r + 64, name_offset);
          store_unaligned<uint32_t>(r + 72, static_cast<uint32_t>(rec.name.size()));
          store_unaligned<uint32_t>(r + 76, rec.last_used);
          records.put(r, sizeof r);
          names.put(rec.name.data(), rec.name.size());
          name_offset += rec.name.size();
          previous.assign(rec.name);
          ++written;
        });
        if (written != count || name_offset != pool_size) {
          throw std::logic_error("hash cache table written short of its announced size");
        }
        records.flush();
        names.flush();
      },
      /*durable=*/false);
}

}  // namespace wrapp::model
