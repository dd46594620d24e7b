#include "model/hash_cache_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "util/error.h"
#include "util/unaligned.h"

namespace wrapp::model {
namespace {

static_assert(std::endian::native == std::endian::little, "the hash cache journal is read as little-endian");

constexpr size_t kFixed = 72;  // a record's bytes before its name
constexpr size_t kCheck = 4;

uint32_t fnv1a(const char* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 16777619u;
  }
  return h;
}

using util::load_unaligned;
template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

std::string header() {
  std::string h(kHashCacheJournalMagic);
  put(h, kHashCacheJournalVersion);
  h.append(12, '\0');
  return h;
}

void encode(std::string& out, const JournalRecord& r) {
  size_t start = out.size();
  put(out, static_cast<uint32_t>(r.name.size()));
  put(out, r.stamp.size);
  put(out, r.stamp.mtime_ns);
  put(out, r.stamp.ctime_ns);
  put(out, r.stamp.inode);
  out.append(reinterpret_cast<const char*>(r.value.data()), r.value.size());
  put(out, r.last_used);
  out += r.name;
  put(out, fnv1a(out.data() + start, out.size() - start));
}

// Writes all of `data` at the end of `fd` (opened with O_APPEND).
void write_all(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot append to the hash cache journal", path, errno);
    }
    done += static_cast<size_t>(n);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::optional<HashCacheJournal> read_hash_cache_journal(const std::string& path, bool with_records) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("cannot open the hash cache journal", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat the hash cache journal", path, errno);
  HashCacheJournal journal;
  journal.file_bytes = static_cast<uint64_t>(st.st_size);
  if (!S_ISREG(st.st_mode) || journal.file_bytes > kMaxHashCacheJournalBytes ||
      journal.file_bytes < kHashCacheJournalHeaderSize) {
    return journal;  // not usable: no records, replaced by the next append
  }
  std::string data(journal.file_bytes, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(fd.get(), data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read the hash cache journal", path, errno);
    if (n == 0) break;  // cut meanwhile: what was read is checked below
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  if (data.size() < kHashCacheJournalHeaderSize || data.compare(0, kHashCacheJournalHeaderSize, header()) != 0) {
    return journal;
  }
  size_t at = kHashCacheJournalHeaderSize;
  while (data.size() - at >= kFixed + kCheck) {
    const char* p = data.data() + at;
    uint32_t length = load_unaligned<uint32_t>(p);
    if (length == 0 || length > kMaxHashCacheKeyLength || data.size() - at - kFixed - kCheck < length) break;
    if (load_unaligned<uint32_t>(p + kFixed + length) != fnv1a(p, kFixed + length)) break;
    at += kFixed + length + kCheck;
    if (!with_records) continue;
    JournalRecord r;
    r.stamp = {load_unaligned<uint64_t>(p + 4), load_unaligned<int64_t>(p + 12), load_unaligned<int64_t>(p + 20),
               load_unaligned<uint64_t>(p + 28)};
    std::memcpy(r.value.data(), p + 36, r.value.size());
    r.last_used = load_unaligned<uint32_t>(p + 68);
    r.name.assign(p + kFixed, length);
    journal.records.push_back(std::move(r));
  }
  journal.valid_bytes = at;
  return journal;
}

uint64_t journal_bytes(const std::vector<JournalRecord>& records) {
  uint64_t n = 0;
  for (const auto& r : records) n += kFixed + r.name.size() + kCheck;
  return n;
}

void append_hash_cache_journal(const std::string& path, const std::optional<HashCacheJournal>& current,
                               const std::vector<JournalRecord>& records) {
  std::string data;
  data.reserve(kHashCacheJournalHeaderSize + journal_bytes(records));
  bool fresh = !current || current->valid_bytes == 0;
  if (fresh) data = header();
  for (const auto& r : records) {
    if (r.name.empty() || r.name.size() > kMaxHashCacheKeyLength) continue;  // never stored so
    encode(data, r);
  }
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644));
  if (fd.get() < 0) throw_errno("cannot open the hash cache journal", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat the hash cache journal", path, errno);
  if (!S_ISREG(st.st_mode)) throw StorageError(fmt::format("the hash cache journal '{}' is not a regular file", path));
  // A torn or unusable tail is cut first: records after it would never be read.
  uint64_t keep = fresh ? 0 : current->valid_bytes;
  if (static_cast<uint64_t>(st.st_size) != keep && ::ftruncate(fd.get(), static_cast<off_t>(keep)) != 0) {
    throw_errno("cannot cut the hash cache journal", path, errno);
  }
  write_all(fd.get(), data, path);
}

void remove_hash_cache_journal(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw_errno("cannot remove the hash cache journal", path, errno);
  }
}

}  // namespace wrapp::model
